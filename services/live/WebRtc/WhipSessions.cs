using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using LiveMicro.Live.Configuration;
using LiveMicro.Media.Dtls;
using LiveMicro.Media.Ice;
using LiveMicro.Media.Sdp;
using LiveMicro.Media.WebRtc;
using Microsoft.Extensions.Options;

namespace LiveMicro.Live.WebRtc;

/// <summary>One browser publishing into one room: its WebRTC session and the relay of its media.</summary>
public sealed class WhipSession(string id, long roomId, WebRtcIngestSession media, RtmpRelay relay, IceCredentials local,
    DateTimeOffset createdAt)
{
    public string Id => id;

    public long RoomId => roomId;

    public string LocalUfrag => local.Ufrag;

    public IPEndPoint? Peer => media.Peer;

    public WebRtcIngestState State => media.State;

    public DateTimeOffset CreatedAt => createdAt;

    public DateTimeOffset? LastConsentAt => media.LastConsentAt;

    internal WebRtcIngestSession Media => media;

    internal RtmpRelay Relay => relay;

    public void Receive(ReadOnlySpan<byte> datagram, IPEndPoint from) => media.Receive(datagram, from);
}

/// <summary>
/// The WHIP sessions of this instance (RFC 9725): started from an offer, ended by DELETE, by the publisher's going
/// silent (consent), by a failed handshake or by the media server dropping the relay. A room has at most one: a new
/// offer for it replaces the old session, as an encoder reconnecting would.
/// </summary>
public sealed partial class WhipSessions(WebRtcUdpEndpoint endpoint, IOptions<WebRtcOptions> options, TimeProvider time,
    ILogger<WhipSessions> logger) : BackgroundService
{
    private readonly DtlsCertificate _certificate = DtlsCertificate.Generate(time.GetUtcNow());
    private readonly ConcurrentDictionary<string, WhipSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Negotiates <paramref name="offer"/> and starts the session, or throws <see cref="SdpException"/>
    /// (a bad offer) or <see cref="WhipCapacityException"/>.</summary>
    public async Task<(WhipSession Session, string Answer)> StartAsync(long roomId, string streamKey, string offer)
    {
        var settings = options.Value;
        if (_sessions.Count >= settings.MaxSessions) throw new WhipCapacityException();
        var port = await endpoint.Port;
        var candidates = settings.Candidates.Select(address => new IPEndPoint(IPAddress.Parse(address), port)).ToList();
        var local = IceCredentials.Generate();
        var negotiation = IngestNegotiation.Negotiate(SessionDescription.Parse(offer), local, _certificate.Fingerprint, candidates);

        foreach (var previous in _sessions.Values.Where(s => s.RoomId == roomId)) await EndAsync(previous);
        var relay = new RtmpRelay(new Uri($"{settings.RtmpIngestUrl.TrimEnd('/')}/{streamKey}"), negotiation.Audio is not null, time, logger);
        var media = new WebRtcIngestSession(negotiation, local, _certificate, relay, endpoint.Send, time, settings.KeyframeInterval);
        var session = new WhipSession(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), roomId, media, relay, local, time.GetUtcNow());
        relay.Failed = () => _ = EndAsync(session);
        _sessions[session.Id] = session;
        endpoint.Add(session);
        LogStarted(logger, session.Id, roomId);
        return (session, negotiation.Answer);
    }

    public WhipSession? Find(string id) => _sessions.GetValueOrDefault(id);

    public async Task EndAsync(WhipSession session)
    {
        if (!_sessions.TryRemove(new KeyValuePair<string, WhipSession>(session.Id, session))) return;
        endpoint.Remove(session);
        session.Media.Close();
        await session.Relay.DisposeAsync();
        LogEnded(logger, session.Id, session.RoomId, session.Media.Failure?.Message ?? "ended");
    }

    /// <summary>Ends the sessions whose publisher went silent or never connected.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = time.GetUtcNow();
            foreach (var session in _sessions.Values)
            {
                var lastSign = session.LastConsentAt ?? session.CreatedAt;
                if (session.State == WebRtcIngestState.Closed || now - lastSign > options.Value.ConsentTimeout) await EndAsync(session);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var session in _sessions.Values) await EndAsync(session);
    }

    [LoggerMessage(LogLevel.Information, "WHIP session {SessionId} started for room {RoomId}")]
    private static partial void LogStarted(ILogger logger, string sessionId, long roomId);

    [LoggerMessage(LogLevel.Information, "WHIP session {SessionId} of room {RoomId} ended: {Reason}")]
    private static partial void LogEnded(ILogger logger, string sessionId, long roomId, string reason);
}

public sealed class WhipCapacityException() : Exception("This server holds as many WebRTC sessions as it may.");
