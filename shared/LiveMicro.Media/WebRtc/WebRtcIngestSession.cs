using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using LiveMicro.Media.Dtls;
using LiveMicro.Media.Ice;
using LiveMicro.Media.Rtp;
using LiveMicro.Media.Sdp;
using LiveMicro.Media.Srtp;
using LiveMicro.Media.Stun;

namespace LiveMicro.Media.WebRtc;

public enum WebRtcIngestState
{
    /// <summary>Answered; waiting for the publisher's checks and DTLS handshake.</summary>
    Connecting,

    /// <summary>DTLS done, SRTP keys in place: media is read.</summary>
    Connected,

    /// <summary>The handshake failed, the publisher closed DTLS, or <see cref="WebRtcIngestSession.Close"/> was called.</summary>
    Closed,
}

/// <summary>Where a session's media goes.</summary>
public interface IWebRtcIngestSink
{
    /// <summary>A complete H.264 access unit (length-prefixed NAL units), with the parameter sets it needs:
    /// <paramref name="parameterSetsChanged"/> says a new decoder configuration must go first.</summary>
    void OnVideo(H264AccessUnit unit, byte[] sequenceParameterSet, byte[] pictureParameterSet, bool parameterSetsChanged);

    /// <summary>One Opus packet and its RTP timestamp (48 kHz).</summary>
    void OnAudio(uint timestamp, ReadOnlySpan<byte> opus);

    void OnStateChanged(WebRtcIngestState state);
}

