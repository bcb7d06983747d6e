using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.EventBus.Outbox;
using LiveMicro.Live.Configuration;
using LiveMicro.Live.Infrastructure;
using LiveMicro.Live.Presence;
using LiveMicro.Live.Rooms;
using LiveMicro.Live.WebRtc;
using LiveMicro.ServiceDefaults;
using LiveMicro.ServiceDefaults.Data;

namespace LiveMicro.Live.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // here, not in ServiceDefaults: the validation generator only sees AddValidation calls in this assembly
        builder.Services.AddValidation();
        builder.Services.AddValidatedOptions<LiveOptions>(LiveOptions.SectionName);

        builder.AddPostgresDbContext<LiveDbContext>("LiveDb");
        builder.AddRedisEventBus()
            .AddSubscription<StreamPublished, StreamPublishedHandler>()
            .AddSubscription<StreamUnpublished, StreamUnpublishedHandler>()
            .AddOutboxRelay<LiveDbContext>();

        builder.Services.AddScoped<RoomLifecycle>();
        builder.Services.AddSingleton<RoomUrls>();
        builder.Services.AddSingleton<ViewerPresence>();
        builder.Services.AddSingleton<RoomSockets>();
        builder.Services.AddSingleton<RoomBroadcasts>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RoomBroadcasts>());

        builder.Services.AddValidatedOptions<WebRtcOptions>(WebRtcOptions.SectionName)
            .Validate(o => o.Candidates.All(address => System.Net.IPAddress.TryParse(address, out _)),
                "WebRtc:Candidates must be IP addresses (ICE host candidates carry no names).")
            .Validate(o => Uri.TryCreate(o.RtmpIngestUrl, UriKind.Absolute, out var url) && url.Scheme == "rtmp",
                "WebRtc:RtmpIngestUrl must be an rtmp:// URL of the media server's application.");
        builder.Services.AddSingleton<WebRtcUdpEndpoint>();
        builder.Services.AddHostedService(services => services.GetRequiredService<WebRtcUdpEndpoint>());
        builder.Services.AddSingleton<WhipSessions>();
        builder.Services.AddHostedService(services => services.GetRequiredService<WhipSessions>());
        return builder;
    }
}
