using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using LiveMicro.Gateway.Tests.Connections;
using LiveMicro.Testing;

namespace LiveMicro.Gateway.Tests.Transport;

/// <summary>The gateway's own transport (SocketLoop, the default on Linux x86-64) against Kestrel's socket transport
/// (SocketLoop:Enabled false): the same connection answers the same either way, on the direct path, through Kestrel
/// with a body, and for a body too large for the sockets' buffers; and on an HTTPS endpoint, requests and WebSockets
/// over HTTP/1.1 and HTTP/2.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SocketLoopTransportTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_connection_carries_a_direct_GET_a_POST_through_Kestrel_and_a_large_download(bool socketLoop)
    {
        var (app, url) = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["SocketLoop:Enabled"] = socketLoop.ToString() });
        await using var _ = app;
        using var client = await RawHttpClient.ConnectAsync(url);

        await client.SendAsync("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\n\r\n");
        var get = await client.ReadResponseAsync();
        await client.SendAsync("POST /api/users/2 HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello");
        var post = await client.ReadResponseAsync();
        const int size = 8 * 1024 * 1024;
        await client.SendAsync($"GET /live/room7.flv?bytes={size} HTTP/1.1\r\nHost: gw\r\n\r\n");
        var download = await client.ReadResponseAsync();

        Assert.Equal((200, "GET", "/api/users/1"), (get.Status, get.Json["method"]!.GetValue<string>(), get.Json["path"]!.GetValue<string>()));
        Assert.Equal((200, "POST", 5L), (post.Status, post.Json["method"]!.GetValue<string>(), post.Json["bodyLength"]!.GetValue<long>()));
        Assert.Equal((200, size), (download.Status, download.Body.Length));
        // the connection ids of the gateway's own transport start with L (Kestrel's with 0): the loop is what ran
        Assert.Equal(socketLoop, get.Headers["X-Request-Id"].StartsWith('L'));
    }

    [Fact]
    public async Task Many_clients_at_once_get_their_own_answers_and_clients_reset_midway_leave_the_rest_unharmed()
    {
        var (app, url) = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["RateLimits:Policies:api:PermitLimit"] = "100000" });
        await using var _ = app;
        const int clients = 120, requests = 5;

        var answered = await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            using var client = await RawHttpClient.ConnectAsync(url);
            for (var r = 0; r < requests; r++)
            {
                await client.SendAsync($"GET /api/users/{c}/followers?r={r} HTTP/1.1\r\nHost: gw\r\n\r\n");
                // every tenth client goes away with a reset while its third request is on its way
                if (c % 10 == 0 && r == 2)
                {
                    client.Reset();
                    return 0;
                }

                var response = await client.ReadResponseAsync();
                Assert.Equal(200, response.Status);
                Assert.Equal(($"/api/users/{c}/followers", $"?r={r}"), (response.Json["path"]!.GetValue<string>(), response.Json["query"]!.GetValue<string>()));
            }

            return requests;
        }));

        Assert.Equal((clients - clients / 10) * requests, answered.Sum());
        using var http = new HttpClient { BaseAddress = url };
        Assert.Equal("user", await fixture.ServiceBehindAsync("/api/users/1", http));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task On_an_HTTPS_endpoint_HTTP_1_1_and_HTTP_2_requests_are_forwarded_as_https(bool socketLoop)
    {
        // a TLS handshake held by the direct path waiting for a request head would time out in the start
        await using var gateway = await StartHttpsGatewayAsync(socketLoop);

        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/users/7?v={version}")
            {
                Version = version,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await gateway.Http.SendAsync(request);
            var echo = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal((HttpStatusCode.OK, version), (response.StatusCode, response.Version));
            Assert.Equal(("/api/users/7", $"?v={version}", "https"),
                (echo["path"]!.GetValue<string>(), echo["query"]!.GetValue<string>(), echo["headers"]!["X-Forwarded-Proto"]!.GetValue<string>()));
        }
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")] // RFC 8441: a CONNECT on an HTTP/2 stream, opened to the destination as an HTTP/1.1 upgrade
    public async Task A_WebSocket_over_HTTPS_reaches_the_chat_over_HTTP_1_1_and_HTTP_2(string version)
    {
        await using var gateway = await StartHttpsGatewayAsync(socketLoop: true);
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = Version.Parse(version);
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var invoker = new HttpMessageInvoker(gateway.Handler, disposeHandler: false);
        await socket.ConnectAsync(new Uri($"wss://{gateway.Url.Authority}/ws/chat/tls"), invoker, CancellationToken.None);

        await socket.SendAsync("hello over tls"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.EndsWith("hello over tls", Encoding.UTF8.GetString(buffer, 0, received.Count));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    /// <summary>A gateway of its own on an HTTPS endpoint with a fresh self-signed certificate, and a client that
    /// trusts that certificate, once it routes.</summary>
    private async Task<HttpsGateway> StartHttpsGatewayAsync(bool socketLoop)
    {
        var certificate = SelfSignedCertificate();
        var (app, url) = fixture.StartGateway(new Dictionary<string, string?> { ["SocketLoop:Enabled"] = socketLoop.ToString() }, certificate: certificate);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString();
        var gateway = new HttpsGateway(app, url, handler, certificate);
        await ApiClient.EventuallyAsync(async () => await fixture.ServiceBehindAsync("/api/users/1", gateway.Http) == "user",
            "the gateway to route over HTTPS", TimeSpan.FromSeconds(30));
        return gateway;
    }

    private sealed class HttpsGateway(ServiceApp<Program> app, Uri url, SocketsHttpHandler handler, X509Certificate2 certificate) : IAsyncDisposable
    {
        public Uri Url => url;

        public SocketsHttpHandler Handler => handler;

        public HttpClient Http { get; } = new(handler, disposeHandler: false) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            handler.Dispose();
            await app.DisposeAsync();
            certificate.Dispose();
        }
    }

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}
