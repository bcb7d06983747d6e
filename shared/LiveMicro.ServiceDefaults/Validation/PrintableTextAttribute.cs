using System.ComponentModel.DataAnnotations;

namespace LiveMicro.ServiceDefaults.Validation;

/// <summary>Text people will see in other people's screens: no control characters (a terminal bell, a
/// right-to-left override is fine, a NUL is not), and, unless <see cref="AllowBlank"/>, not only white space.
/// Null passes: pair it with [Required] where the field must be there.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field)]
public sealed class PrintableTextAttribute : ValidationAttribute
{
    public bool AllowLineBreaks { get; init; }

    public bool AllowBlank { get; init; }

    public PrintableTextAttribute() : base("The {0} field must be printable text.")
    {
    }

    public override bool IsValid(object? value) =>
        value is not string text ||
        ((AllowBlank || !string.IsNullOrWhiteSpace(text)) &&
         !text.Any(c => char.IsControl(c) && !(AllowLineBreaks && c == '\n')));
}
