using LiveMicro.Media.Rtmp;

namespace LiveMicro.Rtmp.Tests.Support;

/// <summary>
/// Hand-made legacy AVC/AAC tags: valid FLV headers around placeholder codec data. Enough for relay tests (the server
/// never decodes frames); not decodable video.
/// </summary>
public static class SyntheticMedia
{
    public static readonly byte[] VideoSequenceHeader = [0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0xC0, 0x1E, 0xFF, 0xE0];
    public static readonly byte[] AudioSequenceHeader = [0xAF, 0x00, 0x12, 0x10];

    public static byte[] KeyFrame(int size = 2000) => Frame(0x17, size);

    public static byte[] InterFrame(int size = 500) => Frame(0x27, size);

    public static byte[] AudioFrame() => Frame(0xAF, 200);

    /// <summary>Sequence headers (when starting at 0) and one 1-second GOP of 25 frames with audio, from <paramref name="start"/> ms.</summary>
    public static async Task SendGopAsync(RtmpTestClient publisher, uint start)
    {
        if (start == 0)
        {
            await publisher.SendMediaAsync(RtmpMessageType.Video, 0, VideoSequenceHeader);
            await publisher.SendMediaAsync(RtmpMessageType.Audio, 0, AudioSequenceHeader);
        }

        for (var i = 0; i < 25; i++)
        {
            var timestamp = start + (uint)(i * 40);
            await publisher.SendMediaAsync(RtmpMessageType.Video, timestamp, i == 0 ? KeyFrame() : InterFrame());
            await publisher.SendMediaAsync(RtmpMessageType.Audio, timestamp, AudioFrame());
        }
    }

    private static byte[] Frame(byte first, int size)
    {
        var frame = new byte[size];
        frame[0] = first;
        frame[1] = 0x01;
        for (var i = 5; i < size; i++)
        {
            frame[i] = (byte)i;
        }

        return frame;
    }
}
