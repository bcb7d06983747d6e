using System.IO.Pipelines;
using LiveMicro.Interact.Chat;
using LiveMicro.Interact.Chat.WebSockets;
using LiveMicro.ServiceDefaults.ProblemDetails;
using Microsoft.AspNetCore.Http.Features;

namespace LiveMicro.Interact.Apis;

public static class ChatApi
{
    public static IEndpointRouteBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        app.Map("/ws/chat/{roomId:long}", Connect).WithTags("Chat");
        return app;
    }

    /// <summary>The room chat socket through HTTP: refusals are answered here as problems. An acceptable handshake
    /// normally never gets here, since <see cref="ChatConnectionListener"/> takes it over first; one that does (a
    /// proxy that reuses a kept-alive connection for the upgrade) is upgraded here and runs the same session.</summary>
    public static async Task<IResult> Connect(long roomId, HttpContext context, ChatAdmission admission, ChatSessions sessions)
    {
        var (ticket, problem) = await admission.AdmitAsync(roomId, context.Request, context.User, context.RequestAborted);
        if (problem is not null)
        {
            if (problem.StatusCode == StatusCodes.Status426UpgradeRequired)
                context.Response.Headers.SecWebSocketVersion = WebSocketProtocol.Version;
            return problem;
        }

        if (context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true } upgrade)
        {
            return Problems.Create(StatusCodes.Status400BadRequest, "websocket-required", "This endpoint speaks WebSocket only.",
                "Open it with an HTTP/1.1 WebSocket upgrade.");
        }

        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = WebSocketProtocol.AcceptKey(ticket!.Key);
        if (ticket.Subprotocol is not null) context.Response.Headers.SecWebSocketProtocol = ticket.Subprotocol;
        var stream = await upgrade.UpgradeAsync();
        var input = PipeReader.Create(stream);
        try
        {
            await sessions.RunAsync(new ServerWebSocket(input, new StreamOutput(stream, context.Abort)), ticket);
        }
        finally
        {
            await input.CompleteAsync();
        }

        return Results.Empty;
    }
}
