using System.Buffers;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Rtmp;

public class RtmpChunkReaderTests
{
    private static byte[] Payload(int length, int seed = 1) => Enumerable.Range(0, length).Select(i => (byte)((i * 31) + seed)).ToArray();

    private static byte[] Concat(params object[] parts) =>
        parts.SelectMany(part => part switch
        {
            string hex => Vectors.Hex(hex),
            byte[] bytes => bytes,
            _ => throw new ArgumentException(part.GetType().Name),
        }).ToArray();

    /// <summary>RTMP 1.0 section 5.3.2.1: four 32-byte audio messages sent as type 0, 2, 3, 3 chunks.</summary>
    internal static byte[] SpecExample1()
    {
        var p = Payload(32);
        return Concat("03 0003E8 000020 08 39300000", p, "83 000014", p, "C3", p, "C3", p);
    }

    /// <summary>RTMP 1.0 section 5.3.2.2: one 307-byte video message in chunks of 128, 128 and 51 bytes.</summary>
    internal static byte[] SpecExample2(byte[] payload) =>
        Concat("04 0003E8 000133 09 3A300000", payload[..128], "C4", payload[128..256], "C4", payload[256..]);

    [Fact]
    public void Spec_example_1_type_2_and_3_chunks_reuse_the_delta()
    {
        var messages = ChunkFeeder.ReadAll(new RtmpChunkReader(), SpecExample1());

        Assert.Equal([1000u, 1020u, 1040u, 1060u], messages.Select(m => m.Header.Timestamp));
        Assert.All(messages, m =>
        {
            Assert.Equal(new RtmpMessageHeader(m.Header.Timestamp, 32, RtmpMessageType.Audio, 12345), m.Header);
            Assert.Equal(3, m.ChunkStreamId);
            Assert.Equal(Payload(32), m.Payload);
        });
    }

    [Fact]
    public void Spec_example_2_message_spanning_three_chunks_is_reassembled()
    {
        var payload = Payload(307);

        var message = Assert.Single(ChunkFeeder.ReadAll(new RtmpChunkReader(), SpecExample2(payload)));

        Assert.Equal(new RtmpMessageHeader(1000, 307, RtmpMessageType.Video, 12346), message.Header);
        Assert.Equal(payload, message.Payload);
    }

    [Fact]
    public void Extended_timestamp_on_fmt3_continuation_chunk_is_consumed()
    {
        var payload = Payload(200);
        var bytes = Concat("06 FFFFFF 0000C8 09 01000000 01000000", payload[..128], "C6 01000000", payload[128..]);

        var message = Assert.Single(ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes));

