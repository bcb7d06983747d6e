using LiveMicro.ServiceDefaults.Data;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace LiveMicro.ServiceDefaults.Authentication;

public static class AuthenticationExtensions
{
    public const string JwksHttpClient = "jwks";

    /// <summary>JWT bearer validation against the auth service's keys. It fails closed: without an issuer,
    /// audience and a key source the service does not start, and a revoked token is refused.</summary>
    public static IHostApplicationBuilder AddDefaultAuthentication(this IHostApplicationBuilder builder)
    {
        builder.AddRedis();
        builder.Services.AddSingleton<RevokedTokens>();
        builder.Services.AddHttpClient(JwksHttpClient);
        builder.Services.AddValidatedOptions<JwtOptions>(JwtOptions.SectionName)
            .Validate<IServiceProvider>(
                (options, services) => !string.IsNullOrWhiteSpace(options.JwksUrl) || services.GetService<IConfigurationManager<OpenIdConnectConfiguration>>() is not null,
                "Jwt:JwksUrl is required: without it no token could be validated.")
            .Validate(
                options => options.AllowHttpJwks || options.JwksUrl is null || options.JwksUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase),
                "Jwt:JwksUrl must be https unless Jwt:AllowHttpJwks is set.");

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<JwtOptions>, IServiceProvider>(ConfigureJwtBearer);
        builder.Services.AddAuthorization();
        return builder;
    }

    private static void ConfigureJwtBearer(JwtBearerOptions bearer, IOptions<JwtOptions> jwtOptions, IServiceProvider services)
    {
        var jwt = jwtOptions.Value;
        bearer.MapInboundClaims = false;
        bearer.RequireHttpsMetadata = !jwt.AllowHttpJwks;
        bearer.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = jwt.Issuer,
            ValidAudience = jwt.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256],
            ClockSkew = jwt.ClockSkew,
            NameClaimType = TokenClaims.Name,
        };
        bearer.ConfigurationManager = services.GetService<IConfigurationManager<OpenIdConnectConfiguration>>()
            ?? new ConfigurationManager<OpenIdConnectConfiguration>(
                jwt.JwksUrl,
                new JwksConfigurationRetriever(jwt.Issuer),
                new HttpDocumentRetriever(services.GetRequiredService<IHttpClientFactory>().CreateClient(JwksHttpClient))
                {
                    RequireHttps = !jwt.AllowHttpJwks,
                });

        // query-string tokens are how browsers authenticate WebSocket upgrades
        bearer.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                if (context.Request.Path.StartsWithSegments("/ws") &&
                    context.Request.Query.TryGetValue("access_token", out var token))
                {
                    context.Token = token;
                }

                return Task.CompletedTask;
            },
            OnTokenValidated = async context =>
            {
                var tokenId = context.Principal?.FindFirst(TokenClaims.TokenId)?.Value;
                var revoked = context.HttpContext.RequestServices.GetRequiredService<RevokedTokens>();
                if (tokenId is null) context.Fail("The token has no jti.");
                else if (await revoked.IsRevokedAsync(tokenId)) context.Fail("The token was revoked.");
            },
        };
    }
}
