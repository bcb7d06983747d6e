using System.Net;
using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.Rtmp.Hls;
using LiveMicro.Rtmp.Publishing;
using LiveMicro.Rtmp.Rtmp;
using LiveMicro.Rtmp.Streams;
using LiveMicro.ServiceDefaults;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace LiveMicro.Rtmp.Extensions;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<RtmpOptions>(RtmpOptions.SectionName);
        builder.Services.AddValidatedOptions<HlsOptions>(HlsOptions.SectionName);

        // RTMP is a Kestrel connection handler beside the HTTP endpoints: same pipes, memory pool and limits.
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var options = kestrel.ApplicationServices.GetRequiredService<IOptions<RtmpOptions>>().Value;
            var address = IPAddress.Parse(options.ListenAddress);
            kestrel.Listen(address, options.HttpPort);
            kestrel.Listen(address, options.Port, listen => listen.UseConnectionHandler<RtmpConnectionHandler>());
        });

        builder.Services.AddHttpClient(LiveServiceClient.HttpClientName, (services, client) =>
        {
            var options = services.GetRequiredService<IOptions<RtmpOptions>>().Value;
            client.BaseAddress = new Uri(options.LiveServiceUrl);
            client.Timeout = options.AuthorizationTimeout;
        });
        builder.Services.AddSingleton<LiveServiceClient>();

        builder.AddRedisEventBus().AddSubscription<PublishingRevoked, PublishingRevokedHandler>();
        builder.Services.AddHostedService<PublisherReauthorization>();
        builder.Services.AddSingleton<StreamEventReporter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<StreamEventReporter>());

        builder.Services.AddSingleton<HlsOutputs>();
        builder.Services.AddSingleton<StreamRegistry>();
        return builder;
    }
}
