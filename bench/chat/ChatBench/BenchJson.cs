using System.Text.Json;
using System.Text.Json.Serialization;

namespace LiveMicro.Bench.Chat;

/// <summary>The one JSON line each run ends with, for scripts to collect.</summary>
public static class BenchJson
{
    // a percentile of nothing is NaN, which plain JSON cannot hold
    private static readonly JsonSerializerOptions Options = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string Line(object figures) => JsonSerializer.Serialize(figures, Options);
}
