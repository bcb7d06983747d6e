using System.Buffers;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Rtmp;

public class RtmpChunkWriterTests
{
    private static byte[] Payload(int length, int seed = 1) => Enumerable.Range(0, length).Select(i => (byte)((i * 31) + seed)).ToArray();

    [Fact]
    public void Four_equal_audio_messages_are_written_as_spec_example_1_with_type_0_2_3_3_headers()
    {
        var writer = new RtmpChunkWriter();

        var bytes = Bytes.Write(output =>
        {
            foreach (var timestamp in new uint[] { 1000, 1020, 1040, 1060 })
            {
                writer.WriteMessage(output, 3, RtmpMessageType.Audio, 12345, timestamp, Payload(32));
            }
        });

        Assert.Equal(RtmpChunkReaderTests.SpecExample1(), bytes);
    }

    [Fact]
    public void Message_longer_than_the_chunk_size_is_written_as_spec_example_2()
    {
        var payload = Payload(307);

        var bytes = Bytes.Write(output => new RtmpChunkWriter().WriteMessage(output, 4, RtmpMessageType.Video, 12346, 1000, payload));

        Assert.Equal(RtmpChunkReaderTests.SpecExample2(payload), bytes);
    }

    [Fact]
    public void Changed_length_uses_fmt1_and_changed_stream_or_earlier_timestamp_uses_fmt0()
    {
        var writer = new RtmpChunkWriter();

        var bytes = Bytes.Write(output =>
        {
            writer.WriteMessage(output, 6, RtmpMessageType.Video, 1, 100, [0xAA]);
            writer.WriteMessage(output, 6, RtmpMessageType.Video, 1, 140, [0xBB, 0xCC]);
            writer.WriteMessage(output, 6, RtmpMessageType.Video, 2, 150, [0xDD]);
            writer.WriteMessage(output, 6, RtmpMessageType.Video, 2, 120, [0xEE]);
        });

        Assert.Equal(Vectors.Hex(
            "06 000064 000001 09 01000000 AA" +
            "46 000028 000002 09 BBCC" +
            "06 000096 000001 09 02000000 DD" +
            "06 000078 000001 09 02000000 EE"), bytes);
    }

    [Fact]
    public void Extended_timestamp_is_written_on_the_header_and_every_continuation_chunk()
    {
        var payload = Payload(200);

        var bytes = Bytes.Write(output => new RtmpChunkWriter().WriteMessage(output, 6, RtmpMessageType.Video, 1, 0x01000000, payload));

        Assert.Equal([.. Vectors.Hex("06 FFFFFF 0000C8 09 01000000 01000000"), .. payload[..128], .. Vectors.Hex("C6 01000000"), .. payload[128..]], bytes);
    }

    [Theory]
    [InlineData(64, "00 00")]
    [InlineData(319, "00 FF")]
    [InlineData(320, "01 00 01")]
    [InlineData(65599, "01 FF FF")]
    public void Chunk_stream_ids_above_63_use_two_or_three_byte_basic_headers(int chunkStreamId, string basicHeader)
    {
        var bytes = Bytes.Write(output => new RtmpChunkWriter().WriteMessage(output, chunkStreamId, RtmpMessageType.Audio, 1, 0, [0xAA]));

        Assert.Equal(Vectors.Hex(basicHeader + "000000 000001 08 01000000 AA"), bytes);
    }

    [Fact]
    public void Protocol_control_messages_are_written_on_chunk_stream_2_message_stream_0()
    {
        var writer = new RtmpChunkWriter();

        var bytes = Bytes.Write(output =>
        {
            writer.WriteWindowAcknowledgementSize(output, 2_500_000);
            writer.WriteSetPeerBandwidth(output, 2_500_000, RtmpPeerBandwidthLimitType.Dynamic);
            writer.WriteAcknowledgement(output, 0x01020304);
            writer.WriteAbort(output, 6);
            writer.WriteSetChunkSize(output, 4096);
        });

        Assert.Equal(Vectors.Hex(
            "02 000000 000004 05 00000000 002625A0" +
            "42 000000 000005 06 002625A0 02" +
            "42 000000 000004 03 01020304" +
            "42 000000 000004 02 00000006" +
            "42 000000 000004 01 00001000"), bytes);
        Assert.Equal(4096, writer.ChunkSize);
    }

    [Fact]
    public void Set_chunk_size_applies_to_messages_written_after_it()
    {
        var writer = new RtmpChunkWriter();
        var payload = Payload(300);

        var bytes = Bytes.Write(output =>
        {
            writer.WriteSetChunkSize(output, 4096);
            writer.WriteMessage(output, 6, RtmpMessageType.Video, 1, 0, payload);
        });

        Assert.Equal([.. Vectors.Hex("02 000000 000004 01 00000000 00001000 06 000000 00012C 09 01000000"), .. payload], bytes);
    }

    [Fact]
    public void Random_messages_round_trip_through_writer_and_reader()
    {
        var random = new Random(42);
        var writer = new RtmpChunkWriter();
        var output = new ArrayBufferWriter<byte>();
        var expected = new List<ReadMessage>();
        var timestamps = new Dictionary<int, uint>();
        for (var i = 0; i < 500; i++)
        {
            if (i % 100 == 50)
            {
                writer.WriteSetChunkSize(output, random.Next(1, 5000));
            }

            var chunkStreamId = new[] { 3, 4, 6, 70, 400 }[random.Next(5)];
            var type = random.Next(2) == 0 ? RtmpMessageType.Audio : RtmpMessageType.Video;
            var messageStreamId = (uint)random.Next(1, 3);
            var step = random.Next(4) switch { 0 => 0u, 1 => 40u, 2 => (uint)random.Next(0x1000000, 0x2000000), _ => (uint)random.Next(100) };
            var timestamp = random.Next(20) == 0 ? (uint)random.Next(0, 1000) : timestamps.GetValueOrDefault(chunkStreamId) + step;
            timestamps[chunkStreamId] = timestamp;
            var payload = Payload(random.Next(3) == 0 ? 32 : random.Next(0, 2000), i);

            writer.WriteMessage(output, chunkStreamId, type, messageStreamId, timestamp, payload);
            expected.Add(new ReadMessage(new RtmpMessageHeader(timestamp, payload.Length, type, messageStreamId), chunkStreamId, payload));
        }

        var actual = ChunkFeeder.ReadAll(new RtmpChunkReader(), output.WrittenSpan.ToArray());

        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].SameAs(actual[i]), $"message {i}: {actual[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Writing_messages_does_not_allocate()
    {
        var writer = new RtmpChunkWriter();
        var output = new ArrayBufferWriter<byte>(1 << 20);
        var payload = Payload(5000);
        writer.WriteMessage(output, 6, RtmpMessageType.Video, 1, 0, payload);
        output.ResetWrittenCount();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (uint i = 1; i <= 100; i++)
        {
            writer.WriteMessage(output, 6, RtmpMessageType.Video, 1, i * 40, payload);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
