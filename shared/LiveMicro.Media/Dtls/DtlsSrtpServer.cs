using System.Collections.Concurrent;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace LiveMicro.Media.Dtls;

/// <summary>The SRTP master keys and salts a DTLS-SRTP handshake exported (RFC 5764 section 4.2): the client's
/// protect what the client sends.</summary>
public sealed record SrtpKeyingMaterial(byte[] ClientKey, byte[] ClientSalt, byte[] ServerKey, byte[] ServerSalt)
{
    public const int KeyLength = 16;
    public const int SaltLength = 14;

    /// <summary>The exporter's output in its order: client key, server key, client salt, server salt.</summary>
    internal static SrtpKeyingMaterial FromExported(byte[] exported) => new(
        exported[..KeyLength], exported[(2 * KeyLength)..(2 * KeyLength + SaltLength)],
        exported[KeyLength..(2 * KeyLength)], exported[(2 * KeyLength + SaltLength)..]);
}

/// <summary>
/// The DTLS side of a WebRTC session where we are the DTLS server (our answer says a=setup:passive, RFC 8842): a
/// DTLS 1.2 handshake over <paramref name="channel"/> with our certificate, the browser's certificate required and
/// checked against the fingerprint its offer carried, use_srtp with SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764), and the
/// SRTP keys exported at the end. BouncyCastle's DTLS is blocking, so <see cref="Accept"/> belongs on a thread of its
/// own for the few round trips of the handshake.
/// </summary>
public sealed class DtlsSrtpServer(DtlsCertificate certificate, DtlsFingerprint remoteFingerprint, DtlsDatagramChannel channel)
{
    /// <summary>Runs the handshake; throws <see cref="TlsFatalAlert"/> (or <see cref="TlsTimeoutException"/>) when
    /// it fails, having sent the peer an alert where DTLS allows.</summary>
    public SrtpKeyingMaterial Accept(TimeSpan timeout)
    {
        var server = new SrtpTlsServer(new BcTlsCrypto(new SecureRandom()), certificate, remoteFingerprint, (int)timeout.TotalMilliseconds);
        var transport = new DtlsServerProtocol().Accept(server, channel);
        channel.Session = transport;
        return server.Keys ?? throw new TlsFatalAlert(AlertDescription.internal_error, "No SRTP keys were exported.");
    }

    private sealed class SrtpTlsServer(BcTlsCrypto crypto, DtlsCertificate certificate, DtlsFingerprint remoteFingerprint, int timeoutMillis)
        : DefaultTlsServer(crypto)
    {
        private static readonly int[] ProtectionProfiles = [SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80];

        public SrtpKeyingMaterial? Keys { get; private set; }

        public override int GetHandshakeTimeoutMillis() => timeoutMillis;

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        // our certificate is ECDSA: only suites it can sign for
        protected override int[] GetSupportedCipherSuites() =>
        [
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        ];

        protected override TlsCredentialedSigner GetECDsaSignerCredentials() => certificate.Signer(m_context, (BcTlsCrypto)Crypto);

        // the browser's certificate is what ties the media to the offer's signalling (RFC 8827 section 6.5)
        public override CertificateRequest GetCertificateRequest() =>
            new([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
                TlsUtilities.GetDefaultSupportedSignatureAlgorithms(m_context), null);

        public override void NotifyClientCertificate(Certificate clientCertificate)
        {
            if (clientCertificate.IsEmpty || !remoteFingerprint.Matches(clientCertificate.GetCertificateAt(0).GetEncoded()))
            {
                throw new TlsFatalAlert(AlertDescription.bad_certificate, "The certificate does not match the offer's fingerprint.");
            }
        }

        public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
        {
            base.ProcessClientExtensions(clientExtensions);
            var offered = TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions);
            if (offered is null || !offered.ProtectionProfiles.Contains(SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80))
            {
                throw new TlsFatalAlert(AlertDescription.handshake_failure, "The client offers no SRTP profile we support.");
            }
        }

        public override IDictionary<int, byte[]> GetServerExtensions()
        {
            var extensions = base.GetServerExtensions();
            TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(ProtectionProfiles, TlsUtilities.EmptyBytes));
            return extensions;
        }

        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            Keys = SrtpKeyingMaterial.FromExported(m_context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null,
                2 * (SrtpKeyingMaterial.KeyLength + SrtpKeyingMaterial.SaltLength)));
        }
    }
}

/// <summary>DTLS's view of a session's UDP path: the datagrams the session's reader classified as DTLS (RFC 7983) are
/// <see cref="Deliver"/>ed here, and what DTLS sends goes out through <paramref name="send"/> to the peer's selected
/// address, before it returns. A full queue drops, as the network would; DTLS retransmits.</summary>
public sealed class DtlsDatagramChannel(Action<ReadOnlyMemory<byte>> send) : DatagramTransport
{
    /// <summary>What DTLS may put in one datagram: under the 1280-byte IPv6 minimum MTU with room for headers.</summary>
    public const int SendLimit = 1200;
    private const int ReceiveLimit = 1500;

    private readonly BlockingCollection<byte[]> _received = new(boundedCapacity: 64);

    /// <summary>The DTLS connection once the handshake is done; closing the channel closes it (close_notify).</summary>
    internal DtlsTransport? Session { get; set; }

    public void Deliver(ReadOnlySpan<byte> datagram)
    {
        if (!_received.IsAddingCompleted) _received.TryAdd(datagram.ToArray());
    }

    public int GetReceiveLimit() => ReceiveLimit;

    public int GetSendLimit() => SendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        try
        {
            if (!_received.TryTake(out var datagram, waitMillis)) return -1;
            var length = Math.Min(datagram.Length, buffer.Length);
            datagram.AsSpan(0, length).CopyTo(buffer);
            return length;
        }
        catch (InvalidOperationException)
        {
            throw new TlsTimeoutException("The DTLS channel was closed.");
        }
    }

    public void Send(byte[] buf, int off, int len) => send(buf.AsMemory(off, len));

    public void Send(ReadOnlySpan<byte> buffer) => send(buffer.ToArray());

    public void Close()
    {
        if (_received.IsAddingCompleted) return;
        _received.CompleteAdding();
        Session?.Close();
    }
}
