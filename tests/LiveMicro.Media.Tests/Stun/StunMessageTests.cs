using System.Net;
using System.Text;
using LiveMicro.Media.Stun;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Stun;

/// <summary>Against the test vectors of RFC 5769 ("Test Vectors for STUN"), read and written byte for byte.</summary>
public sealed class StunMessageTests
{
    private const string Password = "VOkJxbRl1RmTxUk/WvJxBt";
    private static readonly byte[] TransactionId = Vectors.Hex("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae");
    private static readonly byte[] Key = Encoding.UTF8.GetBytes(Password);

    /// <summary>RFC 5769 section 2.1: a Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
    /// MESSAGE-INTEGRITY and FINGERPRINT (its padding is spaces).</summary>
    public static readonly byte[] SampleRequest = Vectors.Hex("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """);

    /// <summary>RFC 5769 section 2.2: the success response, XOR-MAPPED-ADDRESS 192.0.2.1:32853.</summary>
    public static readonly byte[] SampleIPv4Response = Vectors.Hex("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """);

    /// <summary>RFC 5769 section 2.3: the same over IPv6, [2001:db8:1234:5678:11:2233:4455:6677]:32853.</summary>
    public static readonly byte[] SampleIPv6Response = Vectors.Hex("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """);

    private static readonly IPEndPoint IPv4Mapped = new(IPAddress.Parse("192.0.2.1"), 32853);
    private static readonly IPEndPoint IPv6Mapped = new(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853);

