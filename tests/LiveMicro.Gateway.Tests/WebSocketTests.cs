using System.Net.WebSockets;
using System.Text;

namespace LiveMicro.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class WebSocketTests(GatewayFixture fixture)
{
    private async Task<ClientWebSocket> ConnectAsync(string path)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{fixture.GatewayUrl.Authority}{path}"), CancellationToken.None);
        return socket;
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Text, received.MessageType);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    private static Task SendTextAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    [Fact]
    public async Task Chat_through_the_gateway_reaches_every_member_of_the_room()
    {
        using var alice = await ConnectAsync("/ws/chat/101");
        using var bob = await ConnectAsync("/ws/chat/101");

        await SendTextAsync(alice, "hello room");

        Assert.Equal("interact-a: hello room", await ReceiveTextAsync(alice));
        Assert.Equal("interact-a: hello room", await ReceiveTextAsync(bob));
    }

    [Fact]
    public async Task A_close_from_the_service_reaches_the_client_with_its_code_and_reason()
    {
        using var socket = await ConnectAsync("/ws/chat/102");

        await SendTextAsync(socket, "close:4001:room closed");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await socket.ReceiveAsync(new byte[256], timeout.Token);

        Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        Assert.Equal((WebSocketCloseStatus)4001, socket.CloseStatus);
        Assert.Equal("room closed", socket.CloseStatusDescription);
    }

    [Fact]
    public async Task A_close_from_the_client_is_answered_with_the_same_code()
    {
        using var socket = await ConnectAsync("/ws/rooms/103");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.CloseAsync((WebSocketCloseStatus)4002, "leaving", timeout.Token);

        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal((WebSocketCloseStatus)4002, socket.CloseStatus);
        Assert.Equal("leaving", socket.CloseStatusDescription);
    }
}
