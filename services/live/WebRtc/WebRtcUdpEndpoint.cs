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
    // keyed by the socket's own address form (IPv4 mapped into IPv6): a media datagram is routed without making an
    // IPEndPoint of its source, so the steady state allocates nothing per datagram here
    private readonly ConcurrentDictionary<SocketAddress, WhipSession> _byPeer = new();
    private readonly TaskCompletionSource<int> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The port the socket is bound to, once it is.</summary>
    public Task<int> Port => _bound.Task;

    public void Add(WhipSession session) => _byUfrag[session.LocalUfrag] = session;

    public void Remove(WhipSession session)
    {
        _byUfrag.TryRemove(new KeyValuePair<string, WhipSession>(session.LocalUfrag, session));
        ForgetAddressesOf(session);
    }

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

            try
            {
                Route(buffer.AsSpan(0, received), address);
            }
            catch (Exception e)
            {
                LogDatagramFailed(logger, Source(address), e);
            }
        }
    }

    public override void Dispose()
    {
        _socket.Dispose();
        base.Dispose();
    }

    private void Route(ReadOnlySpan<byte> datagram, SocketAddress address)
    {
        if (_byPeer.TryGetValue(address, out var session) && session.Peer is { } peer)
        {
            session.Receive(datagram, peer);
            return;
        }

        // a check from an address not (yet) nominated: by the user fragment it names
        if (!TryUfrag(datagram, out var ufrag) || !_byUfrag.TryGetValue(ufrag, out session)) return;
        var from = Source(address);
        session.Receive(datagram, from);
        if (!from.Equals(session.Peer)) return;
        // nominated: from now on routed by address; an address nominated before (the peer moved) no longer is
        ForgetAddressesOf(session);
        _byPeer.TryAdd(CopyOf(address), session);
    }

    private void ForgetAddressesOf(WhipSession session)
    {
        foreach (var (address, routed) in _byPeer)
        {
            if (routed == session) _byPeer.TryRemove(address, out _);
        }
    }

    private static IPEndPoint Source(SocketAddress address) => Normalize((IPEndPoint)new IPEndPoint(IPAddress.IPv6Any, 0).Create(address));

    private static SocketAddress CopyOf(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
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
