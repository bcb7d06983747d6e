using System.Net;
using System.Security.Cryptography;
using System.Text;
using LiveMicro.Media.Ice;
using LiveMicro.Media.Stun;
using LiveMicro.Media.Tests.Stun;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Ice;

public sealed class IceLiteAgentTests
{
    private static readonly IceCredentials Server = new("srvA", "server-password-0123456789");
    private static readonly IceCredentials Browser = new("brwB", "browser-password-0123456789");
    private static readonly IPEndPoint From = IPEndPoint.Parse("192.0.2.7:50000");

    private readonly IceLiteAgent _agent = new(Server, Browser, TimeProvider.System);

    /// <summary>A check as the controlling browser sends it (RFC 8445 section 7.2.2).</summary>
    private static byte[] Check(bool useCandidate = false, string? username = "srvA:brwB", string password = "server-password-0123456789",
        bool controlled = false, ushort extraAttribute = 0, bool integrity = true, bool fingerprint = true, StunClass messageClass = StunClass.Request)
    {
        var buffer = new byte[256];
        var check = new StunMessageWriter(buffer, StunMethods.Binding, messageClass, RandomNumberGenerator.GetBytes(12));
        if (username is not null) check.AddText(StunAttributes.Username, username);
        check.AddUInt32(StunAttributes.Priority, 0x6e0001ff);
        check.AddUInt64(controlled ? StunAttributes.IceControlled : StunAttributes.IceControlling, 42);
        if (useCandidate) check.Add(StunAttributes.UseCandidate, []);
        if (extraAttribute != 0) check.AddUInt32(extraAttribute, 7);
        if (integrity) check.AddMessageIntegrity(Encoding.UTF8.GetBytes(password));
        if (fingerprint) check.AddFingerprint();
        return check.Written.ToArray();
    }

    private (IceCheckOutcome Outcome, byte[] Response) Answer(byte[] datagram, IPEndPoint? from = null)
    {
        var response = new byte[IceLiteAgent.MaxResponseLength];
        var outcome = _agent.Answer(datagram, from ?? From, response, out var written);
        return (outcome, response[..written]);
    }

    private static int ErrorCode(byte[] response)
    {
        Assert.True(StunMessage.TryParse(response, out var error));
        Assert.Equal(StunClass.ErrorResponse, error.Class);
        Assert.True(error.VerifyFingerprint());
        Assert.True(error.TryGetAttribute(StunAttributes.ErrorCode, out var code));
        return code[2] * 100 + code[3];
    }

    [Fact]
    public void A_nominating_check_is_answered_signed_with_the_peers_address_and_selects_it()
    {
        var check = Check(useCandidate: true);

        var (outcome, response) = Answer(check);

        Assert.Equal(IceCheckOutcome.Nominated, outcome);
        Assert.Equal(From, _agent.Selected);
        Assert.NotNull(_agent.LastCheckAt);
        Assert.True(StunMessage.TryParse(response, out var success));
        Assert.Equal((StunMethods.Binding, StunClass.SuccessResponse), (success.Method, success.Class));
        Assert.Equal(check.AsSpan(8, 12).ToArray(), success.TransactionId.ToArray());
        Assert.True(success.TryGetXorMappedAddress(out var mapped));
        Assert.Equal(From, mapped);
        Assert.True(success.VerifyIntegrity(Encoding.UTF8.GetBytes(Server.Password)));
        Assert.True(success.VerifyFingerprint());
    }

    [Fact]
    public void A_check_without_nomination_is_answered_and_selects_nothing_and_a_later_nomination_moves_the_pair()
    {
        Assert.Equal(IceCheckOutcome.Answered, Answer(Check()).Outcome);
        Assert.Null(_agent.Selected);

        var other = IPEndPoint.Parse("[2001:db8::1]:40000");
        Assert.Equal(IceCheckOutcome.Nominated, Answer(Check(useCandidate: true)).Outcome);
        var (outcome, response) = Answer(Check(useCandidate: true), other);

        Assert.Equal(IceCheckOutcome.Nominated, outcome);
        Assert.Equal(other, _agent.Selected);
        Assert.True(StunMessage.TryParse(response, out var success));
        Assert.True(success.TryGetXorMappedAddress(out var mapped));
        Assert.Equal(other, mapped);
    }

