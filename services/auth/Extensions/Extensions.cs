using LiveMicro.Auth.Accounts;
using LiveMicro.Auth.Infrastructure;
using LiveMicro.Auth.Tokens;
using LiveMicro.Contracts;
using LiveMicro.EventBus;
using LiveMicro.EventBus.Outbox;
using LiveMicro.ServiceDefaults;
using LiveMicro.ServiceDefaults.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace LiveMicro.Auth.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        // here, not in ServiceDefaults: the validation generator only sees AddValidation calls in this assembly
        builder.Services.AddValidation();
        builder.AddPostgresDbContext<AuthDbContext>("AuthDb");
        builder.AddRedisEventBus()
            .AddSubscription<UserProfileChanged, UserProfileChangedHandler>()
            .AddOutboxRelay<AuthDbContext>();

        builder.Services.AddValidatedOptions<TokenLifetimeOptions>("Tokens");
        builder.Services.AddValidatedOptions<LoginOptions>("Login");

        builder.Services.AddSingleton<SigningKeys>();
        builder.Services.AddHostedService<SigningKeyInitializer>();
        builder.Services.AddSingleton<IConfigurationManager<OpenIdConnectConfiguration>, LocalSigningKeyConfiguration>();
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddScoped<RefreshTokenStore>();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
        return builder;
    }
}
