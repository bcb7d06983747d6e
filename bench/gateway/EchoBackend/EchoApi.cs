using System.Globalization;
using Microsoft.AspNetCore.Http.Features;

namespace LiveMicro.Bench.EchoBackend;

public sealed class EchoState(string service, string instance)
{
    private long _hits;

    public string Service { get; } = service;

    public string Instance { get; } = instance;

    public long Hits => Interlocked.Read(ref _hits);

    public void Hit() => Interlocked.Increment(ref _hits);
}

/// <summary>Answers what it received, so a test sees which service and instance a route reached and which headers
/// arrived. Query switches: <c>status</c> answers that status, <c>delayMs</c> waits first, <c>bytes</c> streams that
/// many bytes in 16 KiB chunks.</summary>
public static class EchoApi
{
    private static readonly string[] EchoedHeaders =
        ["Authorization", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-Id", "Connection", "Keep-Alive", "X-Custom"];

    public static async Task EchoAsync(HttpContext context, EchoState state)
    {
        state.Hit();
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
        var query = context.Request.Query;
        if (int.TryParse(query["delayMs"], CultureInfo.InvariantCulture, out var delay)) await Task.Delay(delay, context.RequestAborted);

        long bodyLength = 0;
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0) bodyLength += read;

        context.Response.Headers["X-Instance"] = state.Instance;
        if (long.TryParse(query["bytes"], CultureInfo.InvariantCulture, out var bytes))
        {
            context.Response.ContentType = "video/x-flv";
            for (long sent = 0; sent < bytes; sent += buffer.Length)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, bytes - sent)), context.RequestAborted);
            }

            return;
        }

        context.Response.StatusCode = int.TryParse(query["status"], CultureInfo.InvariantCulture, out var status) ? status : 200;
        await context.Response.WriteAsJsonAsync(new
        {
            service = state.Service,
            instance = state.Instance,
            method = context.Request.Method,
            path = context.Request.Path.Value,
            query = context.Request.QueryString.Value,
            bodyLength,
            headers = EchoedHeaders.Where(h => context.Request.Headers.ContainsKey(h))
                .ToDictionary(h => h, h => context.Request.Headers[h].ToString()),
        }, context.RequestAborted);
    }
}