/// <summary>
/// One publisher's WebRTC session, from datagrams in to media out, with no socket of its own: the owner of the UDP
/// socket hands it every datagram from its peer (<see cref="Receive"/>) and sends what it gives back (the send
/// callback sends before it returns: the memory it gets is reused). The datagrams
/// are told apart by their first byte (RFC 7983): STUN checks are answered by the ICE-lite agent, DTLS goes to the
/// handshake (on a thread of its own, as BouncyCastle's DTLS blocks), SRTP and SRTCP are unprotected with the keys
/// the handshake exported, and the video's RTP becomes H.264 access units. While the video needs a keyframe (at the
/// start, after a loss) or the last one is older than <paramref name="keyframeInterval"/>, the session asks for one
/// with an RTCP picture loss indication, at most every <see cref="KeyframeRequestInterval"/>: a browser sends keyframes
/// only when asked, and players joining an RTMP, HTTP-FLV or HLS stream start at one. <see cref="Receive"/> is called
/// from one thread at a time.
/// </summary>
public sealed class WebRtcIngestSession : IDisposable
{
    public static readonly TimeSpan KeyframeRequestInterval = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);

    private readonly IngestNegotiation _negotiation;
    private readonly IWebRtcIngestSink _sink;
    private readonly Action<ReadOnlyMemory<byte>, IPEndPoint> _send;
    private readonly TimeProvider _time;
    private readonly IceLiteAgent _ice;
    private readonly DtlsDatagramChannel _dtls;
    private readonly DtlsSrtpServer _dtlsServer;
    private readonly H264Depacketizer _video = new();
    private readonly H264AccessUnitHandler _onAccessUnit;
    private readonly byte[] _response = new byte[IceLiteAgent.MaxResponseLength];
    private readonly byte[] _rtcp = new byte[64];
    private readonly uint _ourSsrc = BinaryPrimitives.ReadUInt32BigEndian(RandomNumberGenerator.GetBytes(4));
    private SrtpContext? _fromPublisher;
    private SrtpContext? _toPublisher;
    private int _state = (int)WebRtcIngestState.Connecting;
    private int _handshakeStarted;
    private uint _videoSsrc;
    private long _lastKeyframeRequest;
    private long _lastKeyframe;
    private readonly TimeSpan _keyframeInterval;

    public WebRtcIngestSession(IngestNegotiation negotiation, IceCredentials local, DtlsCertificate certificate, IWebRtcIngestSink sink,
        Action<ReadOnlyMemory<byte>, IPEndPoint> send, TimeProvider time, TimeSpan keyframeInterval)
    {
        _keyframeInterval = keyframeInterval;
        _onAccessUnit = OnAccessUnit; // made once: a method group passed per packet would be a delegate per packet
        _negotiation = negotiation;
        _sink = sink;
        _send = send;
        _time = time;
        _ice = new IceLiteAgent(local, negotiation.RemoteIce, time);
        _dtls = new DtlsDatagramChannel(datagram =>
        {
            if (_ice.Selected is { } peer) _send(datagram, peer);
        });
        _dtlsServer = new DtlsSrtpServer(certificate, negotiation.RemoteFingerprint, _dtls);
    }

    public WebRtcIngestState State => (WebRtcIngestState)Volatile.Read(ref _state);

    /// <summary>The publisher's address, once it nominated one.</summary>
    public IPEndPoint? Peer => _ice.Selected;

    /// <summary>When the publisher last proved it is there (a valid check, RFC 7675 consent).</summary>
    public DateTimeOffset? LastConsentAt => _ice.LastCheckAt;

    /// <summary>Why the session closed, if it did for a reason.</summary>
    public Exception? Failure { get; private set; }

    public void Receive(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (datagram.IsEmpty || State == WebRtcIngestState.Closed) return;
        switch (datagram[0])
        {
            case < 4:
                if (_ice.Answer(datagram, from, _response, out var written) != IceCheckOutcome.Ignored)
                {
                    _send(_response.AsMemory(0, written), from);
                }

                break;
            case >= 20 and < 64 when from.Equals(_ice.Selected):
                StartHandshake();
                _dtls.Deliver(datagram);
                break;
            case >= 128 and < 192 when from.Equals(_ice.Selected) && Volatile.Read(ref _fromPublisher) is { } srtp:
                ReceiveMedia(datagram, srtp);
                break;
        }
    }

    public void Close() => Close(null);

    public void Dispose() => Close(null);

    private void StartHandshake()
    {
        if (Interlocked.Exchange(ref _handshakeStarted, 1) == 1) return;
        var thread = new Thread(() =>
        {
            try
            {
                var keys = _dtlsServer.Accept(HandshakeTimeout);
                _toPublisher = new SrtpContext(keys.ServerKey, keys.ServerSalt);
                Volatile.Write(ref _fromPublisher, new SrtpContext(keys.ClientKey, keys.ClientSalt));
                if (Interlocked.CompareExchange(ref _state, (int)WebRtcIngestState.Connected, (int)WebRtcIngestState.Connecting) ==
                    (int)WebRtcIngestState.Connecting)
                {
                    _sink.OnStateChanged(WebRtcIngestState.Connected);
                }
            }
            catch (Exception e)
            {
                Close(e);
            }
        })
        {
            IsBackground = true,
            Name = "DTLS handshake",
        };
        thread.Start();
    }

    private void ReceiveMedia(ReadOnlySpan<byte> datagram, SrtpContext srtp)
    {
        // unprotected in a copy: the datagram is the socket loop's buffer
        Span<byte> packet = datagram.Length <= 2048 ? stackalloc byte[datagram.Length] : new byte[datagram.Length];
        datagram.CopyTo(packet);
        if (RtpPacket.IsRtcp(packet))
        {
            // sender reports and the like: authenticated so a forged BYE is not believed, not otherwise needed
            srtp.TryUnprotectRtcp(packet, out _);
            return;
        }

        if (!srtp.TryUnprotectRtp(packet, out var length) || !RtpPacket.TryParse(packet[..length], out var rtp)) return;
        if (rtp.PayloadType == _negotiation.Video.PayloadType)
        {
            _videoSsrc = rtp.Ssrc;
            _video.Push(rtp.SequenceNumber, rtp.Timestamp, rtp.Marker, rtp.Payload, _onAccessUnit);
            if (_video.NeedsKeyframe || _time.GetElapsedTime(_lastKeyframe) > _keyframeInterval) RequestKeyframe();
        }
        else if (_negotiation.Audio is { } audio && rtp.PayloadType == audio.PayloadType)
        {
            _sink.OnAudio(rtp.Timestamp, rtp.Payload);
        }
    }

    private void OnAccessUnit(H264AccessUnit unit)
    {
        if (unit.IsKeyframe) _lastKeyframe = _time.GetTimestamp();
        var changed = _video.ParameterSetsChanged;
        _video.ParameterSetsChanged = false;
        _sink.OnVideo(unit, _video.SequenceParameterSet!, _video.PictureParameterSet!, changed);
    }

    /// <summary>
    /// A picture loss indication (RFC 4585 section 6.3.1), compound with nothing else as reduced-size RTCP allows
    /// (RFC 5506): V=2, FMT 1, PT 206 (payload-specific feedback), length 2, our SSRC, the video's SSRC.
    /// </summary>
    private void RequestKeyframe()
    {
        var now = _time.GetTimestamp();
        if (_videoSsrc == 0 || _toPublisher is not { } srtp || _ice.Selected is not { } peer ||
            (_lastKeyframeRequest != 0 && _time.GetElapsedTime(_lastKeyframeRequest, now) < KeyframeRequestInterval))
        {
            return;
        }

        _lastKeyframeRequest = now;
        var pli = _rtcp.AsSpan();
        pli[0] = 0x81;
        pli[1] = 206;
        BinaryPrimitives.WriteUInt16BigEndian(pli[2..], 2);
        BinaryPrimitives.WriteUInt32BigEndian(pli[4..], _ourSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(pli[8..], _videoSsrc);
        var length = srtp.ProtectRtcp(pli, 12);
        _send(_rtcp.AsMemory(0, length), peer);
    }

    private void Close(Exception? failure)
    {
        if (Interlocked.Exchange(ref _state, (int)WebRtcIngestState.Closed) == (int)WebRtcIngestState.Closed) return;
        Failure = failure;
        _dtls.Close();
        _sink.OnStateChanged(WebRtcIngestState.Closed);
    }
}
