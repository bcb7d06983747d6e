using LiveMicro.ServiceDefaults.Authentication;
using LiveMicro.ServiceDefaults.Health;
using LiveMicro.ServiceDefaults.Hosting;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LiveMicro.ServiceDefaults;

public static class Extensions
{
    /// <summary>What every LiveMicro service has: structured logs, health checks, problem details for every
    /// error, JWT validation that fails closed, an OpenAPI document, and connections capped below the open-file
    /// limit. Request validation is the service's own
    /// <c>AddValidation()</c> call: the validation source generator only sees calls in the service's assembly.</summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddJsonConsole(options =>
        {
            options.IncludeScopes = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            options.UseUtcTimestamp = true;
        });

        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [HealthTags.Live]);
        builder.AddDefaultProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddDefaultAuthentication();
        builder.AddConnectionLimit();
        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthEndpoints();
        app.MapOpenApi();
        return app;
    }

    private static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = r => r.Tags.Contains(HealthTags.Live), ResponseWriter = HealthResponseWriter.WriteAsync });
        app.MapHealthChecks("/health/ready", new() { Predicate = r => r.Tags.Contains(HealthTags.Ready), ResponseWriter = HealthResponseWriter.WriteAsync });
        return app;
    }
}