    [Theory]
    [InlineData("srvA:brwX", "server-password-0123456789", 401)] // another session's remote fragment
    [InlineData("brwB:srvA", "server-password-0123456789", 401)] // the fragments the wrong way round
    [InlineData("srvA:brwB", "browser-password-0123456789", 401)] // signed with the wrong password
    [InlineData(null, "server-password-0123456789", 400)] // no USERNAME
    public void A_check_with_wrong_or_missing_credentials_is_refused_unsigned_and_selects_nothing(string? username, string password, int code)
    {
        var (outcome, response) = Answer(Check(useCandidate: true, username: username, password: password));

        Assert.Equal(IceCheckOutcome.Refused, outcome);
        Assert.Equal(code, ErrorCode(response));
        Assert.True(StunMessage.TryParse(response, out var error));
        Assert.False(error.HasMessageIntegrity);
        Assert.Null(_agent.Selected);
        Assert.Null(_agent.LastCheckAt);
    }

    [Fact]
    public void A_check_without_MESSAGE_INTEGRITY_is_a_bad_request()
    {
        var (outcome, response) = Answer(Check(integrity: false));

        Assert.Equal((IceCheckOutcome.Refused, 400), (outcome, ErrorCode(response)));
    }

    [Fact]
    public void An_unknown_comprehension_required_attribute_is_named_in_a_signed_420()
    {
        var (outcome, response) = Answer(Check(useCandidate: true, extraAttribute: 0x7ABC));

        Assert.Equal((IceCheckOutcome.Refused, 420), (outcome, ErrorCode(response)));
        Assert.True(StunMessage.TryParse(response, out var error));
        Assert.True(error.TryGetAttribute(StunAttributes.UnknownAttributes, out var unknown));
        Assert.Equal("7ABC", Convert.ToHexString(unknown));
        Assert.True(error.VerifyIntegrity(Encoding.UTF8.GetBytes(Server.Password)));
        Assert.Null(_agent.Selected);
    }

    [Fact]
    public void An_unknown_comprehension_optional_attribute_is_passed_over()
    {
        Assert.Equal(IceCheckOutcome.Nominated, Answer(Check(useCandidate: true, extraAttribute: 0xC057)).Outcome);
    }

    [Fact]
    public void A_peer_that_claims_the_controlled_role_gets_a_signed_role_conflict()
    {
        var (outcome, response) = Answer(Check(useCandidate: true, controlled: true));

        Assert.Equal((IceCheckOutcome.Refused, 487), (outcome, ErrorCode(response)));
        Assert.True(StunMessage.TryParse(response, out var error) && error.VerifyIntegrity(Encoding.UTF8.GetBytes(Server.Password)));
        Assert.Null(_agent.Selected);
    }

    [Fact]
    public void Indications_responses_checks_without_fingerprint_and_other_protocols_get_no_answer()
    {
        byte[][] datagrams =
        [
            Check(messageClass: StunClass.Indication),
            Check(messageClass: StunClass.SuccessResponse),
            Check(useCandidate: true, fingerprint: false),
            StunMessageTests.SampleIPv4Response,
            [0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40], // a DTLS record
            [0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], // an RTP header
            [],
        ];

        foreach (var datagram in datagrams)
        {
            var (outcome, response) = Answer(datagram);
            Assert.Equal(IceCheckOutcome.Ignored, outcome);
            Assert.Empty(response);
        }

        Assert.Null(_agent.Selected);
    }

    [Fact]
    public void Mutated_checks_are_answered_or_ignored_never_thrown_out()
    {
        var corpus = new[] { Check(useCandidate: true), Check(), StunMessageTests.SampleRequest };
        var response = new byte[IceLiteAgent.MaxResponseLength];

        Fuzz.Run<ArgumentException>(Fuzz.Seed(5769), 20_000, corpus, datagram => _agent.Answer(datagram, From, response, out _), _ => 16 * 1024);
    }

    [Fact]
    public void Generated_credentials_are_valid_ice_chars_and_differ_each_time()
    {
        var (first, second) = (IceCredentials.Generate(), IceCredentials.Generate());

        Assert.True(IceCredentials.IsValid(first.Ufrag, first.Password));
        Assert.NotEqual(first, second);
        Assert.False(IceCredentials.IsValid("abc", first.Password));
        Assert.False(IceCredentials.IsValid("abcd", "too-short"));
        Assert.False(IceCredentials.IsValid("ab:d", first.Password));
    }
}