        Assert.Equal(new RtmpMessageHeader(0x01000000, 200, RtmpMessageType.Video, 1), message.Header);
        Assert.Equal(payload, message.Payload);
    }

    [Fact]
    public void Extended_timestamp_delta_on_fmt3_new_message_becomes_the_delta()
    {
        var bytes = Concat(
            "06 000000 000001 09 01000000 AA",
            "86 FFFFFF 01000000 BB",
            "C6 01000000 CC");

        var messages = ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes);

        Assert.Equal([0u, 0x01000000u, 0x02000000u], messages.Select(m => m.Header.Timestamp));
    }

    [Fact]
    public void Fmt3_new_message_after_fmt0_reuses_the_fmt0_timestamp_as_delta_like_ffmpeg_writes_it()
    {
        var bytes = Concat("05 000028 000001 09 01000000 AA", "C5 BB", "C5 CC");

        var messages = ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes);

        Assert.Equal([40u, 80u, 120u], messages.Select(m => m.Header.Timestamp));
    }

    [Theory]
    [InlineData("05", 5)]
    [InlineData("3F", 63)]
    [InlineData("00 00", 64)]
    [InlineData("00 FF", 319)]
    [InlineData("01 00 01", 320)]
    [InlineData("01 FF FF", 65599)]
    public void Basic_header_forms_address_chunk_streams_2_to_65599(string basicHeader, int chunkStreamId)
    {
        var bytes = Concat(basicHeader, "000000 000001 08 01000000 AA");

        var message = Assert.Single(ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes));

        Assert.Equal(chunkStreamId, message.ChunkStreamId);
    }

    [Fact]
    public void Interleaved_chunk_streams_are_reassembled_independently()
    {
        var video = Payload(300, 1);
        var audio = Payload(150, 2);
        var bytes = Concat(
            "06 000000 00012C 09 01000000", video[..128],
            "04 000000 000096 08 01000000", audio[..128],
            "C6", video[128..256],
            "C4", audio[128..],
            "C6", video[256..]);

        var messages = ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes);

        Assert.Equal(2, messages.Count);
        Assert.Equal(audio, messages[0].Payload);
        Assert.Equal(video, messages[1].Payload);
    }

    [Fact]
    public void Set_chunk_size_applies_to_following_chunks_and_is_not_returned()
    {
        var payload = Payload(300);
        var bytes = Concat("02 000000 000004 01 00000000 00001000", "06 000000 00012C 09 01000000", payload);
        var reader = new RtmpChunkReader();

        var message = Assert.Single(ChunkFeeder.ReadAll(reader, bytes));

        Assert.Equal(4096, reader.ChunkSize);
        Assert.Equal(payload, message.Payload);
    }

    [Theory]
    [InlineData("00000000")]
    [InlineData("01000000")]
    [InlineData("80000080")]
    public void Set_chunk_size_outside_1_to_0xFFFFFF_is_a_protocol_error(string size)
    {
        var bytes = Concat("02 000000 000004 01 00000000", size);

        var exception = Assert.Throws<RtmpProtocolException>(() => ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes));

        Assert.Equal(RtmpProtocolError.ChunkSizeOutOfRange, exception.Error);
    }

    [Fact]
    public void Abort_drops_the_partial_message_on_its_chunk_stream()
    {
        var bytes = Concat(
            "06 000000 00012C 09 01000000", Payload(128),
            "02 000000 000004 02 00000000 00000006",
            "06 000010 000002 09 01000000 ABCD");

        var message = Assert.Single(ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes));

        Assert.Equal(new RtmpMessageHeader(16, 2, RtmpMessageType.Video, 1), message.Header);
        Assert.Equal([0xAB, 0xCD], message.Payload);
    }

    [Fact]
    public void Message_longer_than_the_limit_is_refused_before_its_payload_is_buffered()
    {
        var reader = new RtmpChunkReader(new RtmpChunkReaderLimits { MaxMessageLength = 1000 });
        var bytes = Concat("06 000000 0003E9 09 01000000");

        var exception = Assert.Throws<RtmpProtocolException>(() => ChunkFeeder.ReadAll(reader, bytes));

        Assert.Equal(RtmpProtocolError.MessageTooLarge, exception.Error);
    }

    [Fact]
    public void Announced_message_length_is_not_allocated_until_its_bytes_arrive()
    {
        var bytes = Concat("06 000000 7FFFFF 09 01000000 AA");
        using var reader = new RtmpChunkReader();
        var sequenceReader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));

        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.False(reader.TryReadMessage(ref sequenceReader, out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 16 * 1024, $"allocated {allocated} bytes for a message announced as 8 MiB");
    }

    [Fact]
    public void Opening_more_chunk_streams_than_the_limit_is_refused()
    {
        var reader = new RtmpChunkReader(new RtmpChunkReaderLimits { MaxChunkStreams = 2 });
        var bytes = Concat("04 000000 000001 08 01000000 AA", "05 000000 000001 08 01000000 AA", "06 000000 000001 08 01000000 AA");

        var exception = Assert.Throws<RtmpProtocolException>(() => ChunkFeeder.ReadAll(reader, bytes));

        Assert.Equal(RtmpProtocolError.TooManyChunkStreams, exception.Error);
    }

    [Theory]
    [InlineData("44 000000 000001 08 AA")]
    [InlineData("84 000000 AA")]
    [InlineData("C4 AA")]
    public void Chunk_stream_that_does_not_start_with_fmt0_is_refused(string hex)
    {
        var exception = Assert.Throws<RtmpProtocolException>(() => ChunkFeeder.ReadAll(new RtmpChunkReader(), Vectors.Hex(hex)));

        Assert.Equal(RtmpProtocolError.MissingInitialChunkHeader, exception.Error);
    }

    [Fact]
    public void Fmt0_header_interrupting_an_incomplete_message_is_refused()
    {
        var bytes = Concat("06 000000 00012C 09 01000000", Payload(128), "06 000000 000001 09 01000000 AA");

        var exception = Assert.Throws<RtmpProtocolException>(() => ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes));

        Assert.Equal(RtmpProtocolError.UnexpectedChunkHeader, exception.Error);
    }

    [Fact]
    public void Acknowledgement_is_due_once_the_window_is_received()
    {
        var reader = new RtmpChunkReader();
        var windowMessage = Concat("02 000000 000004 05 00000000 00000064");
        ChunkFeeder.ReadAll(reader, windowMessage);
        Assert.Equal(100u, reader.WindowAcknowledgementSize);
        Assert.False(reader.TryTakeAcknowledgement(out _));

        ChunkFeeder.ReadAll(reader, Concat("06 000000 000050 09 01000000", Payload(80)));

        Assert.True(reader.TryTakeAcknowledgement(out var sequenceNumber));
        Assert.Equal(16u + 12 + 80, sequenceNumber);
        Assert.False(reader.TryTakeAcknowledgement(out _));
    }

    [Fact]
    public void Zero_length_message_is_returned_with_an_empty_payload()
    {
        var message = Assert.Single(ChunkFeeder.ReadAll(new RtmpChunkReader(), Vectors.Hex("03 000000 000000 14 00000000")));

        Assert.Empty(message.Payload);
    }

    [Fact]
    public void Ffmpeg_publish_session_reads_into_commands_metadata_and_media()
    {
        var messages = ChunkFeeder.ReadAll(new RtmpChunkReader(), Vectors.Load("ffmpeg-publish-chunks.bin"));

        Assert.Equal(Vectors.FfmpegConnectCommand, messages[0].Payload);
        Assert.Equal(new RtmpMessageHeader(0, 140, RtmpMessageType.CommandAmf0, 0), messages[0].Header);
        Assert.Equal(Vectors.FfmpegPublishCommand, messages[4].Payload);
        Assert.Equal(1u, messages[4].Header.MessageStreamId);
        Assert.Equal(RtmpMessageType.DataAmf0, messages[5].Header.Type);
        // 25 frames plus the AVC sequence header and end-of-sequence; 45 frames plus the AAC sequence header.
        Assert.Equal(27, messages.Count(m => m.Header.Type == RtmpMessageType.Video));
        Assert.Equal(46, messages.Count(m => m.Header.Type == RtmpMessageType.Audio));
    }

    [Fact]
    public void Ffmpeg_publish_session_read_one_byte_at_a_time_gives_the_same_messages()
    {
        var bytes = Vectors.Load("ffmpeg-publish-chunks.bin");
        var whole = ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes);

        var byteByByte = ChunkFeeder.ReadInPieces(new RtmpChunkReader(), bytes, Enumerable.Repeat(1, bytes.Length));

        AssertSameMessages(whole, byteByByte, "byte by byte");
    }

    [Fact]
    public void Ffmpeg_publish_session_split_at_every_offset_gives_the_same_messages()
    {
        var bytes = Vectors.Load("ffmpeg-publish-chunks.bin");
        var whole = ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes);

        for (var split = 1; split < bytes.Length; split++)
        {
            // The second piece starts where the reader stopped, as a pipe would present unconsumed bytes again.
            var reader = new RtmpChunkReader();
            var index = 0;
            var first = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, split));
            ReadComparing(reader, ref first, whole, ref index, split);
            var consumed = (int)first.Consumed;
            var second = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, consumed, bytes.Length - consumed));
            ReadComparing(reader, ref second, whole, ref index, split);

            if (index != whole.Count)
            {
                Assert.Fail($"split {split}: {index} messages instead of {whole.Count}");
            }
        }
    }

    private static void ReadComparing(RtmpChunkReader reader, ref SequenceReader<byte> input, List<ReadMessage> expected, ref int index, int split)
    {
        while (reader.TryReadMessage(ref input, out var message))
        {
            using (message)
            {
                var wanted = expected[index++];
                if (message.Header != wanted.Header || message.ChunkStreamId != wanted.ChunkStreamId || !message.Payload.SequenceEqual(wanted.Payload))
                {
                    Assert.Fail($"split {split}: message {index - 1} differs");
                }
            }
        }
    }

    [Fact]
    public void Ffmpeg_publish_session_in_a_two_segment_sequence_split_at_every_header_offset_gives_the_same_messages()
    {
        var bytes = Vectors.Load("ffmpeg-publish-chunks.bin");
        var whole = ChunkFeeder.ReadAll(new RtmpChunkReader(), bytes);

        for (var split = 1; split < 2048; split++)
        {
            var reader = new RtmpChunkReader();
            var sequence = Bytes.Segmented(bytes.AsMemory(0, split), bytes.AsMemory(split));
            var sequenceReader = new SequenceReader<byte>(sequence);
            var messages = new List<ReadMessage>();
            while (reader.TryReadMessage(ref sequenceReader, out var message))
            {
                using (message)
                {
                    messages.Add(new ReadMessage(message.Header, message.ChunkStreamId, message.Payload.ToArray()));
                }
            }

            AssertSameMessages(whole, messages, $"segment split {split}");
        }
    }

    [Fact]
    public void Reading_media_messages_does_not_allocate_once_warm()
    {
        var bytes = Vectors.Load("ffmpeg-publish-chunks.bin");
        var sequence = new ReadOnlySequence<byte>(bytes);
        ReadAllDisposing(sequence);

        var before = GC.GetAllocatedBytesForCurrentThread();
        ReadAllDisposing(sequence);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The reader object and its per-chunk-stream state; nothing proportional to the ~300 chunks.
        Assert.True(allocated < 2048, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Mutated_chunk_streams_read_or_throw_rtmp_protocol_exception(int fallbackSeed)
    {
        var session = Vectors.Load("ffmpeg-publish-chunks.bin");
        var corpus = new[]
        {
            session[..1200],
            session[^3000..],
            SpecExample1(),
            SpecExample2(Payload(307)),
            Concat("02 000000 000004 01 00000000 00001000", "06 FFFFFF 00012C 09 01000000 01000000", Payload(300), "02 000000 000004 02 00000000 00000006"),
        };

        // Pooled arrays are allocated the first time each size is rented; beyond that, memory follows the input.
        Fuzz.Run<RtmpProtocolException>(Fuzz.Seed(fallbackSeed), 10_000, corpus, input =>
        {
            using var reader = new RtmpChunkReader();
            var sequenceReader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));
            while (reader.TryReadMessage(ref sequenceReader, out var message))
            {
                message.Dispose();
            }
        }, allocationBudget: length => (64 * 1024) + (length * 8L));
    }

    private static void ReadAllDisposing(ReadOnlySequence<byte> sequence)
    {
        var reader = new RtmpChunkReader();
        var sequenceReader = new SequenceReader<byte>(sequence);
        while (reader.TryReadMessage(ref sequenceReader, out var message))
        {
            message.Dispose();
        }
    }

    private static void AssertSameMessages(List<ReadMessage> expected, List<ReadMessage> actual, string context)
    {
        Assert.True(expected.Count == actual.Count, $"{context}: {actual.Count} messages instead of {expected.Count}");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].SameAs(actual[i]), $"{context}: message {i} differs: {actual[i]} vs {expected[i]}");
        }
    }
}
