using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LiveMicro.Auth.Accounts;

/// <summary>Counts failed logins per username in Redis, so the limit holds across every auth instance.</summary>
public sealed class LoginThrottle(IConnectionMultiplexer redis, IOptions<LoginOptions> options)
{
    // INCR and the first EXPIRE in one step: a crash between them must not leave a counter that never expires.
    private const string RecordFailureScript = """
        local failures = redis.call('INCR', KEYS[1])
        if failures == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return failures
        """;

    private static RedisKey Key(string normalizedUsername) => $"livemicro:auth:login-failures:{normalizedUsername}";

    /// <summary>How long the caller must wait, or null when the name may try again now.</summary>
    public async Task<TimeSpan?> GetLockoutAsync(string normalizedUsername)
    {
        var db = redis.GetDatabase();
        var failures = (long?)await db.StringGetAsync(Key(normalizedUsername)) ?? 0;
        if (failures < options.Value.MaxFailures) return null;
        var remaining = await db.KeyTimeToLiveAsync(Key(normalizedUsername));
        return remaining is { } ttl && ttl > TimeSpan.Zero ? ttl : options.Value.FailureWindow;
    }

    public Task RecordFailureAsync(string normalizedUsername) =>
        redis.GetDatabase().ScriptEvaluateAsync(RecordFailureScript, [Key(normalizedUsername)],
            [(long)options.Value.FailureWindow.TotalMilliseconds]);

    public Task ResetAsync(string normalizedUsername) => redis.GetDatabase().KeyDeleteAsync(Key(normalizedUsername));
}
