using System.Net.WebSockets;
using Google.Protobuf;
using LiveMicro.Interact.Chat.Protobuf;

namespace LiveMicro.Interact.Tests;

[Collection(InteractCollection.Name)]
public sealed class ProtobufTests(InteractFixture fixture)
{
    private static async Task<ServerEnvelope> ReceiveAsync(ClientWebSocket socket, string type)
    {
        var buffer = new byte[65536];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var length = 0;
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), timeout.Token);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            Assert.True(result.MessageType == WebSocketMessageType.Binary, $"{result.MessageType} {socket.CloseStatus} {socket.CloseStatusDescription}");
            var envelope = ServerEnvelope.Parser.ParseFrom(buffer, 0, length);
            if (envelope.Type == type) return envelope;
        }
    }

    [Fact]
    public async Task The_livemicro_proto_subprotocol_carries_the_same_messages_in_binary_frames()
    {
        var anchor = await fixture.NewUserAsync();
        var roomId = await fixture.CreateRoomAsync(anchor);
        var user = await fixture.NewUserAsync();
        await using var jsonClient = await ChatClient.ConnectAsync(fixture.UrlB, roomId);
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("livemicro.proto");
        await socket.ConnectAsync(new Uri($"ws://{fixture.UrlA.Authority}/ws/chat/{roomId}?access_token={user.AccessToken}"), CancellationToken.None);
        Assert.Equal("livemicro.proto", socket.SubProtocol);

        var welcome = await ReceiveAsync(socket, "welcome");
        Assert.Equal(user.Id, welcome.Welcome.UserId);
        Assert.Equal(roomId, welcome.Welcome.RoomId);
        await socket.SendAsync(new ClientEnvelope { Type = "danmaku", Seq = 7, Text = "binary hello" }.ToByteArray(),
            WebSocketMessageType.Binary, true, CancellationToken.None);

        // the room's copy is queued before the answer to the request
        Assert.Equal("binary hello", (await ReceiveAsync(socket, "danmaku")).Danmaku.Text);
        Assert.Equal(7, (await ReceiveAsync(socket, "ack")).Seq);
        var seenByJson = await jsonClient.NextAsync("danmaku");
        Assert.Equal("binary hello", seenByJson["text"]!.GetValue<string>());
        Assert.Equal(user.Id, seenByJson["userId"]!.GetValue<long>());

        await socket.SendAsync(new ClientEnvelope { Type = "userlist", Seq = 8 }.ToByteArray(), WebSocketMessageType.Binary, true,
            CancellationToken.None);
        var page = await ReceiveAsync(socket, "userlist");
        Assert.Equal(8, page.Seq);
        Assert.Equal(user.Id, Assert.Single(page.Userlist.Users).UserId);
    }
}
