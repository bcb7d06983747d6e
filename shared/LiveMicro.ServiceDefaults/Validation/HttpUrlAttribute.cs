using System.ComponentModel.DataAnnotations;

namespace LiveMicro.ServiceDefaults.Validation;

/// <summary>An absolute http or https URL (never javascript:, data: or a relative path). Null and "" pass, so an
/// optional field can be cleared.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field)]
public sealed class HttpUrlAttribute : ValidationAttribute
{
    public HttpUrlAttribute() : base("The {0} field must be an absolute http or https URL.")
    {
    }

    public override bool IsValid(object? value) =>
        value is not string { Length: > 0 } text ||
        (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp));
}
