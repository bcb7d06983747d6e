using LiveMicro.Media.Amf;

namespace LiveMicro.Media.Rtmp.Commands;

/// <summary>
/// A decoded command message (RTMP 1.0 section 7.1.1): command name, transaction ID, command object, then
/// command-specific arguments. Commands the server acts on have their own types; the rest are
/// <see cref="UnknownCommand"/> with their raw arguments.
/// </summary>
public abstract class RtmpCommand(string name, double transactionId)
{
    public string Name { get; } = name;

    /// <summary>Echoed in the _result/_error answer; 0 when no answer is expected.</summary>
    public double TransactionId { get; } = transactionId;
}

/// <summary>connect (section 7.2.1.1): opens the NetConnection to an application.</summary>
public sealed class ConnectCommand(double transactionId, Amf0Object commandObject, IReadOnlyList<Amf0Value> arguments)
    : RtmpCommand(RtmpCommandName.Connect, transactionId)
{
    /// <summary>Every property the client sent (app, flashVer, tcUrl, swfUrl, pageUrl, objectEncoding, ...).</summary>
    public Amf0Object CommandObject { get; } = commandObject;

    /// <summary>The application name, e.g. "live" (may carry a query string some encoders append).</summary>
    public string App => CommandObject.GetString("app") ?? string.Empty;

    public string? TcUrl => CommandObject.GetString("tcUrl");

    public string? FlashVersion => CommandObject.GetString("flashVer");

    public string? SwfUrl => CommandObject.GetString("swfUrl");

    public string? PageUrl => CommandObject.GetString("pageUrl");

    /// <summary>0 for AMF0, 3 for AMF3; the answer must use the same encoding.</summary>
    public double ObjectEncoding => CommandObject.GetNumber("objectEncoding") ?? 0;

    /// <summary>Optional user arguments after the command object.</summary>
    public IReadOnlyList<Amf0Value> Arguments { get; } = arguments;
}

/// <summary>createStream (section 7.2.1.3): asks for a message stream ID for publish or play.</summary>
public sealed class CreateStreamCommand(double transactionId) : RtmpCommand(RtmpCommandName.CreateStream, transactionId);

/// <summary>releaseStream (FMLE): the encoder asks that a previous publish of the name be released before publishing.</summary>
public sealed class ReleaseStreamCommand(double transactionId, string streamName)
    : RtmpCommand(RtmpCommandName.ReleaseStream, transactionId)
{
    public string StreamName { get; } = streamName;
}

/// <summary>FCPublish (FMLE/FMS): announces the stream name the encoder is about to publish.</summary>
public sealed class FCPublishCommand(double transactionId, string streamName)
    : RtmpCommand(RtmpCommandName.FCPublish, transactionId)
{
    public string StreamName { get; } = streamName;
}

/// <summary>FCUnpublish (FMLE/FMS): announces the end of a publish.</summary>
public sealed class FCUnpublishCommand(double transactionId, string streamName)
    : RtmpCommand(RtmpCommandName.FCUnpublish, transactionId)
{
    public string StreamName { get; } = streamName;
}

/// <summary>publish (section 7.2.2.6) on the message stream it arrived on.</summary>
public sealed class PublishCommand(double transactionId, string streamName, string publishingType)
    : RtmpCommand(RtmpCommandName.Publish, transactionId)
{
    /// <summary>The publishing name as sent, including any query string (e.g. "key?token=...").</summary>
    public string StreamName { get; } = streamName;

    /// <summary>"live", "record" or "append"; "live" when the client omitted it.</summary>
    public string PublishingType { get; } = publishingType;
}

/// <summary>play (section 7.2.2.1).</summary>
public sealed class PlayCommand(double transactionId, string streamName, double start, double duration, bool reset)
    : RtmpCommand(RtmpCommandName.Play, transactionId)
{
    public const double StartLiveOrRecorded = -2;
    public const double StartLiveOnly = -1;
    public const double DurationUntilEnd = -1;

    public string StreamName { get; } = streamName;

    /// <summary>Seconds; -2 live then recorded, -1 live only, 0 or more a position in a recording.</summary>
    public double Start { get; } = start;

    /// <summary>Seconds; -1 plays to the end.</summary>
    public double Duration { get; } = duration;

    /// <summary>Whether to flush any previous playlist.</summary>
    public bool Reset { get; } = reset;
}

/// <summary>play2 (section 7.2.2.2): switches to another bit rate of a stream; the parameters object mirrors NetStreamPlayOptions.</summary>
public sealed class Play2Command(double transactionId, Amf0Object parameters)
    : RtmpCommand(RtmpCommandName.Play2, transactionId)
{
    public Amf0Object Parameters { get; } = parameters;

    public string StreamName => Parameters.GetString("streamName") ?? string.Empty;

    public string? OldStreamName => Parameters.GetString("oldStreamName");

    public double Start => Parameters.GetNumber("start") ?? PlayCommand.StartLiveOrRecorded;

    public string? Transition => Parameters.GetString("transition");
}

/// <summary>deleteStream (section 7.2.2.3): the client is done with a message stream.</summary>
public sealed class DeleteStreamCommand(double transactionId, double streamId)
    : RtmpCommand(RtmpCommandName.DeleteStream, transactionId)
{
    public double StreamId { get; } = streamId;
}

/// <summary>closeStream: stops publishing or playing on the message stream it arrived on, keeping the stream ID.</summary>
public sealed class CloseStreamCommand(double transactionId) : RtmpCommand(RtmpCommandName.CloseStream, transactionId);

/// <summary>getStreamLength: a player asks for a recording's duration (answered with a number of seconds).</summary>
public sealed class GetStreamLengthCommand(double transactionId, string streamName)
    : RtmpCommand(RtmpCommandName.GetStreamLength, transactionId)
{
    public string StreamName { get; } = streamName;
}

/// <summary>Any other command, with the command object and arguments as sent.</summary>
public sealed class UnknownCommand(string name, double transactionId, Amf0Value commandObject, IReadOnlyList<Amf0Value> arguments)
    : RtmpCommand(name, transactionId)
{
    public Amf0Value CommandObject { get; } = commandObject;

    public IReadOnlyList<Amf0Value> Arguments { get; } = arguments;
}