    [Fact]
    public void The_sample_request_reads_with_its_attributes_and_checks_out_with_the_password()
    {
        Assert.True(StunMessage.TryParse(SampleRequest, out var request));

        Assert.Equal((StunMethods.Binding, StunClass.Request), (request.Method, request.Class));
        Assert.Equal(TransactionId, request.TransactionId.ToArray());
        Assert.True(request.TryGetAttribute(StunAttributes.Username, out var username));
        Assert.Equal("evtj:h6vY", Encoding.UTF8.GetString(username));
        Assert.True(request.TryGetAttribute(StunAttributes.Software, out var software));
        Assert.Equal("STUN test client", Encoding.UTF8.GetString(software));
        Assert.True(request.TryGetUInt32(StunAttributes.Priority, out var priority));
        Assert.Equal(0x6e0001ffu, priority);
        Assert.True(request.TryGetUInt64(StunAttributes.IceControlled, out var tiebreaker));
        Assert.Equal(0x932ff9b151263b36ul, tiebreaker);
        Assert.True(request.VerifyIntegrity(Key));
        Assert.True(request.VerifyFingerprint());
        Assert.False(request.VerifyIntegrity("VOkJxbRl1RmTxUk/WvJxBT"u8));
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public void The_sample_responses_read_with_their_mapped_address(byte[] vector, string address)
    {
        Assert.True(StunMessage.TryParse(vector, out var response));

        Assert.Equal((StunMethods.Binding, StunClass.SuccessResponse), (response.Method, response.Class));
        Assert.True(response.TryGetXorMappedAddress(out var mapped));
        Assert.Equal(IPEndPoint.Parse(address), mapped);
        Assert.True(response.TryGetAttribute(StunAttributes.Software, out var software));
        Assert.Equal("test vector", Encoding.UTF8.GetString(software));
        Assert.True(response.VerifyIntegrity(Key));
        Assert.True(response.VerifyFingerprint());
    }

    public static TheoryData<byte[], string> Responses() => new()
    {
        { SampleIPv4Response, "192.0.2.1:32853" },
        { SampleIPv6Response, "[2001:db8:1234:5678:11:2233:4455:6677]:32853" },
    };

    [Fact]
    public void The_writer_makes_the_sample_request_byte_for_byte()
    {
        var buffer = new byte[256];
        var request = new StunMessageWriter(buffer, StunMethods.Binding, StunClass.Request, TransactionId);
        request.AddText(StunAttributes.Software, "STUN test client");
        request.AddUInt32(StunAttributes.Priority, 0x6e0001ff);
        request.AddUInt64(StunAttributes.IceControlled, 0x932ff9b151263b36);
        request.Add(StunAttributes.Username, "evtj:h6vY"u8, padding: 0x20);
        request.AddMessageIntegrity(Key);
        request.AddFingerprint();

        Assert.Equal(Convert.ToHexString(SampleRequest), Convert.ToHexString(request.Written));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_writer_makes_the_sample_responses_byte_for_byte(bool ipv6)
    {
        var buffer = new byte[256];
        var response = new StunMessageWriter(buffer, StunMethods.Binding, StunClass.SuccessResponse, TransactionId);
        response.Add(StunAttributes.Software, "test vector"u8, padding: 0x20);
        response.AddXorMappedAddress(ipv6 ? IPv6Mapped : IPv4Mapped);
        response.AddMessageIntegrity(Key);
        response.AddFingerprint();

        Assert.Equal(Convert.ToHexString(ipv6 ? SampleIPv6Response : SampleIPv4Response), Convert.ToHexString(response.Written));
    }

    [Fact]
    public void An_error_response_carries_its_class_code_and_reason()
    {
        var buffer = new byte[128];
        var error = new StunMessageWriter(buffer, StunMethods.Binding, StunClass.ErrorResponse, TransactionId);
        error.AddErrorCode(487, "Role Conflict");
        error.AddFingerprint();

        Assert.Equal("0111", Convert.ToHexString(error.Written[..2]));
        Assert.True(StunMessage.TryParse(error.Written, out var parsed));
        Assert.Equal(StunClass.ErrorResponse, parsed.Class);
        Assert.True(parsed.TryGetAttribute(StunAttributes.ErrorCode, out var code));
        Assert.Equal("00000457" + Convert.ToHexString("Role Conflict"u8), Convert.ToHexString(code));
        Assert.True(parsed.VerifyFingerprint());
    }

    [Fact]
    public void Every_truncation_and_a_wrong_cookie_length_or_layout_is_refused()
    {
        for (var length = 0; length < SampleRequest.Length; length++)
        {
            Assert.False(StunMessage.TryParse(SampleRequest.AsSpan(0, length), out _), $"cut at {length}");
        }

        Assert.False(StunMessage.TryParse(With(SampleRequest, 4, 0x22), out _)); // magic cookie
        Assert.False(StunMessage.TryParse(With(SampleRequest, 0, 0x40), out _)); // the two top bits
        Assert.False(StunMessage.TryParse(With(SampleRequest, 3, 0x5C), out _)); // length past the end
        Assert.False(StunMessage.TryParse(With(SampleRequest, 23, 0x50), out _)); // SOFTWARE running past the end
        Assert.False(StunMessage.TryParse([.. SampleRequest[..3], 0x5C, .. SampleRequest[4..], 0x80, 0x22, 0, 0], out _)); // after FINGERPRINT
    }

    [Fact]
    public void Attributes_after_MESSAGE_INTEGRITY_other_than_FINGERPRINT_are_not_read()
    {
        var buffer = new byte[128];
        var message = new StunMessageWriter(buffer, StunMethods.Binding, StunClass.Request, TransactionId);
        message.AddMessageIntegrity(Key);
        message.AddUInt32(StunAttributes.Priority, 1);

        Assert.True(StunMessage.TryParse(message.Written, out var parsed));
        Assert.False(parsed.HasAttribute(StunAttributes.Priority));
        Assert.True(parsed.VerifyIntegrity(Key));
    }

    [Fact]
    public void Fingerprints_use_the_ISO_3309_CRC_32()
    {
        Assert.Equal(0xCBF43926u, Crc32.Finish(Crc32.Append(Crc32.Initial, "123456789"u8)));
        Assert.False(StunMessage.TryParse(With(SampleRequest, SampleRequest.Length - 1, 0xCE), out var request) && request.VerifyFingerprint());
    }

    private static byte[] With(byte[] bytes, int index, byte value)
    {
        var copy = bytes.ToArray();
        copy[index] = value;
        return copy;
    }
}
