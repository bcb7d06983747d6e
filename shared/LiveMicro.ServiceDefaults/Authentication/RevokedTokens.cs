using StackExchange.Redis;

namespace LiveMicro.ServiceDefaults.Authentication;

/// <summary>Access-token ids revoked at logout. Every service consults it, so a logged-out token stops working
/// everywhere at once; each entry lives only until the token would have expired anyway.</summary>
public sealed class RevokedTokens(IConnectionMultiplexer redis, TimeProvider time)
{
    private static string Key(string tokenId) => $"livemicro:auth:revoked:{tokenId}";

    public async Task RevokeAsync(string tokenId, DateTimeOffset tokenExpiresAt)
    {
        var remaining = tokenExpiresAt - time.GetUtcNow();
        if (remaining <= TimeSpan.Zero) return;
        await redis.GetDatabase().StringSetAsync(Key(tokenId), "1", remaining);
    }

    public Task<bool> IsRevokedAsync(string tokenId) => redis.GetDatabase().KeyExistsAsync(Key(tokenId));
}
