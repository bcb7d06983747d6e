using LiveMicro.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LiveMicro.Discovery;

public static class DiscoveryExtensions
{
    /// <summary>Registers this process in etcd as an instance of <paramref name="serviceName"/> while it runs
    /// (section <c>Discovery</c>). Without <c>Discovery:Etcd:Endpoint</c> it does nothing.</summary>
    public static IHostApplicationBuilder AddServiceDiscoveryRegistration(this IHostApplicationBuilder builder, string serviceName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        builder.AddEtcdClient();
        if (!IsEnabled(builder)) return builder;

        var instanceId = builder.Configuration[$"{DiscoveryOptions.SectionName}:InstanceId"] is { Length: > 0 } configured
            ? configured
            : $"{Environment.MachineName}-{Environment.ProcessId}";
        builder.Services.AddSingleton(new ServiceIdentity(serviceName, instanceId));
        builder.Services.AddHostedService<ServiceRegistration>();
        return builder;
    }

    /// <summary>The etcd client and the validated <see cref="DiscoveryOptions"/>; the client is registered only when
    /// an endpoint is configured.</summary>
    public static IHostApplicationBuilder AddEtcdClient(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(EtcdClientRegistered))) return builder;
        builder.Services.AddSingleton<EtcdClientRegistered>();
        builder.Services.AddValidatedOptions<DiscoveryOptions>(DiscoveryOptions.SectionName)
            .Validate(o => !o.IsEnabled || IsHttpUrl(o.Etcd.Endpoint), "Discovery:Etcd:Endpoint must be an absolute http(s) URL.")
            .Validate(o => string.IsNullOrWhiteSpace(o.AdvertisedUrl) || IsHttpUrl(o.AdvertisedUrl),
                "Discovery:AdvertisedUrl must be an absolute http(s) URL.");
        if (!IsEnabled(builder)) return builder;

        builder.Services.AddHttpClient<EtcdClient>((services, http) =>
        {
            var etcd = services.GetRequiredService<IOptions<DiscoveryOptions>>().Value.Etcd;
            http.BaseAddress = new Uri(etcd.Endpoint!);
            // covers unary calls whole, and a watch only until its headers: the watch itself never ends
            http.Timeout = etcd.RequestTimeout;
        });
        return builder;
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    private static bool IsEnabled(IHostApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration[$"{DiscoveryOptions.SectionName}:Etcd:Endpoint"]);

    /// <summary>Marks the services as added, so a second call (gateway and registration both) adds nothing twice.</summary>
    private sealed class EtcdClientRegistered;
}
