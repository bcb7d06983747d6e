using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.Rank.Boards;
using LiveMicro.Rank.Configuration;
using LiveMicro.ServiceDefaults;
using LiveMicro.ServiceDefaults.Data;

namespace LiveMicro.Rank.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<RankOptions>(RankOptions.SectionName);
        builder.AddRedis();
        builder.AddRedisEventBus()
            .AddSubscription<GiftSent, GiftSentHandler>()
            .AddSubscription<UserRegistered, UserRegisteredHandler>()
            .AddSubscription<UserProfileChanged, UserProfileChangedHandler>()
            .AddSubscription<UserFollowed, UserFollowedHandler>()
            .AddSubscription<UserUnfollowed, UserUnfollowedHandler>()
            .AddSubscription<RoomStatusChanged, RoomStatusChangedHandler>()
            .AddSubscription<ViewerCountChanged, ViewerCountChangedHandler>();
        builder.Services.AddSingleton<Leaderboards>();
        builder.Services.AddSingleton<BoardFeeds>();
        builder.Services.AddHostedService(services => services.GetRequiredService<BoardFeeds>());
        return builder;
    }
}
