using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LiveMicro.Media.Dtls;
using LiveMicro.Media.Ice;

namespace LiveMicro.Media.Sdp;

/// <summary>
/// What an ingest server takes from a publisher's offer (WHIP, RFC 9725) and its answer: one H.264 video section
/// (packetization-mode 1, constrained baseline preferred) and at most one Opus audio section, received over one
/// bundled ICE-lite transport on which we are the DTLS server (a=setup:passive). Anything else in the offer is
/// answered rejected (port 0). Throws <see cref="SdpException"/> when the offer has nothing to take or lacks what
/// WebRTC requires (ICE credentials, a sha-256 fingerprint, rtcp-mux, a section the browser sends in).
/// </summary>
public sealed class IngestNegotiation
{
    private const string Protocol = "UDP/TLS/RTP/SAVPF";

    private IngestNegotiation(RtpCodec video, RtpCodec? audio, IceCredentials remoteIce, DtlsFingerprint remoteFingerprint, string answer)
    {
        Video = video;
        Audio = audio;
        RemoteIce = remoteIce;
        RemoteFingerprint = remoteFingerprint;
        Answer = answer;
    }

    public RtpCodec Video { get; }

    public RtpCodec? Audio { get; }

    public IceCredentials RemoteIce { get; }

    public DtlsFingerprint RemoteFingerprint { get; }

    /// <summary>The answer's SDP, lines ending in CRLF.</summary>
    public string Answer { get; }

    /// <param name="candidates">Where our one UDP socket is reachable, best first: each becomes a host candidate.</param>
    public static IngestNegotiation Negotiate(SessionDescription offer, IceCredentials local, DtlsFingerprint localFingerprint,
        IReadOnlyList<IPEndPoint> candidates)
    {
        if (candidates.Count == 0) throw new ArgumentException("An answer needs a candidate.", nameof(candidates));
        RtpCodec? video = null, audio = null;
        var accepted = new List<(MediaDescription Media, RtpCodec Codec)>();
        foreach (var media in offer.Media)
        {
            if (media.Protocol != Protocol || media.Direction is not ("sendonly" or "sendrecv")) continue;
            if (media.Kind == "video" && video is null && ChooseVideo(media) is { } chosenVideo)
            {
                accepted.Add((media, video = chosenVideo));
            }
            else if (media.Kind == "audio" && audio is null && ChooseAudio(media) is { } chosenAudio)
            {
                accepted.Add((media, audio = chosenAudio));
            }
        }

        if (video is null) throw new SdpException("The offer sends no H.264 video with packetization-mode 1.");
        var transport = accepted[0].Media;
        var ufrag = transport.Attribute("ice-ufrag") ?? offer.Attribute("ice-ufrag");
        var password = transport.Attribute("ice-pwd") ?? offer.Attribute("ice-pwd");
        if (ufrag is null || password is null || !IceCredentials.IsValid(ufrag, password))
        {
            throw new SdpException("The offer carries no valid a=ice-ufrag and a=ice-pwd.");
        }

        var fingerprintText = transport.Attribute("fingerprint") ?? offer.Attribute("fingerprint");
        var fingerprint = fingerprintText is null ? null : DtlsFingerprint.Parse(fingerprintText);
        if (fingerprint is null) throw new SdpException("The offer carries no sha-256 a=fingerprint.");
        var setup = transport.Attribute("setup") ?? offer.Attribute("setup") ?? "actpass";
        if (setup is not ("actpass" or "active")) throw new SdpException($"The offer's a=setup:{setup} leaves no DTLS server role for us.");
        if (accepted.Any(a => !a.Media.Attributes.Any(x => x.Name == "rtcp-mux")))
        {
            throw new SdpException("The offer does not multiplex RTCP with RTP (a=rtcp-mux), which WebRTC requires.");
        }

        var answer = WriteAnswer(offer, accepted, local, localFingerprint, candidates);
        return new IngestNegotiation(video, audio, new IceCredentials(ufrag, password), fingerprint, answer);
    }

