using System.Net;
using System.Net.Http.Json;
using LiveMicro.Testing;

namespace LiveMicro.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RoutingTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("/api/auth/anything", "auth")]
    [InlineData("/.well-known/jwks.json", "auth")]
    [InlineData("/api/users/42", "user")]
    [InlineData("/api/users/42/followers?limit=2", "user")]
    [InlineData("/api/users/42/room", "live")]
    [InlineData("/api/rooms/7", "live")]
    [InlineData("/api/rooms/7/gifts", "interact")]
    [InlineData("/api/rooms/7/lotteries", "interact")]
    [InlineData("/api/gifts", "interact")]
    [InlineData("/api/lotteries/3/draw", "interact")]
    [InlineData("/api/rooms/7/ranks/gifters", "rank")]
    [InlineData("/api/ranks/daily", "rank")]
    [InlineData("/api/streams", "rtmp")]
    [InlineData("/live/room7.flv", "rtmp")]
    [InlineData("/api/gifts/", "interact")]
    [InlineData("/API/Users/42/Room", "live")]
    public async Task Each_public_route_reaches_its_service(string path, string service)
    {
        Assert.Equal(service, await fixture.ServiceBehindAsync(path));
    }

    [Fact]
    public async Task The_request_arrives_with_path_query_forwarded_headers_and_a_request_id_and_without_hop_by_hop_headers()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/42/followers?after=9&limit=2");
        request.Headers.Add("X-Custom", "kept");
        request.Headers.Add("Keep-Alive", "timeout=5");
        request.Headers.Add("X-Forwarded-For", "6.6.6.6");
        request.Headers.Add("X-Request-Id", "client-chosen-id");

        var response = await fixture.Gateway.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echo = await response.ReadJsonAsync();
        Assert.Equal("/api/users/42/followers", echo["path"]!.GetValue<string>());
        Assert.Equal("?after=9&limit=2", echo["query"]!.GetValue<string>());
        var headers = echo["headers"]!;
        Assert.Equal("kept", headers["X-Custom"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", headers["X-Forwarded-For"]!.GetValue<string>());
        Assert.Equal("http", headers["X-Forwarded-Proto"]!.GetValue<string>());
        Assert.Equal(fixture.GatewayUrl.Authority, headers["X-Forwarded-Host"]!.GetValue<string>());
        Assert.Equal("client-chosen-id", headers["X-Request-Id"]!.GetValue<string>());
        Assert.Null(headers["Keep-Alive"]);
        Assert.Equal("client-chosen-id", response.Headers.GetValues("X-Request-Id").Single());
    }

    [Theory]
    [InlineData("/internal/streams/authorize")]
    [InlineData("/internal/push")]
    [InlineData("/nowhere")]
    public async Task Internal_and_unknown_paths_are_never_routed(string path)
    {
        var response = await fixture.Gateway.PostAsJsonAsync(path, new { streamKey = "k" });

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_path_whose_routes_take_other_methods_answers_405_with_Allow()
    {
        var (app, url) = fixture.StartGateway(new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:post-only:ClusterId"] = "user",
            ["ReverseProxy:Routes:post-only:Match:Path"] = "/api/post-only/{id}",
            ["ReverseProxy:Routes:post-only:Match:Methods:0"] = "POST",
            ["ReverseProxy:Routes:post-only:AuthorizationPolicy"] = "anonymous",
        });
        await using var _ = app;
        using var gateway = new HttpClient { BaseAddress = url };
        await ApiClient.EventuallyAsync(async () => await fixture.ServiceBehindAsync("/api/users/1", gateway) == "user", "discovery");

        var refused = await gateway.GetAsync("/api/post-only/1");

        await refused.AssertProblemAsync(HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["POST"], refused.Content.Headers.Allow);
        Assert.Equal(HttpStatusCode.OK, (await gateway.PostAsJsonAsync("/api/post-only/1", new { })).StatusCode);
    }

    [Fact]
    public async Task A_large_upload_and_a_large_download_stream_through()
    {
        const int size = 64 * 1024 * 1024;
        var upload = new StreamContent(new RepeatingStream(size));
        upload.Headers.ContentLength = size;

        var uploaded = await (await fixture.Gateway.PostAsync("/api/streams", upload)).ReadJsonAsync();
        Assert.Equal(size, uploaded["bodyLength"]!.GetValue<long>());

        using var download = await fixture.Gateway.GetAsync($"/live/room7.flv?bytes={size}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("video/x-flv", download.Content.Headers.ContentType?.MediaType);
        await using var body = await download.Content.ReadAsStreamAsync();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0) total += read;
        Assert.Equal(size, total);
    }

    [Fact]
    public async Task An_upload_of_unknown_length_streams_through_chunked()
    {
        const int size = 3 * 1024 * 1024 + 17;
        var upload = new StreamContent(new RepeatingStream(size));

        var response = await fixture.Gateway.PostAsync("/api/streams", upload);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(size, (await response.ReadJsonAsync())["bodyLength"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_HEAD_request_gets_the_headers_and_no_body_and_the_gateway_does_not_wait_for_one()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var head = await fixture.Gateway.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/api/users/1"), timeout.Token);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("application/json", head.Content.Headers.ContentType?.MediaType);
        Assert.Single(head.Headers.GetValues("X-Instance"));
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(timeout.Token));
        Assert.Equal("user", await fixture.ServiceBehindAsync("/api/users/1"));
    }

    /// <summary>A body produced as it is read, so the test itself never holds it in memory.</summary>
    private sealed class RepeatingStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            buffer.AsSpan(offset, n).Fill((byte)'x');
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
