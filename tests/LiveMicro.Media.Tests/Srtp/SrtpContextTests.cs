using System.Buffers.Binary;
using LiveMicro.Media.Srtp;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Srtp;

/// <summary>Against RFC 3711's key derivation vector (appendix B.3) and the packets libsrtp's own validation
/// protects with the same master key (srtp_validate: SSRC 0xcafebabe, sequence 0x1234, rollover 0).</summary>
public sealed class SrtpContextTests
{
    private static readonly byte[] MasterKey = Vectors.Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
    private static readonly byte[] MasterSalt = Vectors.Hex("0EC675AD498AFEEBB6960B3AABE6");

    private static readonly byte[] RtpPlain = Vectors.Hex("800f1234 decafbad cafebabe abababababababababababababababab");
    private static readonly byte[] SrtpPacket = Vectors.Hex("800f1234 decafbad cafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb");
    private static readonly byte[] RtcpPlain = Vectors.Hex("81c8000b cafebabe abababababababababababababababab");
    private static readonly byte[] SrtcpPacket = Vectors.Hex("81c8000b cafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798");

    private static SrtpContext NewContext() => new(MasterKey, MasterSalt);

    [Fact]
    public void Session_keys_derive_as_RFC_3711_lists_them()
    {
        using var context = NewContext();

        var (encryption, authentication, salt) = context.RtpKeys;

        Assert.Equal("C61E7A93744F39EE10734AFE3FF7A087", Convert.ToHexString(encryption));
        Assert.Equal("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", Convert.ToHexString(authentication));
        Assert.Equal("30CBBC08863D8C85D49DB34A9AE1", Convert.ToHexString(salt));
    }

    [Fact]
    public void An_RTP_packet_is_protected_and_unprotected_byte_for_byte()
    {
        using var sender = NewContext();
        var buffer = new byte[64];
        RtpPlain.CopyTo(buffer, 0);
        Assert.Equal(Convert.ToHexString(SrtpPacket), Convert.ToHexString(buffer, 0, sender.ProtectRtp(buffer, RtpPlain.Length)));

        using var receiver = NewContext();
        var packet = SrtpPacket.ToArray();
        Assert.True(receiver.TryUnprotectRtp(packet, out var length));
        Assert.Equal(Convert.ToHexString(RtpPlain), Convert.ToHexString(packet, 0, length));
    }

    [Fact]
    public void An_RTCP_packet_is_protected_and_unprotected_byte_for_byte()
    {
        using var sender = NewContext();
        var buffer = new byte[64];
        RtcpPlain.CopyTo(buffer, 0);
        Assert.Equal(Convert.ToHexString(SrtcpPacket), Convert.ToHexString(buffer, 0, sender.ProtectRtcp(buffer, RtcpPlain.Length)));

        using var receiver = NewContext();
        var packet = SrtcpPacket.ToArray();
        Assert.True(receiver.TryUnprotectRtcp(packet, out var length));
        Assert.Equal(Convert.ToHexString(RtcpPlain), Convert.ToHexString(packet, 0, length));
    }

    [Fact]
    public void A_packet_with_a_changed_byte_or_tag_or_another_key_is_refused_unchanged()
    {
        using var receiver = NewContext();
        for (var i = 0; i < SrtpPacket.Length; i++)
        {
            var packet = SrtpPacket.ToArray();
            packet[i] ^= 0x01;
            var before = packet.ToArray();
            Assert.False(receiver.TryUnprotectRtp(packet, out _), $"byte {i} changed");
            Assert.Equal(before, packet);
        }

        using var other = new SrtpContext(MasterKey, Vectors.Hex("0EC675AD498AFEEBB6960B3AABE7"));
        Assert.False(other.TryUnprotectRtp(SrtpPacket.ToArray(), out _));
        Assert.False(other.TryUnprotectRtcp(SrtcpPacket.ToArray(), out _));
        Assert.False(receiver.TryUnprotectRtp(SrtpPacket.AsSpan(0, 21).ToArray(), out _));

        // none of the refusals above counted: the genuine packet still passes
        Assert.True(receiver.TryUnprotectRtp(SrtpPacket.ToArray(), out _));
    }

    [Fact]
    public void A_replayed_packet_or_one_older_than_the_window_is_refused_and_late_ones_within_it_pass()
    {
        using var sender = NewContext();
        using var receiver = NewContext();
        var packets = Enumerable.Range(0, 100).Select(i => Protect(sender, (ushort)(1000 + i))).ToList();

        Assert.True(receiver.TryUnprotectRtp(packets[99].ToArray(), out _));
        Assert.False(receiver.TryUnprotectRtp(packets[99].ToArray(), out _)); // replayed
        Assert.True(receiver.TryUnprotectRtp(packets[50].ToArray(), out _)); // late, inside the 64-packet window
        Assert.False(receiver.TryUnprotectRtp(packets[50].ToArray(), out _));
        Assert.False(receiver.TryUnprotectRtp(packets[20].ToArray(), out _)); // older than the window
    }

    [Fact]
    public void Sequence_numbers_wrap_into_the_next_rollover_and_late_packets_from_before_the_wrap_still_decrypt()
    {
        using var sender = NewContext();
        using var receiver = NewContext();
        var sequences = new ushort[] { 65533, 65534, 65535, 0, 1, 2 };
        var packets = sequences.Select(s => Protect(sender, s)).ToList();

        foreach (var i in new[] { 0, 1, 3, 4, 2, 5 }) // 65535 arrives after the wrap
        {
            var packet = packets[i].ToArray();
            Assert.True(receiver.TryUnprotectRtp(packet, out var length), $"packet {sequences[i]}");
            Assert.Equal(Payload(sequences[i]), packet.AsSpan(12, length - 12).ToArray());
        }
    }

    [Fact]
    public void A_header_extension_and_CSRCs_stay_in_the_clear()
    {
        using var sender = NewContext();
        using var receiver = NewContext();
        // V=2, X=1, CC=1; one CSRC; a one-word extension (RFC 8285's 0xBEDE form)
        var rtp = Vectors.Hex("9160 0001 00000010 11111111 22222222 BEDE0001 10AA0000 0102030405");
        var buffer = new byte[64];
        rtp.CopyTo(buffer, 0);

        var length = sender.ProtectRtp(buffer, rtp.Length);

        Assert.Equal(rtp.AsSpan(0, 24).ToArray(), buffer.AsSpan(0, 24).ToArray());
        Assert.NotEqual(rtp.AsSpan(24).ToArray(), buffer.AsSpan(24, 5).ToArray());
        Assert.True(receiver.TryUnprotectRtp(buffer.AsSpan(0, length), out var plainLength));
        Assert.Equal(rtp, buffer.AsSpan(0, plainLength).ToArray());
    }

    private static byte[] Payload(ushort sequence) => [.. BitConverter.GetBytes(sequence), 1, 2, 3];

    private static byte[] Protect(SrtpContext sender, ushort sequence)
    {
        var buffer = new byte[64];
        buffer[0] = 0x80;
        buffer[1] = 96;
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(8), 0x1234);
        Payload(sequence).CopyTo(buffer, 12);
        return buffer[..sender.ProtectRtp(buffer, 12 + 5)];
    }
}