    /// <summary>H.264 in FU-A/STAP-A packets (mode 1; mode 0 sends a NAL unit per packet, which no browser does by
    /// default), constrained baseline first: it is what every browser encodes and every player decodes.</summary>
    private static RtpCodec? ChooseVideo(MediaDescription media) =>
        media.Formats.Select(media.Codec)
            .Where(c => c is not null && c.Name.Equals("H264", StringComparison.OrdinalIgnoreCase) && c.ClockRate == 90000 &&
                        c.Parameter("packetization-mode") == "1")
            .OrderBy(c => c!.Parameter("profile-level-id")?.StartsWith("42e0", StringComparison.OrdinalIgnoreCase) == true ? 0 : 1)
            .FirstOrDefault();

    private static RtpCodec? ChooseAudio(MediaDescription media) =>
        media.Formats.Select(media.Codec)
            .FirstOrDefault(c => c is not null && c.Name.Equals("opus", StringComparison.OrdinalIgnoreCase) && c.ClockRate == 48000);

    private static string WriteAnswer(SessionDescription offer, List<(MediaDescription Media, RtpCodec Codec)> accepted, IceCredentials local,
        DtlsFingerprint localFingerprint, IReadOnlyList<IPEndPoint> candidates)
    {
        var answer = new StringBuilder();
        void Line(string line) => answer.Append(line).Append("\r\n");
        var address = candidates[0].Address;
        var connection = $"c=IN {(address.AddressFamily == AddressFamily.InterNetworkV6 ? "IP6" : "IP4")} {address}";

        Line("v=0");
        Line($"o=- {Random.Shared.NextInt64(1, long.MaxValue)} 2 IN IP4 127.0.0.1");
        Line("s=-");
        Line("t=0 0");
        Line("a=ice-lite");
        var mids = accepted.Select(a => a.Media.Mid).Where(mid => mid is not null).ToList();
        if (mids.Count > 0) Line($"a=group:BUNDLE {string.Join(' ', mids)}");
        foreach (var media in offer.Media)
        {
            var codec = accepted.FirstOrDefault(a => a.Media == media).Codec;
            if (codec is null)
            {
                // refused: port 0 and out of the bundle (RFC 8843 section 7.3.3)
                Line($"m={media.Kind} 0 {media.Protocol} {(media.Formats.Count > 0 ? media.Formats[0] : 0)}");
                Line("c=IN IP4 0.0.0.0");
                if (media.Mid is { } refusedMid) Line($"a=mid:{refusedMid}");
                Line("a=inactive");
                continue;
            }

            Line($"m={media.Kind} {candidates[0].Port} {Protocol} {codec.PayloadType}");
            Line(connection);
            if (media.Mid is { } mid) Line($"a=mid:{mid}");
            Line($"a=ice-ufrag:{local.Ufrag}");
            Line($"a=ice-pwd:{local.Password}");
            Line($"a=fingerprint:{localFingerprint}");
            Line("a=setup:passive");
            Line("a=recvonly");
            Line("a=rtcp-mux");
            Line($"a=rtpmap:{codec.PayloadType} {codec.Name}/{codec.ClockRate}{(codec.Channels > 1 ? $"/{codec.Channels}" : "")}");
            if (codec.Parameters.Length > 0) Line($"a=fmtp:{codec.PayloadType} {codec.Parameters}");
            // the feedback we send: picture loss indications, to get a keyframe for a player that joins
            if (media.ForFormat("rtcp-fb", codec.PayloadType).Contains("nack pli")) Line($"a=rtcp-fb:{codec.PayloadType} nack pli");
            for (var i = 0; i < candidates.Count; i++)
            {
                // host type preference 126, local preference falling with rank, component 1 (RFC 8445 section 5.1.2.1)
                var priority = (126u << 24) | ((uint)(65535 - i) << 8) | 255;
                Line(string.Create(CultureInfo.InvariantCulture,
                    $"a=candidate:{i + 1} 1 udp {priority} {candidates[i].Address} {candidates[i].Port} typ host"));
            }

            Line("a=end-of-candidates");
        }

        return answer.ToString();
    }
}
