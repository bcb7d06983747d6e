using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using LiveMicro.Interact.Chat;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveMicro.Interact.Apis;

/// <summary><c>POST /internal/push</c>: for the other services (never routed by the gateway). Exactly one target
/// kind per call; the answer has one result per target.</summary>
public static class PushApi
{
    public const int MaxConnectionIds = 1000;

    public static IEndpointRouteBuilder MapPushApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/internal/push", Push).WithTags("Push");
        return app;
    }

    public static async Task<Results<Ok<PushResponse>, ValidationProblem>> Push(PushRequest request, ChatPublisher publisher,
        RoomPresence presence)
    {
        var kinds = (request.ConnectionIds is { Count: > 0 } ? 1 : 0) + (request.UserId is not null ? 1 : 0) +
                    (request.RoomId is not null ? 1 : 0) + (request.AllRooms ? 1 : 0);
        if (kinds != 1)
        {
            return Problems.Validation("target", "Give exactly one of connectionIds, userId, roomId or allRooms: true.");
        }

        if (request.ConnectionIds is { Count: > MaxConnectionIds })
        {
            return Problems.Validation("connectionIds", $"At most {MaxConnectionIds} connections per call.");
        }

        var payload = request.Payload.ValueKind == JsonValueKind.Undefined ? default : request.Payload.Clone();
        var results = new List<PushTargetResult>();
        if (request.ConnectionIds is { Count: > 0 } connectionIds)
        {
            foreach (var connectionId in connectionIds.Distinct(StringComparer.Ordinal))
            {
                var messageId = NewMessageId();
                var message = new PushMessage(messageId, request.Topic, payload);
                if (!await presence.ConnectionExistsAsync(connectionId))
                {
                    results.Add(new PushTargetResult($"connection:{connectionId}", messageId, false, 0, "not-connected"));
                    continue;
                }

                var published = await publisher.PublishToConnectionAsync(connectionId, message);
                var here = published.DeliveredHere == 1;
                results.Add(new PushTargetResult($"connection:{connectionId}", messageId, here || published.Subscribers > 0,
                    1, here || published.Subscribers > 0 ? null : "instance-unreachable"));
            }
        }
        else if (request.UserId is { } userId)
        {
            var messageId = NewMessageId();
            var devices = await presence.CountUserConnectionsAsync(userId);
            if (devices == 0)
            {
                results.Add(new PushTargetResult($"user:{userId}", messageId, false, 0, "not-connected"));
            }
            else
            {
                await publisher.PublishToUserAsync(userId, new PushMessage(messageId, request.Topic, payload));
                results.Add(new PushTargetResult($"user:{userId}", messageId, true, devices, null));
            }
        }
        else if (request.RoomId is { } roomId)
        {
            var messageId = NewMessageId();
            var viewers = await presence.CountAsync(roomId);
            await publisher.PublishToRoomAsync(roomId, new PushMessage(messageId, request.Topic, payload));
            results.Add(new PushTargetResult($"room:{roomId}", messageId, viewers > 0, viewers, viewers > 0 ? null : "room-empty"));
        }
        else
        {
            var messageId = NewMessageId();
            var published = await publisher.PublishToAllRoomsAsync(new PushMessage(messageId, request.Topic, payload));
            results.Add(new PushTargetResult("all-rooms", messageId, true, published.Subscribers, null));
        }

        return TypedResults.Ok(new PushResponse(results));
    }

    private static string NewMessageId() => Guid.CreateVersion7().ToString("N");
}

/// <param name="Topic">What the payload is, for the client to dispatch on (<c>room.ended</c>, <c>lottery.result</c>).</param>
/// <param name="Payload">Any JSON value; delivered as it is.</param>
public sealed record PushRequest(
    [Required, StringLength(64, MinimumLength = 1)] string Topic,
    JsonElement Payload,
    IReadOnlyList<string>? ConnectionIds,
    long? UserId,
    long? RoomId,
    bool AllRooms);

/// <param name="Reach">Connections for a connection or user target, viewers for a room, instances for all rooms.</param>
/// <param name="Reason">Why not delivered: not-connected, room-empty, instance-unreachable.</param>
public sealed record PushTargetResult(string Target, string MessageId, bool Delivered, long Reach, string? Reason);

public sealed record PushResponse(IReadOnlyList<PushTargetResult> Results);
