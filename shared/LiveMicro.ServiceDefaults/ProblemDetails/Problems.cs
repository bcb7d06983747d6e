using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveMicro.ServiceDefaults.ProblemDetails;

/// <summary>Problems with a stable <c>type</c> per failure, so clients branch on the type, not on the text.</summary>
public static class Problems
{
    public const string TypeBase = "https://livemicro.dev/problems/";

    public static string TypeUri(string slug) => TypeBase + slug;

    public static ProblemHttpResult Create(int status, string slug, string title, string? detail = null) =>
        TypedResults.Problem(statusCode: status, type: TypeUri(slug), title: title, detail: detail);

    public static ValidationProblem Validation(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] },
            type: TypeUri("validation"), title: "One or more fields are invalid.");
}
