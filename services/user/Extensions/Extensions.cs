using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.EventBus.Outbox;
using LiveMicro.ServiceDefaults.Data;
using LiveMicro.User.Follows;
using LiveMicro.User.Infrastructure;
using LiveMicro.User.Profiles;

namespace LiveMicro.User.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // here, not in ServiceDefaults: the validation generator only sees AddValidation calls in this assembly
        builder.Services.AddValidation();
        builder.AddPostgresDbContext<UserDbContext>("UserDb");
        builder.AddRedisEventBus()
            .AddSubscription<UserRegistered, UserRegisteredHandler>()
            .AddOutboxRelay<UserDbContext>();

        builder.Services.AddScoped<ProfileStore>();
        builder.Services.AddScoped<FollowGraph>();
        return builder;
    }
}
