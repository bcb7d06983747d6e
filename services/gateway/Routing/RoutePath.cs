using Microsoft.AspNetCore.Routing.Patterns;

namespace LiveMicro.Gateway.Routing;

/// <summary>A route's <c>Match:Path</c>, compiled so a request path is matched without allocating. It takes the
/// part of ASP.NET's route template syntax that gateway routes need: literal segments, a parameter <c>{id}</c>
/// (one non-empty segment) and a final catch-all <c>{**rest}</c> (what is left, possibly nothing). As in ASP.NET
/// routing, literals compare case-insensitively and a trailing slash is ignored.</summary>
public sealed class RoutePath
{
    private const byte LiteralRank = 1;
    private const byte ParameterRank = 3;
    private const byte CatchAllRank = 5;

    /// <summary>One entry per segment before any catch-all: the literal, or null for a parameter.</summary>
    private readonly string?[] _segments;
    private readonly bool _catchAll;

    /// <summary>ASP.NET's inbound precedence, one digit per segment: more specific segments sort first.</summary>
    private readonly byte[] _precedence;

    private RoutePath(string?[] segments, bool catchAll, byte[] precedence)
    {
        _segments = segments;
        _catchAll = catchAll;
        _precedence = precedence;
    }

    /// <summary>The literal first segment, which the route table indexes routes by; null when it is a parameter.</summary>
    public string? FirstLiteral => _segments.Length > 0 ? _segments[0] : null;

    public static RoutePath? TryParse(string template, out string? error)
    {
        RoutePattern pattern;
        try
        {
            pattern = RoutePatternFactory.Parse(template);
        }
        catch (RoutePatternException e)
        {
            error = e.Message;
            return null;
        }

        if (!template.StartsWith('/'))
        {
            error = "it must start with '/'";
            return null;
        }

        var segments = new List<string?>();
        var precedence = new List<byte>();
        var catchAll = false;
        foreach (var segment in pattern.PathSegments)
        {
            error = catchAll ? "a catch-all parameter must be the last segment"
                : segment.Parts is not [var part] ? "a segment must be one literal or one parameter"
                : part is RoutePatternParameterPart { IsOptional: true } or RoutePatternParameterPart { Default: not null } or
                    RoutePatternParameterPart { ParameterPolicies.Count: > 0 } ? "parameters take no constraint, default or '?'"
                : null;
            if (error is not null) return null;

            switch (segment.Parts[0])
            {
                case RoutePatternLiteralPart literal:
                    segments.Add(literal.Content);
                    precedence.Add(LiteralRank);
                    break;
                case RoutePatternParameterPart { IsCatchAll: true }:
                    catchAll = true;
                    precedence.Add(CatchAllRank);
                    break;
                case RoutePatternParameterPart:
                    segments.Add(null);
                    precedence.Add(ParameterRank);
                    break;
                default:
                    error = "a segment must be one literal or one parameter";
                    return null;
            }
        }

        error = null;
        return new RoutePath([.. segments], catchAll, [.. precedence]);
    }

    /// <summary>Whether <paramref name="path"/> (a request path, starting with '/') matches.</summary>
    public bool IsMatch(ReadOnlySpan<char> path)
    {
        var remaining = path.IsEmpty ? path : path[1..];
        var exhausted = remaining.IsEmpty;
        foreach (var expected in _segments)
        {
            if (exhausted) return false;
            ReadOnlySpan<char> segment;
            var slash = remaining.IndexOf('/');
            if (slash < 0)
            {
                segment = remaining;
                exhausted = true;
            }
            else
            {
                segment = remaining[..slash];
                remaining = remaining[(slash + 1)..];
                exhausted = remaining.IsEmpty;
            }

            if (expected is null ? segment.IsEmpty : !segment.Equals(expected, StringComparison.OrdinalIgnoreCase)) return false;
        }

        return exhausted || _catchAll;
    }

    /// <summary>Negative when this route is more specific than <paramref name="other"/>: ASP.NET's order for routes of
    /// equal <c>Order</c> (a literal beats a parameter, a parameter beats a catch-all, segment by segment).</summary>
    public int ComparePrecedence(RoutePath other)
    {
        for (var i = 0; i < Math.Max(_precedence.Length, other._precedence.Length); i++)
        {
            var mine = i < _precedence.Length ? _precedence[i] : 0;
            var theirs = i < other._precedence.Length ? other._precedence[i] : 0;
            if (mine != theirs) return mine.CompareTo(theirs);
        }

        return 0;
    }
}
