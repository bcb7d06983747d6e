using System.Globalization;
using LiveMicro.ServiceDefaults.ProblemDetails;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>The gateway's own answers when it cannot forward, each with a stable problem type.</summary>
internal static class GatewayProblems
{
    public static Task WriteAsync(HttpContext context, int status, string slug, string title, string? detail = null,
        TimeSpan? retryAfter = null)
    {
        if (retryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return Problems.Create(status, slug, title, detail).ExecuteAsync(context);
    }
}
