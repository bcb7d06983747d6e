using LiveMicro.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LiveMicro.Discovery.Tests;

[Collection(EtcdCollection.Name)]
public sealed class ServiceRegistrationTests(EtcdFixture fixture)
{
    private static WebApplication CreateService(string serviceName, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDiscoveryRegistration(serviceName);
        var app = builder.Build();
        app.MapGet("/", () => "hello");
        return app;
    }

    private async Task<IReadOnlyList<EtcdKeyValue>> InstancesAsync(string serviceName) =>
        (await fixture.Client.GetPrefixAsync($"{ServiceRegistry.Prefix}{serviceName}/")).Items;

    [Fact]
    public async Task A_started_service_lists_its_url_under_a_lease_and_removes_it_on_shutdown()
    {
        var name = ApiClient.UniqueName("svc");
        await using var app = CreateService(name, new()
        {
            ["Discovery:Etcd:Endpoint"] = fixture.Endpoint,
            ["Discovery:InstanceId"] = "one",
            ["Discovery:LeaseTtl"] = "00:00:03",
        });
        await app.StartAsync();

        await ApiClient.EventuallyAsync(async () => (await InstancesAsync(name)).Count == 1, "the registration");
        var instance = Assert.Single(await InstancesAsync(name));
        Assert.Equal(ServiceRegistry.Key(name, "one"), instance.Key);
        Assert.Equal(app.Urls.Single(), instance.Value);
        Assert.NotEqual(0, instance.Lease);
        using var http = new HttpClient();
        Assert.Equal("hello", await http.GetStringAsync(instance.Value));

        // kept alive past its TTL
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Single(await InstancesAsync(name));

        await app.StopAsync();
        Assert.Empty(await InstancesAsync(name));
    }

    [Fact]
    public async Task An_advertised_url_is_registered_instead_of_the_listening_address()
    {
        var name = ApiClient.UniqueName("svc");
        await using var app = CreateService(name, new()
        {
            ["Discovery:Etcd:Endpoint"] = fixture.Endpoint,
            ["Discovery:AdvertisedUrl"] = "http://user-2.internal:5002",
        });
        await app.StartAsync();

        await ApiClient.EventuallyAsync(async () => (await InstancesAsync(name)).Count == 1, "the registration");
        Assert.Equal("http://user-2.internal:5002", Assert.Single(await InstancesAsync(name)).Value);
        Assert.StartsWith($"{ServiceRegistry.Prefix}{name}/{Environment.MachineName}-", Assert.Single(await InstancesAsync(name)).Key);
        await app.StopAsync();
    }

    [Fact]
    public async Task Without_an_etcd_endpoint_nothing_registers_and_the_service_runs()
    {
        await using var app = CreateService("unregistered", []);
        await app.StartAsync();

        Assert.Empty(app.Services.GetServices<IHostedService>().OfType<ServiceRegistration>());
        await app.StopAsync();
    }

    [Fact]
    public async Task An_unreachable_etcd_does_not_stop_the_service()
    {
        await using var app = CreateService("unreachable", new()
        {
            ["Discovery:Etcd:Endpoint"] = $"http://127.0.0.1:{ServerProcess.FreePort()}",
            ["Discovery:RetryDelay"] = "00:00:00.200",
        });
        await app.StartAsync();

        using var http = new HttpClient();
        Assert.Equal("hello", await http.GetStringAsync(app.Urls.Single()));
        await app.StopAsync();
    }

    [Fact]
    public void Registry_keys_parse_into_service_and_instance()
    {
        Assert.True(ServiceRegistry.TryParseKey("/livemicro/services/user/host-42", out var service, out var instance));
        Assert.Equal(("user", "host-42"), (service, instance));
        Assert.False(ServiceRegistry.TryParseKey("/livemicro/services/user/", out _, out _));
        Assert.False(ServiceRegistry.TryParseKey("/livemicro/services/user/a/b", out _, out _));
        Assert.False(ServiceRegistry.TryParseKey("/other/user/a", out _, out _));
    }
}
