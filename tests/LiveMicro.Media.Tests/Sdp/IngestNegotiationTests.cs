using System.Net;
using System.Text;
using LiveMicro.Media.Dtls;
using LiveMicro.Media.Ice;
using LiveMicro.Media.Sdp;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Sdp;

public sealed class IngestNegotiationTests
{
    private static readonly string ChromiumOffer = Encoding.UTF8.GetString(Vectors.Load("chromium-156-whip-offer.sdp"));
    private static readonly IceCredentials Local = new("srvA", "server-password-0123456789");
    private static readonly DtlsFingerprint LocalFingerprint = DtlsFingerprint.Sha256Of([1, 2, 3]);
    private static readonly IPEndPoint[] Candidates = [IPEndPoint.Parse("127.0.0.1:40000"), IPEndPoint.Parse("192.0.2.10:40000")];

    private static IngestNegotiation Negotiate(string offer) =>
        IngestNegotiation.Negotiate(SessionDescription.Parse(offer), Local, LocalFingerprint, Candidates);

    [Fact]
    public void Chromiums_offer_reads_with_its_sections_and_codecs()
    {
        var offer = SessionDescription.Parse(ChromiumOffer);

        Assert.Equal(["audio", "video"], offer.Media.Select(m => m.Kind));
        Assert.Equal("BUNDLE 0 1", offer.Attribute("group"));
        var video = offer.Media[1];
        Assert.Equal(("1", "sendonly", "UDP/TLS/RTP/SAVPF"), (video.Mid, video.Direction, video.Protocol));
        Assert.Equal(23, video.Formats.Count);
        Assert.Equal(new RtpCodec(102, "H264", 90000, 1, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"), video.Codec(102));
        Assert.Equal("42001f", video.Codec(102)!.Parameter("profile-level-id"));
        Assert.Equal(new RtpCodec(111, "opus", 48000, 2, "minptime=10;useinbandfec=1"), offer.Media[0].Codec(111));
        Assert.Contains("nack pli", video.ForFormat("rtcp-fb", 102));
    }

    [Fact]
    public void The_answer_takes_constrained_baseline_H264_and_Opus_over_one_passive_ice_lite_transport()
    {
        var negotiation = Negotiate(ChromiumOffer);

        Assert.Equal((108, "42e01f"), (negotiation.Video.PayloadType, negotiation.Video.Parameter("profile-level-id")));
        Assert.Equal(111, negotiation.Audio!.PayloadType);
        Assert.Equal(new IceCredentials("FYVq", "WPJi2SJPmTMqWEilA6gnCh0W"), negotiation.RemoteIce);
        Assert.Equal("sha-256 43:5D:EB:8E:EE:50:65:A8:A5:2A:87:87:BF:63:31:FD:57:8A:94:B7:CC:4A:5B:D6:FC:43:36:C1:D4:96:57:E0",
            negotiation.RemoteFingerprint.ToString());

        var answer = SessionDescription.Parse(negotiation.Answer);
        Assert.Contains(answer.Attributes, a => a.Name == "ice-lite");
        Assert.Equal("BUNDLE 0 1", answer.Attribute("group"));
        Assert.All(negotiation.Answer.Split("\r\n")[..^1], line => Assert.Matches("^[a-z]=", line));
        var (audio, video) = (answer.Media[0], answer.Media[1]);
        Assert.Equal([111], audio.Formats);
        Assert.Equal([108], video.Formats);
        foreach (var media in answer.Media)
        {
            Assert.Equal("recvonly", media.Direction);
            Assert.Equal(("passive", "srvA", "server-password-0123456789"), (media.Attribute("setup"), media.Attribute("ice-ufrag"), media.Attribute("ice-pwd")));
            Assert.Equal(LocalFingerprint.ToString(), media.Attribute("fingerprint"));
            Assert.Contains(media.Attributes, a => a.Name == "rtcp-mux");
            Assert.Equal(["1 1 udp 2130706431 127.0.0.1 40000 typ host", "2 1 udp 2130706175 192.0.2.10 40000 typ host"],
                media.Attributes.Where(a => a.Name == "candidate").Select(a => a.Value));
        }

        Assert.Contains("m=video 40000 UDP/TLS/RTP/SAVPF 108\r\nc=IN IP4 127.0.0.1\r\n", negotiation.Answer);
        Assert.Equal("H264/90000", video.ForFormat("rtpmap", 108).Single());
        Assert.Equal("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", video.ForFormat("fmtp", 108).Single());
        Assert.Equal(["nack pli"], video.ForFormat("rtcp-fb", 108));
        Assert.Equal("opus/48000/2", audio.ForFormat("rtpmap", 111).Single());
        Assert.Empty(audio.ForFormat("rtcp-fb", 111));
    }

    [Fact]
    public void A_section_we_do_not_take_is_answered_with_port_0_and_left_out_of_the_bundle()
    {
        var offer = ChromiumOffer.Replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2")
                    + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=sctp-port:5000\r\n";

        var answer = Negotiate(offer).Answer;

        Assert.Contains("a=group:BUNDLE 0 1\r\n", answer);
        Assert.Contains("m=application 0 UDP/DTLS/SCTP 0\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=inactive\r\n", answer);
    }

    [Fact]
    public void Video_alone_is_taken_without_audio()
    {
        var videoOnly = ChromiumOffer.Replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 1");
        videoOnly = videoOnly[..videoOnly.IndexOf("m=audio", StringComparison.Ordinal)] + videoOnly[videoOnly.IndexOf("m=video", StringComparison.Ordinal)..];

        var negotiation = Negotiate(videoOnly);

        Assert.Null(negotiation.Audio);
        Assert.Contains("a=group:BUNDLE 1\r\n", negotiation.Answer);
    }

    [Theory]
    [InlineData("packetization-mode=1", "packetization-mode=2", "H.264")] // no H.264 in packets we read
    [InlineData("m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 RTP/AVP", "H.264")] // not WebRTC's profile
    [InlineData("a=sendonly", "a=recvonly", "H.264")] // the browser would send nothing
    [InlineData("a=setup:actpass", "a=setup:passive", "setup")]
    [InlineData("a=ice-pwd:WPJi2SJPmTMqWEilA6gnCh0W", "a=ice-pwd:short", "ice")]
    [InlineData("a=fingerprint:sha-256", "a=fingerprint:sha-1", "fingerprint")]
    [InlineData("a=rtcp-mux\r\n", "", "rtcp-mux")]
    public void An_offer_without_what_WebRTC_ingest_needs_is_refused_saying_what(string from, string to, string reason)
    {
        var refused = Assert.Throws<SdpException>(() => Negotiate(ChromiumOffer.Replace(from, to)));

        Assert.Contains(reason, refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("v=1\r\n")]
    [InlineData("o=- 1 2 IN IP4 127.0.0.1\r\n")]
    [InlineData("v=0\r\nm=video\r\n")]
    public void Text_that_is_not_a_session_description_is_refused(string text)
    {
        Assert.Throws<SdpException>(() => SessionDescription.Parse(text));
    }

    [Fact]
    public void An_oversized_description_is_refused_before_it_is_read()
    {
        Assert.Throws<SdpException>(() => SessionDescription.Parse("v=0\r\n" + new string('a', SessionDescription.MaxLength)));
    }
}
