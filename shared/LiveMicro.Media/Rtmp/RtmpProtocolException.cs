namespace LiveMicro.Media.Rtmp;

/// <summary>Why a peer's RTMP bytes were refused; the connection loop maps these to its answer (usually closing).</summary>
public enum RtmpProtocolError
{
    /// <summary>C0 asked for an RTMP version other than 3.</summary>
    UnsupportedVersion,
    /// <summary>A chunk stream's first chunk was not type 0, so its header fields are unknown.</summary>
    MissingInitialChunkHeader,
    /// <summary>A type 0/1/2 chunk arrived while a message on the same chunk stream was incomplete.</summary>
    UnexpectedChunkHeader,
    /// <summary>More chunk streams were opened than the reader allows.</summary>
    TooManyChunkStreams,
    /// <summary>A message is longer than the reader allows.</summary>
    MessageTooLarge,
    /// <summary>Set Chunk Size asked for 0 or more than the supported maximum.</summary>
    ChunkSizeOutOfRange,
    /// <summary>A protocol control or user control message is too short for its type.</summary>
    MalformedControlMessage,
    /// <summary>A command message is not a valid AMF0 command.</summary>
    MalformedCommand,
}

/// <summary>The peer broke the RTMP protocol; the <see cref="Error"/> says how.</summary>
public sealed class RtmpProtocolException : Exception
{
    public RtmpProtocolException(RtmpProtocolError error, string message)
        : base(message)
    {
        Error = error;
    }

    public RtmpProtocolException(RtmpProtocolError error, string message, Exception innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    public RtmpProtocolError Error { get; }
}
