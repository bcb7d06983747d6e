using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace LiveMicro.Gateway.Forwarding;

/// <summary>Status lines as bytes, made once per status code: <c>HTTP/1.1 {code} {reason}</c> CRLF, with the
/// reason phrase Kestrel writes (a destination's own phrase is not passed on, as through Kestrel).</summary>
internal static class StatusLines
{
    private static readonly byte[]?[] Lines = new byte[600][];

    public static ReadOnlySpan<byte> Of(int statusCode)
    {
        if ((uint)statusCode >= (uint)Lines.Length) return Make(statusCode);
        return Lines[statusCode] ??= Make(statusCode);
    }

    private static byte[] Make(int statusCode) => Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"HTTP/1.1 {statusCode} {ReasonPhrases.GetReasonPhrase(statusCode)}\r\n"));
}
