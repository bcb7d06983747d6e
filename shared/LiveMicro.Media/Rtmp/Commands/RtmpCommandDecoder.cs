using LiveMicro.Media.Amf;

namespace LiveMicro.Media.Rtmp.Commands;

/// <summary>Turns command message payloads (types 20 and 17) into <see cref="RtmpCommand"/> objects.</summary>
public static class RtmpCommandDecoder
{
    /// <summary>
    /// Most arguments a command may carry after its command object; real commands carry up to four, and the
    /// bound keeps an unknown command from being used to make us decode thousands of values.
    /// </summary>
    public const int MaxArguments = 16;

    /// <summary>Decodes a command message.</summary>
    /// <exception cref="RtmpProtocolException">
    /// <see cref="RtmpProtocolError.MalformedCommand"/>: invalid AMF0, a missing name or transaction ID, or a
    /// missing or mistyped argument the command requires.
    /// </exception>
    public static RtmpCommand Decode(RtmpMessageType type, ReadOnlySpan<byte> payload)
    {
        if (type is not (RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Not a command message type.");
        }

        // Section 7.1.1: an AMF3 command message starts with a format byte of 0 and is AMF0-encoded after it
        // (clients switch to AMF3 per value with the avmplus marker, which we refuse).
        if (type == RtmpMessageType.CommandAmf3)
        {
            if (payload.IsEmpty || payload[0] != 0)
            {
                throw Malformed("AMF3 command message without the zero format byte.");
            }

            payload = payload[1..];
        }

        try
        {
            return DecodeAmf0(payload);
        }
        catch (Amf0FormatException exception)
        {
            throw new RtmpProtocolException(RtmpProtocolError.MalformedCommand, $"Command is not valid AMF0: {exception.Message}", exception);
        }
    }

    private static RtmpCommand DecodeAmf0(ReadOnlySpan<byte> payload)
    {
        var reader = new Amf0Reader(payload);
        var name = reader.ReadString();
        var transactionId = reader.IsAtEnd ? 0 : reader.ReadNumber();
        var commandObject = reader.IsAtEnd ? Amf0Value.Null : reader.ReadValue();
        var arguments = new List<Amf0Value>();
        while (!reader.IsAtEnd)
        {
            if (arguments.Count == MaxArguments)
            {
                throw Malformed($"{name} carries more than {MaxArguments} arguments.");
            }

            arguments.Add(reader.ReadValue());
        }

        return name switch
        {
            RtmpCommandName.Connect => new ConnectCommand(
                transactionId,
                commandObject.TryGetObject(out var properties) ? properties : throw Malformed("connect without a command object."),
                arguments),
            RtmpCommandName.CreateStream => new CreateStreamCommand(transactionId),
            RtmpCommandName.ReleaseStream => new ReleaseStreamCommand(transactionId, RequiredString(name, arguments, 0)),
            RtmpCommandName.FCPublish => new FCPublishCommand(transactionId, RequiredString(name, arguments, 0)),
            RtmpCommandName.FCUnpublish => new FCUnpublishCommand(transactionId, RequiredString(name, arguments, 0)),
            RtmpCommandName.Publish => new PublishCommand(
                transactionId,
                RequiredString(name, arguments, 0),
                OptionalString(arguments, 1) ?? "live"),
            RtmpCommandName.Play => new PlayCommand(
                transactionId,
                RequiredString(name, arguments, 0),
                OptionalNumber(arguments, 1) ?? PlayCommand.StartLiveOrRecorded,
                OptionalNumber(arguments, 2) ?? PlayCommand.DurationUntilEnd,
                OptionalBoolean(arguments, 3) ?? true),
            RtmpCommandName.Play2 => new Play2Command(
                transactionId,
                arguments.Count > 0 && arguments[0].TryGetObject(out var parameters) ? parameters : throw Malformed("play2 without a parameters object.")),
            RtmpCommandName.DeleteStream => new DeleteStreamCommand(
                transactionId,
                OptionalNumber(arguments, 0) ?? throw Malformed("deleteStream without a stream ID.")),
            RtmpCommandName.CloseStream => new CloseStreamCommand(transactionId),
            RtmpCommandName.GetStreamLength => new GetStreamLengthCommand(transactionId, RequiredString(name, arguments, 0)),
            _ => new UnknownCommand(name, transactionId, commandObject, arguments),
        };
    }

    private static string RequiredString(string command, List<Amf0Value> arguments, int index) =>
        OptionalString(arguments, index) ?? throw Malformed($"{command} without a stream name.");

    private static string? OptionalString(List<Amf0Value> arguments, int index) =>
        index < arguments.Count && arguments[index].TryGetString(out var text) ? text : null;

    private static double? OptionalNumber(List<Amf0Value> arguments, int index) =>
        index < arguments.Count && arguments[index].TryGetNumber(out var number) ? number : null;

    // Some players send reset as a number rather than a boolean.
    private static bool? OptionalBoolean(List<Amf0Value> arguments, int index)
    {
        if (index >= arguments.Count)
        {
            return null;
        }

        if (arguments[index].TryGetBoolean(out var flag))
        {
            return flag;
        }

        return arguments[index].TryGetNumber(out var number) ? number != 0 : null;
    }

    private static RtmpProtocolException Malformed(string message) => new(RtmpProtocolError.MalformedCommand, message);
}
