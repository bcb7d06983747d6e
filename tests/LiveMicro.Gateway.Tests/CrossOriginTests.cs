using System.Net;
using System.Text;

namespace LiveMicro.Gateway.Tests;

/// <summary>A page on another origin calling the API through the gateway, as a browser does: a preflight first for
/// anything but a simple request, then the request, whose response it may read only with the CORS headers.</summary>
[Collection(GatewayCollection.Name)]
public sealed class CrossOriginTests(GatewayFixture fixture)
{
    private const string App = "https://app.example";

    private (IAsyncDisposable App, HttpClient Client) StartGateway()
    {
        var (app, url) = fixture.StartGateway(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = App });
        return (app, new HttpClient { BaseAddress = url });
    }

    [Fact]
    public async Task A_preflight_from_an_allowed_origin_is_answered_by_the_gateway_with_what_it_may_send()
    {
        var (app, gateway) = StartGateway();
        await using var _ = app;
        using var __ = gateway;
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/rooms/1/whip");
        preflight.Headers.Add("Origin", App);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");

        using var response = await gateway.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(App, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Contains("authorization", response.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("600", response.Headers.GetValues("Access-Control-Max-Age").Single());
    }

    [Fact]
    public async Task Forwarded_responses_to_an_allowed_origin_carry_the_headers_and_expose_Location_on_the_direct_path_too()
    {
        var (app, gateway) = StartGateway();
        await using var _ = app;
        using var __ = gateway;

        // a plain GET to an anonymous route would take the direct path; with an Origin it is answered by CORS
        using var get = new HttpRequestMessage(HttpMethod.Get, "/api/rooms/1");
        get.Headers.Add("Origin", App);
        using var read = await gateway.SendAsync(get);
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/rooms/1/whip") { Content = new StringContent("v=0\r\n", Encoding.UTF8, "application/sdp") };
        post.Headers.Add("Origin", App);
        using var written = await gateway.SendAsync(post);

        foreach (var response in new[] { read, written })
        {
            Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}");
            Assert.Contains("\"service\":\"live\"", await response.Content.ReadAsStringAsync());
            Assert.Equal(App, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("Location", response.Headers.GetValues("Access-Control-Expose-Headers").Single());
        }
    }

    [Fact]
    public async Task Another_origin_or_a_gateway_without_origins_configured_gets_no_CORS_headers()
    {
        var (app, gateway) = StartGateway();
        await using var _ = app;
        using var __ = gateway;
        foreach (var (client, origin) in new[] { (gateway, "https://evil.example"), (fixture.Gateway, App) })
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, "/api/rooms/1");
            get.Headers.Add("Origin", origin);

            using var response = await client.SendAsync(get);

            Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}");
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }
}
