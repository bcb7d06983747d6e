namespace LiveMicro.Media;

/// <summary>Why a container or codec structure (FLV, AVC/AAC configuration) was refused.</summary>
public enum MediaFormatError
{
    /// <summary>The data ends inside a structure.</summary>
    Truncated,
    /// <summary>A signature, version or reserved value is not what the specification requires.</summary>
    InvalidValue,
    /// <summary>A size exceeds what the reader allows.</summary>
    TooLarge,
    /// <summary>Valid, but a form this implementation does not convert (e.g. an AAC object type ADTS cannot carry).</summary>
    Unsupported,
}

/// <summary>A container or codec structure is malformed or unsupported.</summary>
public sealed class MediaFormatException : FormatException
{
    public MediaFormatException(MediaFormatError error, string message)
        : base(message)
    {
        Error = error;
    }

    public MediaFormatError Error { get; }
}
