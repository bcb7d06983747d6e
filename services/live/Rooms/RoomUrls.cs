using LiveMicro.Live.Configuration;
using Microsoft.Extensions.Options;

namespace LiveMicro.Live.Rooms;

/// <summary>What a room looks like to a caller: everyone gets the playback URLs of its public stream name; only
/// the owner gets the push URL with the secret stream key.</summary>
public sealed class RoomUrls(IOptions<LiveOptions> options)
{
    public RoomResponse Describe(Room room, long? callerId, long viewerCount)
    {
        var live = options.Value;
        var rtmp = live.RtmpUrl.TrimEnd('/');
        var http = live.PlaybackBaseUrl.TrimEnd('/');
        var playback = new PlaybackUrls(
            $"{rtmp}/{room.StreamName}",
            $"{http}/live/{room.StreamName}.flv",
            $"{http}/live/{room.StreamName}/index.m3u8");
        var push = callerId == room.AnchorId ? new PushUrls(rtmp, room.StreamKey, $"{rtmp}/{room.StreamKey}") : null;
        return new RoomResponse(room.Id, room.AnchorId, room.AnchorName, room.Title, room.Category, room.CoverUrl,
            room.Status, viewerCount, room.StreamName, room.CreatedAt, room.LiveSince, room.EndedAt, playback, push);
    }
}

public sealed record RoomResponse(
    long Id,
    long AnchorId,
    string AnchorName,
    string Title,
    string Category,
    string? CoverUrl,
    string Status,
    long ViewerCount,
    string StreamName,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LiveSince,
    DateTimeOffset? EndedAt,
    PlaybackUrls Playback,
    PushUrls? Push);

public sealed record PlaybackUrls(string Rtmp, string Flv, string Hls);

/// <summary>OBS's "Server" and "Stream Key" fields, and the two joined for ffmpeg.</summary>
public sealed record PushUrls(string Server, string StreamKey, string Url);
