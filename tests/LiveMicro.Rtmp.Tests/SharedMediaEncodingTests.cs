using System.Buffers;
using LiveMicro.Media.Rtmp;
using LiveMicro.Rtmp.Rtmp;

namespace LiveMicro.Rtmp.Tests;

/// <summary>
/// Live media encoded once for every player: self-contained chunks (type 0, then type 3) that any reader decodes the
/// same way whatever it read before on that chunk stream.
/// </summary>
public sealed class SharedMediaEncodingTests
{
    private const int ChunkSize = 128;

    private static byte[] Payload(int length) => Enumerable.Range(0, length).Select(i => (byte)((i * 7) + 3)).ToArray();

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    private static byte[] Encode(int chunkStreamId, RtmpMessageType type, uint timestamp, byte[] payload)
    {
        var bytes = new byte[RtmpChunkWriter.GetSelfContainedMessageLength(chunkStreamId, ChunkSize, timestamp, payload.Length)];
        var written = RtmpChunkWriter.WriteSelfContainedMessage(bytes, ChunkSize, chunkStreamId, type, 1, timestamp, payload);
        Assert.Equal(bytes.Length, written);
        return bytes;
    }

    [Fact]
    public void A_video_message_longer_than_the_chunk_size_is_a_type_0_chunk_then_type_3_chunks()
    {
        var payload = Payload(300);

        var bytes = Encode(RtmpMediaEncoding.VideoChunkStreamId, RtmpMessageType.Video, 1000, payload);

        // fmt 0 on chunk stream 6: timestamp 1000, length 300, type 9, message stream 1 (little-endian); then fmt 3.
        byte[] expected =
        [
            .. Hex("06 0003E8 00012C 09 01000000"), .. payload[..128],
            .. Hex("C6"), .. payload[128..256],
            .. Hex("C6"), .. payload[256..],
        ];
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData(0xFFFFFFu, "00FFFFFF")]
    [InlineData(0x01000000u, "01000000")]
    [InlineData(0xFFFFFFFFu, "FFFFFFFF")]
    public void An_extended_timestamp_follows_the_type_0_header_and_every_type_3_header(uint timestamp, string extendedTimestamp)
    {
        var payload = Payload(300);

        var bytes = Encode(RtmpMediaEncoding.AudioChunkStreamId, RtmpMessageType.Audio, timestamp, payload);

        byte[] expected =
        [
            .. Hex("04 FFFFFF 00012C 08 01000000"), .. Hex(extendedTimestamp), .. payload[..128],
            .. Hex("C4"), .. Hex(extendedTimestamp), .. payload[128..256],
            .. Hex("C4"), .. Hex(extendedTimestamp), .. payload[256..],
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Shared_chunks_read_back_the_same_after_other_headers_on_the_chunk_stream_and_the_connection_writer_resumes_with_type_0()
    {
        // A connection's own writer compresses headers on chunk stream 6 first (the cached GOP a joining player gets).
        var connection = new RtmpChunkWriter();
        var output = new ArrayBufferWriter<byte>();
        connection.WriteMessage(output, RtmpMediaEncoding.VideoChunkStreamId, RtmpMessageType.Video, 1, 40, Payload(10));
        connection.WriteMessage(output, RtmpMediaEncoding.VideoChunkStreamId, RtmpMessageType.Video, 1, 80, Payload(10));

        // Then a shared message with another length and type, and an extended timestamp.
        var shared = Payload(300);
        output.Write(Encode(RtmpMediaEncoding.VideoChunkStreamId, RtmpMessageType.Audio, 0x01000000, shared));
        connection.ForgetChunkStream(RtmpMediaEncoding.VideoChunkStreamId);

        // And the connection's writer again, whose history predates the shared message.
        connection.WriteMessage(output, RtmpMediaEncoding.VideoChunkStreamId, RtmpMessageType.Video, 1, 120, Payload(10));

        using var reader = new RtmpChunkReader();
        var input = new SequenceReader<byte>(new ReadOnlySequence<byte>(output.WrittenMemory));
        var messages = new List<(uint Timestamp, RtmpMessageType Type, byte[] Payload)>();
        while (reader.TryReadMessage(ref input, out var message))
        {
            using (message)
            {
                Assert.Equal(1u, message.Header.MessageStreamId);
                messages.Add((message.Header.Timestamp, message.Header.Type, message.Payload.ToArray()));
            }
        }

        Assert.Equal(0, input.Remaining);
        Assert.Equal(4, messages.Count);
        Assert.Equal((0x01000000u, RtmpMessageType.Audio), (messages[2].Timestamp, messages[2].Type));
        Assert.Equal(shared, messages[2].Payload);
        Assert.Equal((120u, RtmpMessageType.Video), (messages[3].Timestamp, messages[3].Type));
        Assert.Equal(Payload(10), messages[3].Payload);

        // The last message starts with a type 0 header: fmt bits 00 on chunk stream 6.
        Assert.Equal(0x06, output.WrittenSpan[^(10 + 11 + 1)]);
    }
}
