using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LiveMicro.Gateway.Tests;

/// <summary>A destination on a raw socket whose answers a test decides request by request: it reads each request head
/// on a keep-alive connection, counts it and hands it to <see cref="Answer"/>, which may answer, hold the request
/// (return null) or answer later. It notes when the gateway closes a connection that held a request.</summary>
public sealed class ScriptedDestination : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _accepting;
    private int _requests;

    public ScriptedDestination(Func<int, string, string?> answer)
    {
        Answer = answer;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Given the request's number (from 1) and its head, the whole response to send, or null to hold it.</summary>
    public Func<int, string, string?> Answer { get; set; }

    public string Address => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Completed each time the gateway closes a connection while a request on it was held.</summary>
    public ConcurrentQueue<DateTime> HeldRequestsClosed { get; } = new();

    public static string Ok(string body) => $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\n\r\n{body}";

    public static string Status(int status) => $"HTTP/1.1 {status} Status\r\nContent-Length: 0\r\n\r\n";

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stopping.Token);
                _sockets.Add(socket);
                _ = ServeAsync(socket);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var buffer = new byte[16 * 1024];
        var pending = new StringBuilder();
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (received == 0) return;
                pending.Append(Encoding.Latin1.GetString(buffer, 0, received));
                int end;
                while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                {
                    var head = pending.ToString(0, end + 4);
                    pending.Remove(0, end + 4);
                    var answer = Answer(Interlocked.Increment(ref _requests), head);
                    if (answer is not null)
                    {
                        await socket.SendAsync(Encoding.Latin1.GetBytes(answer), SocketFlags.None, _stopping.Token);
                        continue;
                    }

                    await WaitForCloseAsync(socket, buffer);
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>A held request: what else arrives (its body) is read and dropped until the connection ends.</summary>
    private async Task WaitForCloseAsync(Socket socket, byte[] buffer)
    {
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
        }

        HeldRequestsClosed.Enqueue(DateTime.UtcNow);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        foreach (var socket in _sockets) socket.Dispose();
        await _accepting;
        _stopping.Dispose();
    }
}
