using LiveMicro.Auth.Tokens;

namespace LiveMicro.Auth.Apis;

public static class JwksApi
{
    public static IEndpointRouteBuilder MapJwksApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/jwks.json", GetKeySet).WithTags("Auth");
        return app;
    }

    /// <summary>The public keys (RFC 7517) every other service and the gateway validate tokens with.</summary>
    public static async Task<IResult> GetKeySet(SigningKeys keys, HttpContext http, CancellationToken cancellationToken)
    {
        var publicKeys = await keys.GetPublicKeysAsync(cancellationToken);
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Json(new
        {
            keys = publicKeys.Select(k => new { kty = k.Kty, crv = k.Crv, x = k.X, y = k.Y, kid = k.Kid, use = k.Use, alg = k.Alg }),
        });
    }
}
