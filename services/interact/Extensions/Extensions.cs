using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.EventBus.Outbox;
using LiveMicro.Interact.Chat;
using LiveMicro.Interact.Gifts;
using LiveMicro.Interact.Infrastructure;
using LiveMicro.Interact.Lotteries;
using LiveMicro.Interact.Rooms;
using LiveMicro.Interact.Wallets;
using LiveMicro.ServiceDefaults;
using LiveMicro.ServiceDefaults.Data;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace LiveMicro.Interact.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // here, not in ServiceDefaults: the validation generator only sees AddValidation calls in this assembly
        builder.Services.AddValidation();
        builder.AddPostgresDbContext<InteractDbContext>("InteractDb");
        builder.AddRedis();
        builder.AddRedisEventBus()
            .AddSubscription<RoomStatusChanged, RoomStatusChangedHandler>()
            .AddOutboxRelay<InteractDbContext>();

        builder.Services.AddSingleton<RoomDirectory>();

        builder.Services.AddValidatedOptions<PaymentOptions>(PaymentOptions.SectionName);
        if (builder.Configuration.GetValue<bool>($"{PaymentOptions.SectionName}:{nameof(PaymentOptions.DevelopmentProvider)}"))
        {
            builder.Services.AddSingleton<IPaymentProvider, DevelopmentPaymentProvider>();
        }

        builder.Services.AddScoped<WalletStore>();
        builder.Services.AddSingleton<GiftCatalogue>();
        builder.Services.AddScoped<GiftSender>();

        builder.Services.AddValidatedOptions<ChatOptions>(ChatOptions.SectionName);
        builder.Services.AddSingleton<LocalConnections>();
        builder.Services.AddSingleton<RoomPresence>();
        builder.Services.AddSingleton<RoomModeration>();
        builder.Services.AddSingleton<ChatPublisher>();
        builder.Services.AddSingleton<ChatSessions>();
        builder.Services.AddSingleton<ChatAdmission>();
        builder.Services.AddSingleton<ChatConnectionListener>();
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureEndpointDefaults(endpoint =>
        {
            var listener = endpoint.ApplicationServices.GetRequiredService<ChatConnectionListener>();
            endpoint.Use(next => connection => listener.OnConnectionAsync(connection, next));
        }));
        builder.Services.AddHostedService<ChatBackplane>();
        builder.Services.AddHostedService<ChatHeartbeat>();

        builder.Services.AddValidatedOptions<LotteryOptions>(LotteryOptions.SectionName);
        builder.Services.AddHttpClient<FollowChecker>(FollowChecker.HttpClientName, (services, http) =>
            http.BaseAddress = new Uri(services.GetRequiredService<IOptions<LotteryOptions>>().Value.UserServiceUrl));
        builder.Services.AddScoped<LotteryService>();
        builder.Services.AddSingleton<LotteryKeywords>();
        builder.Services.AddHostedService<LotteryDrawer>();
        return builder;
    }
}
