using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Rtmp;

public class RtmpServerHandshakeTests
{
    private const int PacketSize = RtmpServerHandshake.PacketSize;

    [Fact]
    public void C0_with_version_other_than_3_is_refused_as_soon_as_it_arrives()
    {
        var exception = Assert.Throws<RtmpProtocolException>(() => Feed(NewHandshake(), [6], new ArrayBufferWriter<byte>()));

        Assert.Equal(RtmpProtocolError.UnsupportedVersion, exception.Error);
    }

    [Fact]
    public void Simple_handshake_answers_s0_s1_s2_per_spec()
    {
        var c1 = new byte[PacketSize];
        BinaryPrimitives.WriteUInt32BigEndian(c1, 0x01020304);
        new Random(7).NextBytes(c1.AsSpan(8));
        var output = new ArrayBufferWriter<byte>();

        var completed = Feed(NewHandshake(), [3, .. c1], output);

        Assert.False(completed);
        var response = output.WrittenSpan;
        Assert.Equal(1 + (2 * PacketSize), response.Length);
        Assert.Equal(3, response[0]);
        var s1 = response.Slice(1, PacketSize);
        Assert.Equal(0x00000064u, BinaryPrimitives.ReadUInt32BigEndian(s1));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(s1[4..]));
        Assert.True(s1[8..].SequenceEqual(Filler(PacketSize - 8)));
        var s2 = response.Slice(1 + PacketSize, PacketSize);
        Assert.True(s2[..4].SequenceEqual(c1.AsSpan(0, 4)), "S2 time echoes C1 time");
        Assert.Equal(0x00000064u, BinaryPrimitives.ReadUInt32BigEndian(s2[4..]));
        Assert.True(s2[8..].SequenceEqual(c1.AsSpan(8)), "S2 random echoes C1 random");
    }

    [Fact]
    public void Ffmpeg_digest_c1_gets_a_digest_s1_and_a_signed_s2()
    {
        var c0c1 = Vectors.Load("ffmpeg-publish-c0c1.bin");
        var handshake = NewHandshake();
        var output = new ArrayBufferWriter<byte>();

        Feed(handshake, c0c1, output);

        Assert.Equal(RtmpHandshakeKind.DigestBlockFirst, handshake.Kind);
        AssertDigestResponse(c0c1.AsSpan(1), output.WrittenSpan, RtmpHandshakeKind.DigestBlockFirst);
    }

    [Fact]
    public void Key_block_first_digest_c1_is_recognised_and_answered_in_the_same_layout()
    {
        var c1 = new byte[PacketSize];
        new Random(3).NextBytes(c1);
        BinaryPrimitives.WriteUInt32BigEndian(c1.AsSpan(4), 0x80000702);
        var offset = RtmpServerHandshake.DigestOffset(c1, RtmpHandshakeKind.KeyBlockFirst);
        RtmpServerHandshake.ComputeDigest(c1, offset, RtmpServerHandshake.PlayerKeyBytes[..30], c1.AsSpan(offset, 32));
        var handshake = NewHandshake();
        var output = new ArrayBufferWriter<byte>();

        Feed(handshake, [3, .. c1], output);

        Assert.Equal(RtmpHandshakeKind.KeyBlockFirst, handshake.Kind);
        AssertDigestResponse(c1, output.WrittenSpan, RtmpHandshakeKind.KeyBlockFirst);
    }

    [Fact]
    public void C1_with_version_but_no_valid_digest_gets_the_simple_handshake()
    {
        var c0c1 = Vectors.Load("ffmpeg-publish-c0c1.bin");
        c0c1[600] ^= 0xFF;
        var handshake = NewHandshake();

        Feed(handshake, c0c1, new ArrayBufferWriter<byte>());

        Assert.Equal(RtmpHandshakeKind.Simple, handshake.Kind);
    }

    [Fact]
    public void Handshake_split_at_every_offset_completes_and_leaves_following_bytes_unread()
    {
        byte[] trailing = [0x03, 0x00, 0x00, 0x00];
        var all = Vectors.Load("ffmpeg-publish-c0c1.bin").Concat(Vectors.Load("ffmpeg-publish-c2.bin")).Concat(trailing).ToArray();
        var expected = new ArrayBufferWriter<byte>();
        Assert.True(Feed(NewHandshake(), all, expected));

        for (var split = 1; split < all.Length; split++)
        {
            var handshake = NewHandshake();
            var output = new ArrayBufferWriter<byte>();

            var first = new SequenceReader<byte>(new ReadOnlySequence<byte>(all, 0, split));
            var doneEarly = handshake.TryAdvance(ref first, output);
            var rest = all.AsMemory((int)first.Consumed);
            var second = new SequenceReader<byte>(new ReadOnlySequence<byte>(rest));
            var done = doneEarly || handshake.TryAdvance(ref second, output);

            Assert.True(done, $"split {split}");
            Assert.Equal(RtmpHandshakeState.Completed, handshake.State);
            Assert.Equal(trailing.Length, doneEarly ? all.Length - (int)first.Consumed : (int)second.Remaining);
            Assert.True(expected.WrittenSpan.SequenceEqual(output.WrittenSpan), $"split {split}");
        }
    }

    private static void AssertDigestResponse(ReadOnlySpan<byte> c1, ReadOnlySpan<byte> response, RtmpHandshakeKind kind)
    {
        Assert.Equal(3, response[0]);
        var s1 = response.Slice(1, PacketSize);
        Assert.NotEqual(0u, BinaryPrimitives.ReadUInt32BigEndian(s1[4..]));
        var s1DigestOffset = RtmpServerHandshake.DigestOffset(s1, kind);
        Span<byte> expected = stackalloc byte[32];
        RtmpServerHandshake.ComputeDigest(s1, s1DigestOffset, RtmpServerHandshake.ServerKeyBytes[..36], expected);
        Assert.True(expected.SequenceEqual(s1.Slice(s1DigestOffset, 32)), "S1 digest");

        var c1DigestOffset = RtmpServerHandshake.DigestOffset(c1, kind);
        var signingKey = HMACSHA256.HashData(RtmpServerHandshake.ServerKeyBytes, c1.Slice(c1DigestOffset, 32));
        var s2 = response.Slice(1 + PacketSize, PacketSize);
        Assert.True(HMACSHA256.HashData(signingKey, s2[..^32]).AsSpan().SequenceEqual(s2[^32..]), "S2 signature");
    }

    private static RtmpServerHandshake NewHandshake() => new(span => Filler(span.Length).CopyTo(span), serverTime: 100);

    private static byte[] Filler(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

    private static bool Feed(RtmpServerHandshake handshake, byte[] bytes, IBufferWriter<byte> output)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        return handshake.TryAdvance(ref reader, output);
    }
}
