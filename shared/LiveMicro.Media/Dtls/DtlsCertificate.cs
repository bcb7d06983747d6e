using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Org.BouncyCastle.X509;

namespace LiveMicro.Media.Dtls;

/// <summary>
/// A self-signed ECDSA P-256 certificate for DTLS-SRTP, as browsers make their own: nobody checks who signed it,
/// the peer checks its SHA-256 fingerprint against the one the SDP answer carried (RFC 8122, RFC 8827 section 6.5).
/// One per process is enough; its fingerprint goes into every answer.
/// </summary>
public sealed class DtlsCertificate
{
    private DtlsCertificate(AsymmetricKeyParameter privateKey, byte[] der)
    {
        PrivateKey = privateKey;
        Der = der;
        Fingerprint = DtlsFingerprint.Sha256Of(der);
    }

    public DtlsFingerprint Fingerprint { get; }

    internal AsymmetricKeyParameter PrivateKey { get; }

    internal byte[] Der { get; }

    /// <summary>A fresh key pair and certificate valid from a day before <paramref name="now"/> for 30 days.</summary>
    public static DtlsCertificate Generate(DateTimeOffset now)
    {
        var random = new SecureRandom();
        var keyGenerator = new ECKeyPairGenerator();
        keyGenerator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, random));
        var keys = keyGenerator.GenerateKeyPair();

        var name = new X509Name("CN=LiveMicro WebRTC");
        var certificate = new X509V3CertificateGenerator();
        certificate.SetSerialNumber(new BigInteger(1, RandomNumberGenerator.GetBytes(8)).Add(BigInteger.One));
        certificate.SetIssuerDN(name);
        certificate.SetSubjectDN(name);
        certificate.SetNotBefore(now.UtcDateTime.AddDays(-1));
        certificate.SetNotAfter(now.UtcDateTime.AddDays(30));
        certificate.SetPublicKey(keys.Public);
        var signed = certificate.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", keys.Private, random));
        return new DtlsCertificate(keys.Private, signed.GetEncoded());
    }

    /// <summary>This certificate as the credentials of one DTLS handshake.</summary>
    internal TlsCredentialedSigner Signer(TlsContext context, BcTlsCrypto crypto) =>
        new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, PrivateKey,
            new Certificate([new BcTlsCertificate(crypto, Der)]), new SignatureAndHashAlgorithm(Org.BouncyCastle.Tls.HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
}

/// <summary>A certificate fingerprint as SDP's a=fingerprint carries it (RFC 8122 section 5): a hash name and the
/// hash as colon-separated upper-case hex pairs. Only sha-256 is taken, the hash every browser sends.</summary>
public sealed record DtlsFingerprint(string Algorithm, byte[] Value)
{
    public const string Sha256 = "sha-256";

    public static DtlsFingerprint Sha256Of(ReadOnlySpan<byte> der) => new(Sha256, SHA256.HashData(der));

    /// <summary>"sha-256 AB:CD:..." (an a=fingerprint value), or null when it is not a sha-256 fingerprint.</summary>
    public static DtlsFingerprint? Parse(string text)
    {
        var parts = text.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !parts[0].Equals(Sha256, StringComparison.OrdinalIgnoreCase)) return null;
        var pairs = parts[1].Split(':');
        if (pairs.Length != 32 || pairs.Any(pair => pair.Length != 2)) return null;
        try
        {
            return new DtlsFingerprint(Sha256, Convert.FromHexString(string.Concat(pairs)));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public bool Matches(ReadOnlySpan<byte> der) => CryptographicOperations.FixedTimeEquals(SHA256.HashData(der), Value);

    public override string ToString() => $"{Algorithm} {Convert.ToHexString(Value).Chunk(2).Select(pair => new string(pair)).Aggregate((a, b) => a + ":" + b)}";
}
