using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LiveMicro.Live.Configuration;
using LiveMicro.Media.Stun;
using Microsoft.Extensions.Options;

namespace LiveMicro.Live.WebRtc;

/// <summary>
/// The UDP socket all WebRTC sessions share (one port, as SRS and every SFU do, so one firewall rule serves them
/// all). A datagram goes to the session its source address was nominated for; before that, a STUN check goes to the
/// session whose ICE user fragment its USERNAME starts with. Everything else is dropped. One loop reads the socket,
/// so each session's <see cref="WhipSession.Receive"/> runs on one thread at a time.
/// </summary>
public sealed partial class WebRtcUdpEndpoint(IOptions<WebRtcOptions> options, ILogger<WebRtcUdpEndpoint> logger) : BackgroundService
{
    private readonly Socket _socket = new(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
    private readonly ConcurrentDictionary<string, WhipSession> _byUfrag = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IPEndPoint, WhipSession> _byPeer = new();
    private readonly TaskCompletionSource<int> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The port the socket is bound to, once it is.</summary>
    public Task<int> Port => _bound.Task;

    public int Count => _byUfrag.Count;

    public void Add(WhipSession session) => _byUfrag[session.LocalUfrag] = session;

    public void Remove(WhipSession session)
    {
        _byUfrag.TryRemove(new KeyValuePair<string, WhipSession>(session.LocalUfrag, session));
        if (session.Peer is { } peer) _byPeer.TryRemove(new KeyValuePair<IPEndPoint, WhipSession>(peer, session));
    }

    public IEnumerable<WhipSession> Sessions => _byUfrag.Values;

    public void Send(ReadOnlyMemory<byte> datagram, IPEndPoint to)
    {
        try
        {
            _socket.SendTo(datagram.Span, SocketFlags.None, to);
        }
        catch (SocketException e)
        {
            // an unreachable peer is the consent check's to notice
            LogSendFailed(logger, to, e.SocketErrorCode);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _socket.Bind(new IPEndPoint(IPAddress.IPv6Any, options.Value.UdpPort));
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _bound.SetResult(((IPEndPoint)_socket.LocalEndPoint!).Port);
        LogListening(logger, ((IPEndPoint)_socket.LocalEndPoint!).Port);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(2048, pinned: true);
        var address = new SocketAddress(AddressFamily.InterNetworkV6);
        while (!stoppingToken.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, address, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                // ICMP port unreachable from a peer that went away surfaces here on Linux: not this socket's failure
                continue;
            }

            var datagram = buffer.AsSpan(0, received);
            var from = Normalize((IPEndPoint)new IPEndPoint(IPAddress.IPv6Any, 0).Create(address));
            try
            {
                Route(datagram, from);
            }
            catch (Exception e)
            {
                LogDatagramFailed(logger, from, e);
            }
        }
    }

    public override void Dispose()
    {
        _socket.Dispose();
        base.Dispose();
    }

    private void Route(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        if (_byPeer.TryGetValue(from, out var session) || (TryUfrag(datagram, out var ufrag) && _byUfrag.TryGetValue(ufrag, out session)))
        {
            session.Receive(datagram, from);
            if (session.Peer is { } peer && !_byPeer.ContainsKey(peer)) _byPeer[peer] = session;
        }
    }

    /// <summary>The receiver's fragment of a STUN check's USERNAME ("ours:theirs").</summary>
    private static bool TryUfrag(ReadOnlySpan<byte> datagram, out string ufrag)
    {
        ufrag = "";
        if (!StunMessage.StartsLikeStun(datagram) || !StunMessage.TryParse(datagram, out var message) ||
            !message.TryGetAttribute(StunAttributes.Username, out var username))
        {
            return false;
        }

        var colon = username.IndexOf((byte)':');
        if (colon <= 0) return false;
        ufrag = Encoding.ASCII.GetString(username[..colon]);
        return true;
    }

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    [LoggerMessage(LogLevel.Information, "WebRTC media on UDP port {Port}")]
    private static partial void LogListening(ILogger logger, int port);

    [LoggerMessage(LogLevel.Debug, "A datagram to {Peer} was not sent: {Error}")]
    private static partial void LogSendFailed(ILogger logger, IPEndPoint peer, SocketError error);

    [LoggerMessage(LogLevel.Warning, "A datagram from {Peer} could not be handled")]
    private static partial void LogDatagramFailed(ILogger logger, IPEndPoint peer, Exception exception);
}
