namespace LiveMicro.Media.Amf;

/// <summary>Why an AMF0 payload was refused.</summary>
public enum Amf0Error
{
    /// <summary>The payload ends inside a value.</summary>
    Truncated,
    /// <summary>A marker that AMF0 does not define, or an object-end marker outside an object.</summary>
    UnknownMarker,
    /// <summary>A defined marker we refuse: references, typed objects, AMF3 switch, XML, record sets, movie clips, "unsupported".</summary>
    UnsupportedType,
    /// <summary>Objects/arrays nest deeper than the configured limit.</summary>
    NestingTooDeep,
    /// <summary>A length field claims more elements or bytes than are allowed.</summary>
    LengthOutOfRange,
    /// <summary>A typed read found a value of another type.</summary>
    UnexpectedType,
}

/// <summary>An AMF0 payload is malformed or uses a type this implementation refuses.</summary>
public sealed class Amf0FormatException : FormatException
{
    public Amf0FormatException(Amf0Error error, string message)
        : base(message)
    {
        Error = error;
    }

    public Amf0Error Error { get; }
}
