using System.Buffers;
using LiveMicro.Media.Amf;

namespace LiveMicro.Media.Rtmp.Commands;

/// <summary>
/// Writes the AMF0 payloads of the command and data messages a server sends. The caller frames the payload
/// with <see cref="RtmpChunkWriter.WriteMessage"/> as <see cref="RtmpMessageType.CommandAmf0"/> (or
/// <see cref="RtmpMessageType.DataAmf0"/> for data messages).
/// </summary>
public static class RtmpCommandWriter
{
    /// <summary>The server version Flash-era clients expect in the connect answer.</summary>
    public const string DefaultServerVersion = "FMS/3,0,1,123";

    /// <summary>Capabilities bit field FMS answers with (31 = all the classic ones).</summary>
    public const double DefaultCapabilities = 31;

    /// <summary>
    /// _result for connect (section 7.2.1.1): properties {fmsVer, capabilities, mode}, information
    /// {level, code NetConnection.Connect.Success, description, objectEncoding}.
    /// </summary>
    public static void WriteConnectResult(IBufferWriter<byte> output, double transactionId, double objectEncoding, string description = "Connection succeeded.")
    {
        Amf0Writer.WriteString(output, RtmpCommandName.Result);
        Amf0Writer.WriteNumber(output, transactionId);
        Amf0Writer.WriteObjectStart(output);
        Amf0Writer.WriteProperty(output, "fmsVer", DefaultServerVersion);
        Amf0Writer.WriteProperty(output, "capabilities", DefaultCapabilities);
        Amf0Writer.WriteProperty(output, "mode", 1);
        Amf0Writer.WriteObjectEnd(output);
        Amf0Writer.WriteObjectStart(output);
        WriteStatusProperties(output, RtmpStatusLevel.Status, RtmpStatusCode.ConnectSuccess, description);
        Amf0Writer.WriteProperty(output, "objectEncoding", objectEncoding);
        Amf0Writer.WriteObjectEnd(output);
    }

    /// <summary>_result for createStream (section 7.2.1.3): a null command object and the new stream ID.</summary>
    public static void WriteCreateStreamResult(IBufferWriter<byte> output, double transactionId, uint streamId) =>
        WriteResult(output, transactionId, Amf0Value.Null, Amf0Value.Number(streamId));

    /// <summary>A _result with any command object and information value.</summary>
    public static void WriteResult(IBufferWriter<byte> output, double transactionId, Amf0Value commandObject, Amf0Value information)
    {
        Amf0Writer.WriteString(output, RtmpCommandName.Result);
        Amf0Writer.WriteNumber(output, transactionId);
        Amf0Writer.WriteValue(output, commandObject);
        Amf0Writer.WriteValue(output, information);
    }

    /// <summary>_error: a null command object and an information object {level error, code, description}.</summary>
    public static void WriteError(IBufferWriter<byte> output, double transactionId, string code, string description)
    {
        Amf0Writer.WriteString(output, RtmpCommandName.Error);
        Amf0Writer.WriteNumber(output, transactionId);
        Amf0Writer.WriteNull(output);
        Amf0Writer.WriteObjectStart(output);
        WriteStatusProperties(output, RtmpStatusLevel.Error, code, description);
        Amf0Writer.WriteObjectEnd(output);
    }

    /// <summary>
    /// onStatus (section 7.2.2): transaction 0, a null command object and an information object
    /// {level, code, description[, details][, clientid]}; sent on the message stream it reports on.
    /// </summary>
    public static void WriteOnStatus(IBufferWriter<byte> output, string level, string code, string description, string? details = null, string? clientId = null)
    {
        Amf0Writer.WriteString(output, RtmpCommandName.OnStatus);
        Amf0Writer.WriteNumber(output, 0);
        Amf0Writer.WriteNull(output);
        Amf0Writer.WriteObjectStart(output);
        WriteStatusProperties(output, level, code, description);
        if (details is not null)
        {
            Amf0Writer.WriteProperty(output, "details", details);
        }

        if (clientId is not null)
        {
            Amf0Writer.WriteProperty(output, "clientid", clientId);
        }

        Amf0Writer.WriteObjectEnd(output);
    }

    /// <summary>
    /// The |RtmpSampleAccess data message players expect before media: whether they may read audio and video
    /// sample data (Flash's BitmapData.draw/SoundMixer.computeSpectrum).
    /// </summary>
    public static void WriteSampleAccess(IBufferWriter<byte> output, bool audio, bool video)
    {
        Amf0Writer.WriteString(output, "|RtmpSampleAccess");
        Amf0Writer.WriteBoolean(output, audio);
        Amf0Writer.WriteBoolean(output, video);
    }

    private static void WriteStatusProperties(IBufferWriter<byte> output, string level, string code, string description)
    {
        Amf0Writer.WriteProperty(output, "level", level);
        Amf0Writer.WriteProperty(output, "code", code);
        Amf0Writer.WriteProperty(output, "description", description);
    }
}
