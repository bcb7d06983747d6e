using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LiveMicro.ServiceDefaults.ProblemDetails;

public static class ProblemDetailsExtensions
{
    /// <summary>Every error is RFC 9457 problem+json: exceptions, empty 4xx/5xx responses (401, 404, 405, ...),
    /// unreadable request bodies and parameters, and validation failures.</summary>
    public static IHostApplicationBuilder AddDefaultProblemDetails(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions.TryAdd("traceId", Activity.Current?.Id ?? context.HttpContext.TraceIdentifier);
            if (context.ProblemDetails is HttpValidationProblemDetails validation) CamelCaseFieldNames(validation);
        });
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Throwing lets BadRequestExceptionHandler say which parameter or JSON field was wrong, instead of the
        // framework's bare 400 with no body.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return builder;
    }

    /// <summary>Field names as the JSON spells them (<c>displayName</c>, not the C# <c>DisplayName</c>).</summary>
    private static void CamelCaseFieldNames(HttpValidationProblemDetails validation)
    {
        var errors = validation.Errors.ToList();
        validation.Errors.Clear();
        foreach (var (field, messages) in errors) validation.Errors[JsonNamingPolicy.CamelCase.ConvertName(field)] = messages;
    }
}
