using System.Buffers;
using LiveMicro.Media.Rtmp;

namespace LiveMicro.Media.Tests.Rtmp;

public class RtmpClientHandshakeTests
{
    [Fact]
    public void Client_and_server_complete_the_simple_handshake_and_c2_echoes_s1()
    {
        var client = new RtmpClientHandshake();
        var server = new RtmpServerHandshake();
        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();

        client.WriteC0C1(toServer);
        var serverInput = new SequenceReader<byte>(new ReadOnlySequence<byte>(toServer.WrittenMemory));
        Assert.False(server.TryAdvance(ref serverInput, toClient));
        var clientInput = new SequenceReader<byte>(new ReadOnlySequence<byte>(toClient.WrittenMemory));
        var c2 = new ArrayBufferWriter<byte>();
        Assert.True(client.TryAdvance(ref clientInput, c2));
        var c2Input = new SequenceReader<byte>(new ReadOnlySequence<byte>(c2.WrittenMemory));

        Assert.True(server.TryAdvance(ref c2Input, toClient));
        Assert.Equal(RtmpHandshakeKind.Simple, server.Kind);
        Assert.Equal(toClient.WrittenSpan.Slice(1, RtmpServerHandshake.PacketSize).ToArray(), c2.WrittenSpan.ToArray());
    }

    [Fact]
    public void A_wrong_server_version_is_refused()
    {
        var client = new RtmpClientHandshake();
        client.WriteC0C1(new ArrayBufferWriter<byte>());

        Assert.Throws<RtmpProtocolException>(() =>
        {
            var input = new SequenceReader<byte>(new ReadOnlySequence<byte>(new byte[] { 6 }));
            client.TryAdvance(ref input, new ArrayBufferWriter<byte>());
        });
    }
}
