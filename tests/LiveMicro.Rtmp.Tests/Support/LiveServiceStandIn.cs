using System.Collections.Concurrent;
using LiveMicro.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LiveMicro.Rtmp.Tests.Support;

/// <summary>
/// The live service's stream-key contract and nothing else, on a real loopback port, until the real service exists:
/// <c>POST /internal/streams/authorize {"streamKey"}</c> → 200 <c>{"roomId","streamName"}</c> for a key of an open
/// room, 404 problem+json for unknown or ended keys. An end-to-end test can point <c>Rtmp:LiveServiceUrl</c> at the
/// real live service instead; this is the one place the contract is spelled out for the tests.
/// </summary>
public sealed class LiveServiceStandIn : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (long RoomId, string StreamName)> _openRooms = new(StringComparer.Ordinal);
    private readonly WebApplication _app;
    private int _calls;

    private LiveServiceStandIn(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Authorization calls answered so far (to see the cache at work).</summary>
    public int Calls => Volatile.Read(ref _calls);

    public static async Task<LiveServiceStandIn> StartAsync()
    {
        var port = ServerProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        var standIn = new LiveServiceStandIn(app, $"http://127.0.0.1:{port}");
        app.MapPost("/internal/streams/authorize", (AuthorizeRequest request) =>
        {
            Interlocked.Increment(ref standIn._calls);
            return standIn._openRooms.TryGetValue(request.StreamKey ?? "", out var room)
                ? Results.Ok(new { roomId = room.RoomId, streamName = room.StreamName })
                : Results.Problem(statusCode: 404, type: "https://livemicro.dev/problems/stream-key-not-found", title: "Unknown or ended stream key.");
        });
        await app.StartAsync();
        return standIn;
    }

    private static long s_nextRoomId = 1000;

    /// <summary>Opens a room with a fresh secret key and public stream name.</summary>
    public OpenRoom OpenRoom()
    {
        var room = new OpenRoom(Interlocked.Increment(ref s_nextRoomId), $"key{Guid.NewGuid():N}", $"s{Guid.NewGuid():N}"[..13]);
        _openRooms[room.StreamKey] = (room.RoomId, room.StreamName);
        return room;
    }

    /// <summary>Ends the room: its key is refused from now on.</summary>
    public void EndRoom(OpenRoom room) => _openRooms.TryRemove(room.StreamKey, out _);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private sealed record AuthorizeRequest(string? StreamKey);
}

public sealed record OpenRoom(long RoomId, string StreamKey, string StreamName);
