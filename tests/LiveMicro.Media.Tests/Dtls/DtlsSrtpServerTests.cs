using LiveMicro.Media.Dtls;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace LiveMicro.Media.Tests.Dtls;

/// <summary>The server against BouncyCastle's DTLS client playing the browser, over an in-memory datagram path.
/// (The browser itself meets it in the live service's WHIP tests.)</summary>
public sealed class DtlsSrtpServerTests
{
    private static readonly DtlsCertificate ServerCertificate = DtlsCertificate.Generate(DateTimeOffset.UtcNow);
    private static readonly DtlsCertificate BrowserCertificate = DtlsCertificate.Generate(DateTimeOffset.UtcNow);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Two channels, each delivering what it sends to the other.</summary>
    private static (DtlsDatagramChannel Server, DtlsDatagramChannel Client) Path()
    {
        DtlsDatagramChannel? server = null, client = null;
        server = new DtlsDatagramChannel(datagram => client!.Deliver(datagram.Span));
        client = new DtlsDatagramChannel(datagram => server.Deliver(datagram.Span));
        return (server, client);
    }

    private static async Task<(SrtpKeyingMaterial Server, SrtpKeyingMaterial Client)> HandshakeAsync(
        DtlsFingerprint expectedBrowser, BrowserClient browser)
    {
        var (serverChannel, clientChannel) = Path();
        var server = Task.Factory.StartNew(() => new DtlsSrtpServer(ServerCertificate, expectedBrowser, serverChannel).Accept(Timeout),
            TaskCreationOptions.LongRunning);
        var client = Task.Factory.StartNew(() =>
        {
            try
            {
                new DtlsClientProtocol().Connect(browser, clientChannel);
                return browser.Keys!;
            }
            finally
            {
                // a failed client stops the server waiting for it
                serverChannel.Close();
            }
        }, TaskCreationOptions.LongRunning);
        try
        {
            return (await server, await client);
        }
        finally
        {
            serverChannel.Close();
            clientChannel.Close();
        }
    }

    [Fact]
    public async Task A_browser_with_the_offered_certificate_gets_a_handshake_and_both_sides_export_the_same_SRTP_keys()
    {
        var browser = new BrowserClient(BrowserCertificate, ServerCertificate.Fingerprint, offerSrtp: true);

        var (server, client) = await HandshakeAsync(BrowserCertificate.Fingerprint, browser);

        Assert.Equal(Convert.ToHexString(client.ClientKey), Convert.ToHexString(server.ClientKey));
        Assert.Equal(Convert.ToHexString(client.ClientSalt), Convert.ToHexString(server.ClientSalt));
        Assert.Equal(Convert.ToHexString(client.ServerKey), Convert.ToHexString(server.ServerKey));
        Assert.Equal(Convert.ToHexString(client.ServerSalt), Convert.ToHexString(server.ServerSalt));
        Assert.Equal((16, 14), (server.ClientKey.Length, server.ClientSalt.Length));
        Assert.NotEqual(server.ClientKey, server.ServerKey);
        Assert.Equal(SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80, browser.SelectedProfile);
    }

    [Fact]
    public async Task A_certificate_other_than_the_offered_one_is_refused()
    {
        var impostor = DtlsCertificate.Generate(DateTimeOffset.UtcNow);
        var browser = new BrowserClient(impostor, ServerCertificate.Fingerprint, offerSrtp: true);

        var refused = await Assert.ThrowsAsync<TlsFatalAlert>(() => HandshakeAsync(BrowserCertificate.Fingerprint, browser));

        Assert.Equal(AlertDescription.bad_certificate, refused.AlertDescription);
    }

    [Fact]
    public async Task A_client_without_use_srtp_is_refused()
    {
        var browser = new BrowserClient(BrowserCertificate, ServerCertificate.Fingerprint, offerSrtp: false);

        var refused = await Assert.ThrowsAsync<TlsFatalAlert>(() => HandshakeAsync(BrowserCertificate.Fingerprint, browser));

        Assert.Equal(AlertDescription.handshake_failure, refused.AlertDescription);
    }

    [Fact]
    public void Fingerprints_read_and_print_as_SDP_carries_them()
    {
        var text = ServerCertificate.Fingerprint.ToString();

        Assert.Matches("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$", text);
        Assert.Equal(ServerCertificate.Fingerprint.Value, DtlsFingerprint.Parse(text)!.Value);
        Assert.Equal(ServerCertificate.Fingerprint.Value, DtlsFingerprint.Parse("SHA-256 " + text[8..].ToLowerInvariant())!.Value);
        Assert.Null(DtlsFingerprint.Parse("sha-1 AB:CD"));
        Assert.Null(DtlsFingerprint.Parse("sha-256 AB:CD"));
        Assert.Null(DtlsFingerprint.Parse("sha-256 " + text[8..].Replace('A', 'G')));
    }

    /// <summary>A DTLS client as a browser is one: its own self-signed certificate, use_srtp offered, the server's
    /// certificate checked against the answer's fingerprint.</summary>
    private sealed class BrowserClient(DtlsCertificate certificate, DtlsFingerprint serverFingerprint, bool offerSrtp)
        : DefaultTlsClient(new BcTlsCrypto(new SecureRandom()))
    {
        public SrtpKeyingMaterial? Keys { get; private set; }

        private DtlsCertificate Certificate => certificate;

        private DtlsFingerprint ServerFingerprint => serverFingerprint;

        public int SelectedProfile { get; private set; }

        public override int GetHandshakeTimeoutMillis() => (int)Timeout.TotalMilliseconds;

        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        public override IDictionary<int, byte[]> GetClientExtensions()
        {
            var extensions = base.GetClientExtensions();
            if (offerSrtp)
            {
                TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(
                    [SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM, SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_80], TlsUtilities.EmptyBytes));
            }

            return extensions;
        }

        public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
        {
            base.ProcessServerExtensions(serverExtensions);
            SelectedProfile = TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions)?.ProtectionProfiles.Single() ?? -1;
        }

        public override TlsAuthentication GetAuthentication() => new Authentication(this);

        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            Keys = SrtpKeyingMaterial.FromExported(m_context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null, 60));
        }

        private sealed class Authentication(BrowserClient client) : TlsAuthentication
        {
            public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
            {
                if (!client.ServerFingerprint.Matches(serverCertificate.Certificate.GetCertificateAt(0).GetEncoded()))
                {
                    throw new TlsFatalAlert(AlertDescription.bad_certificate);
                }
            }

            public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
                client.Certificate.Signer(client.m_context, (BcTlsCrypto)client.Crypto);
        }
    }
}
