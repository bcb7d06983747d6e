using System.Globalization;

namespace LiveMicro.Media.Sdp;

/// <summary>Why an SDP offer was refused.</summary>
public sealed class SdpException(string message) : FormatException(message);

/// <summary>
/// An SDP session description (RFC 8866) as far as a WebRTC ingest reads it: the session's attributes and its media
/// sections, each with its kind, formats and attributes (rtpmap and fmtp by payload type). Lines are type=value; a
/// description longer than <see cref="MaxLength"/> or a line that is not type=value is refused.
/// </summary>
public sealed class SessionDescription
{
    /// <summary>A browser's offer is 4-8 KB; 64 KB leaves room for many codecs without taking any size.</summary>
    public const int MaxLength = 64 * 1024;

    private SessionDescription(IReadOnlyList<SdpAttribute> attributes, IReadOnlyList<MediaDescription> media)
    {
        Attributes = attributes;
        Media = media;
    }

    public IReadOnlyList<SdpAttribute> Attributes { get; }

    public IReadOnlyList<MediaDescription> Media { get; }

    public string? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name)?.Value;

    public static SessionDescription Parse(string text)
    {
        if (text.Length > MaxLength) throw new SdpException($"The description is longer than {MaxLength} bytes.");
        var session = new List<SdpAttribute>();
        var media = new List<MediaDescription>();
        var sawVersion = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.Length < 2 || line[1] != '=') throw new SdpException($"Not an SDP line: '{Shorten(line)}'.");
            var value = line[2..];
            switch (line[0])
            {
                case 'v':
                    if (value != "0") throw new SdpException($"SDP version {Shorten(value)} is not 0.");
                    sawVersion = true;
                    break;
                case 'm':
                    media.Add(MediaDescription.Parse(value));
                    break;
                case 'a':
                    var attribute = SdpAttribute.Parse(value);
                    if (media.Count == 0) session.Add(attribute);
                    else media[^1].Add(attribute);
                    break;
            }
        }

        if (!sawVersion) throw new SdpException("The description has no v=0 line.");
        return new SessionDescription(session, media);
    }

    internal static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}

public sealed record SdpAttribute(string Name, string? Value)
{
    public static SdpAttribute Parse(string text)
    {
        var colon = text.IndexOf(':');
        return colon < 0 ? new SdpAttribute(text, null) : new SdpAttribute(text[..colon], text[(colon + 1)..]);
    }

    public override string ToString() => Value is null ? $"a={Name}" : $"a={Name}:{Value}";
}

/// <summary>One m= section: <c>m=&lt;kind&gt; &lt;port&gt; &lt;protocol&gt; &lt;formats&gt;</c> and its attributes.</summary>
public sealed class MediaDescription
{
    private readonly List<SdpAttribute> _attributes = [];

    private MediaDescription(string kind, string protocol, IReadOnlyList<int> formats)
    {
        Kind = kind;
        Protocol = protocol;
        Formats = formats;
    }

    /// <summary>audio, video or application.</summary>
    public string Kind { get; }

    public string Protocol { get; }

    /// <summary>The RTP payload types, in the offerer's order of preference.</summary>
    public IReadOnlyList<int> Formats { get; }

    public IReadOnlyList<SdpAttribute> Attributes => _attributes;

    public string? Mid => Attribute("mid");

    /// <summary>sendrecv (the default), sendonly, recvonly or inactive.</summary>
    public string Direction =>
        _attributes.FirstOrDefault(a => a.Value is null && a.Name is "sendrecv" or "sendonly" or "recvonly" or "inactive")?.Name ?? "sendrecv";

    public string? Attribute(string name) => _attributes.FirstOrDefault(a => a.Name == name)?.Value;

    /// <summary>The values of every a=<paramref name="name"/> that starts with <paramref name="payloadType"/>, the
    /// payload type taken off (rtpmap, fmtp, rtcp-fb).</summary>
    public IEnumerable<string> ForFormat(string name, int payloadType)
    {
        var prefix = payloadType.ToString(CultureInfo.InvariantCulture) + " ";
        return _attributes.Where(a => a.Name == name && a.Value is not null && a.Value.StartsWith(prefix, StringComparison.Ordinal))
            .Select(a => a.Value![prefix.Length..].Trim());
    }

    /// <summary>The codec of a payload type from its rtpmap (name/clock rate[/channels]), or null.</summary>
    public RtpCodec? Codec(int payloadType)
    {
        var map = ForFormat("rtpmap", payloadType).FirstOrDefault();
        if (map is null) return null;
        var parts = map.Split('/');
        if (parts.Length < 2 || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var clockRate)) return null;
        var channels = parts.Length > 2 && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var c) ? c : 1;
        return new RtpCodec(payloadType, parts[0], clockRate, channels, ForFormat("fmtp", payloadType).FirstOrDefault() ?? "");
    }

    internal void Add(SdpAttribute attribute) => _attributes.Add(attribute);

    internal static MediaDescription Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 4) throw new SdpException($"Not a media line: 'm={SessionDescription.Shorten(text)}'.");
        var formats = new List<int>();
        foreach (var format in parts.AsSpan(3))
        {
            // non-RTP sections (a data channel's webrtc-datachannel) have no payload types
            if (int.TryParse(format, CultureInfo.InvariantCulture, out var payloadType)) formats.Add(payloadType);
        }

        return new MediaDescription(parts[0], parts[2], formats);
    }
}

/// <summary>A payload type's codec: encoding name, clock rate, channels and its fmtp parameters (as written).</summary>
public sealed record RtpCodec(int PayloadType, string Name, int ClockRate, int Channels, string Parameters)
{
    /// <summary>One fmtp parameter (name=value, separated by ';'), or null.</summary>
    public string? Parameter(string name) =>
        Parameters.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .FirstOrDefault(p => p.Length == 2 && p[0].Equals(name, StringComparison.OrdinalIgnoreCase))?[1];
}
