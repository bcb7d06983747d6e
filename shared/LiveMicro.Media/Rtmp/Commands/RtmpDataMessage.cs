using LiveMicro.Media.Amf;

namespace LiveMicro.Media.Rtmp.Commands;

/// <summary>
/// Data messages (type 18): a handler name followed by values, e.g. "@setDataFrame", "onMetaData", {metadata}.
/// </summary>
public static class RtmpDataMessage
{
    /// <summary>The handler encoders prefix to metadata they want the server to keep and replay to players.</summary>
    public const string SetDataFrame = "@setDataFrame";

    public const string OnMetaData = "onMetaData";

    /// <summary>
    /// If the payload is "@setDataFrame" followed by more values, gives the payload without that first string:
    /// exactly the "onMetaData", {metadata} message players expect, without copying or re-encoding it.
    /// </summary>
    public static bool TryStripSetDataFrame(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> metadata)
    {
        var reader = new Amf0Reader(payload);
        try
        {
            if (!payload.IsEmpty && reader.PeekType() == Amf0Type.String && reader.ReadString() == SetDataFrame && !reader.IsAtEnd)
            {
                metadata = payload[reader.Consumed..];
                return true;
            }
        }
        catch (Amf0FormatException)
        {
        }

        metadata = default;
        return false;
    }

    /// <summary>Decodes a data message into its handler name and values.</summary>
    /// <exception cref="Amf0FormatException">The payload is not valid AMF0 or does not start with a string.</exception>
    public static (string Handler, IReadOnlyList<Amf0Value> Values) Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new Amf0Reader(payload);
        var handler = reader.ReadString();
        var values = new List<Amf0Value>();
        while (!reader.IsAtEnd)
        {
            values.Add(reader.ReadValue());
        }

        return (handler, values);
    }

    /// <summary>Whether onMetaData (<paramref name="metadata"/>, @setDataFrame stripped) names an audio codec, as an
    /// encoder with audio does and one with audio off (or a relay of video alone) does not. Metadata that does not
    /// decode is taken to declare audio: what players were always told.</summary>
    public static bool DeclaresAudio(ReadOnlySpan<byte> metadata)
    {
        try
        {
            var (_, values) = Decode(metadata);
            return values.Count == 0 || !values[0].TryGetObject(out var properties) || properties.TryGetValue("audiocodecid", out _);
        }
        catch (Amf0FormatException)
        {
            return true;
        }
    }
}
