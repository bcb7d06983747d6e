using System.Net;
using System.Security.Cryptography;
using System.Text;
using LiveMicro.Media.Stun;

namespace LiveMicro.Media.Ice;

/// <summary>A user fragment and password (RFC 8445 section 5.3), as SDP carries them in a=ice-ufrag and a=ice-pwd
/// (RFC 8839 section 5.4): ice-chars only, at least 4 and 22 of them.</summary>
public sealed record IceCredentials(string Ufrag, string Password)
{
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>Fresh credentials for one session: 48 and 144 random bits.</summary>
    public static IceCredentials Generate() =>
        new(RandomNumberGenerator.GetString(IceChars, 8), RandomNumberGenerator.GetString(IceChars, 24));

    public static bool IsValid(string ufrag, string password) =>
        ufrag.Length is >= 4 and <= 256 && password.Length is >= 22 and <= 256 &&
        ufrag.AsSpan().IndexOfAnyExcept(IceChars) < 0 && password.AsSpan().IndexOfAnyExcept(IceChars) < 0;
}

/// <summary>What <see cref="IceLiteAgent.Answer"/> made of a datagram.</summary>
public enum IceCheckOutcome
{
    /// <summary>Not a STUN Binding request (a keepalive indication, a response, a broken or fingerprint-less
    /// datagram): nothing to send.</summary>
    Ignored,

    /// <summary>A valid check, answered with a success response.</summary>
    Answered,

    /// <summary>A valid check carrying USE-CANDIDATE: its source is now <see cref="IceLiteAgent.Selected"/>.</summary>
    Nominated,

    /// <summary>Refused with the error response written: 400 (no USERNAME or MESSAGE-INTEGRITY), 401 (wrong user
    /// fragment or integrity), 420 (an unknown comprehension-required attribute) or 487 (the peer claims the
    /// controlled role, which a lite agent always has).</summary>
    Refused,
}

/// <summary>
/// The ICE side of a server that is always reachable at its host candidates (ICE-lite, RFC 8445 section 2.5): it
/// sends no checks of its own, answers the full agent's Binding requests (section 7.3) and takes the pair the peer
/// nominates with USE-CANDIDATE. The peer is always controlling. Checks keep arriving as consent (RFC 7675), so
/// <see cref="LastCheckAt"/> says whether the peer is still there. One agent per session; not thread-safe: it belongs
/// to the loop that reads the session's socket.
/// </summary>
public sealed class IceLiteAgent(IceCredentials local, IceCredentials remote, TimeProvider time)
{
    /// <summary>The largest response <see cref="Answer"/> writes (an IPv6 success or a 420 with one attribute).</summary>
    public const int MaxResponseLength = 128;

    private static readonly ushort[] KnownRequestAttributes =
    [
        StunAttributes.Username, StunAttributes.MessageIntegrity, StunAttributes.Priority, StunAttributes.UseCandidate,
    ];

    private readonly byte[] _localKey = Encoding.UTF8.GetBytes(local.Password);
    // what USERNAME must be: the receiver's fragment first (section 7.2.2)
    private readonly byte[] _expectedUsername = Encoding.UTF8.GetBytes($"{local.Ufrag}:{remote.Ufrag}");

    public IceCredentials Local => local;

    public IceCredentials Remote => remote;

    /// <summary>Where the peer's media comes from and goes to: the source of its latest nominating check.</summary>
    public IPEndPoint? Selected { get; private set; }

    /// <summary>When the last valid check arrived, or null before the first.</summary>
    public DateTimeOffset? LastCheckAt { get; private set; }

    /// <summary>Answers a datagram from <paramref name="source"/> that may be a connectivity check; the response, if
    /// any, is the first <paramref name="written"/> bytes of <paramref name="response"/> (at least
    /// <see cref="MaxResponseLength"/> long), to be sent back to <paramref name="source"/>.</summary>
    public IceCheckOutcome Answer(ReadOnlySpan<byte> datagram, IPEndPoint source, Span<byte> response, out int written)
    {
        written = 0;
        if (!StunMessage.TryParse(datagram, out var request) || request.Class != StunClass.Request ||
            request.Method != StunMethods.Binding)
        {
            return IceCheckOutcome.Ignored;
        }

        // ICE requires FINGERPRINT on every check (section 7.2.2): without a valid one this is not ICE's STUN
        if (!request.VerifyFingerprint()) return IceCheckOutcome.Ignored;

        // short-term credentials, RFC 8489 section 9.1.3: 400 without the attributes, 401 when they do not check out;
        // neither error response is signed, as the requester's key is in doubt
        if (!request.TryGetAttribute(StunAttributes.Username, out var username) || !request.HasMessageIntegrity)
        {
            written = Refuse(request, response, 400, "Bad Request", signed: false);
            return IceCheckOutcome.Refused;
        }

        if (!username.SequenceEqual(_expectedUsername) || !request.VerifyIntegrity(_localKey))
        {
            written = Refuse(request, response, 401, "Unauthenticated", signed: false);
            return IceCheckOutcome.Refused;
        }

        if (request.FirstUnknownRequiredAttribute(KnownRequestAttributes) is not 0 and var unknown)
        {
            var error = Start(request, response, StunClass.ErrorResponse);
            error.AddErrorCode(420, "Unknown Attribute");
            Span<byte> list = [(byte)(unknown >> 8), (byte)unknown];
            error.Add(StunAttributes.UnknownAttributes, list);
            written = Finish(ref error);
            return IceCheckOutcome.Refused;
        }

        // both sides controlled (section 7.3.1.1): the full agent must take the controlling role against a lite one
        if (request.HasAttribute(StunAttributes.IceControlled))
        {
            written = Refuse(request, response, 487, "Role Conflict", signed: true);
            return IceCheckOutcome.Refused;
        }

        LastCheckAt = time.GetUtcNow();
        var success = Start(request, response, StunClass.SuccessResponse);
        success.AddXorMappedAddress(source);
        written = Finish(ref success);
        if (!request.HasAttribute(StunAttributes.UseCandidate)) return IceCheckOutcome.Answered;
        if (!source.Equals(Selected)) Selected = new IPEndPoint(source.Address, source.Port);
        return IceCheckOutcome.Nominated;
    }

    private int Refuse(StunMessage request, Span<byte> response, int code, string reason, bool signed)
    {
        var error = Start(request, response, StunClass.ErrorResponse);
        error.AddErrorCode(code, reason);
        if (signed) return Finish(ref error);
        error.AddFingerprint();
        return error.Written.Length;
    }

    private static StunMessageWriter Start(StunMessage request, Span<byte> response, StunClass responseClass) =>
        new(response, StunMethods.Binding, responseClass, request.TransactionId);

    private int Finish(ref StunMessageWriter message)
    {
        message.AddMessageIntegrity(_localKey);
        message.AddFingerprint();
        return message.Written.Length;
    }
}
