using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using LiveMicro.Media.Amf;
using LiveMicro.Media.Flv;
using LiveMicro.Media.Rtmp;
using LiveMicro.Media.Rtmp.Commands;
using LiveMicro.Media.Tests.Support;

namespace LiveMicro.Media.Tests.Rtmp;

/// <summary>
/// Real ffmpeg against a minimal server built from this library over System.IO.Pipelines, the way the Kestrel
/// connection handler will host it. ffmpeg verifies the digest handshake's S1 digest and S2 signature, so a
/// completed session proves them against an independent implementation.
/// </summary>
public class FfmpegSessionTests
{
    private const uint PublishStreamId = 1;
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ffmpeg_publish_completes_the_digest_handshake_and_delivers_every_tag_unchanged()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var ffmpeg = Ffmpeg.Start("-v", "error", "-i", Vectors.PathOf("ffmpeg-h264-aac.flv"), "-c", "copy", "-f", "flv", $"rtmp://127.0.0.1:{port}/live/test");
        var ffmpegErrors = ffmpeg.StandardError.ReadToEndAsync();

        using var timeout = new CancellationTokenSource(SessionTimeout);
        using var socket = await listener.AcceptSocketAsync(timeout.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var session = new PublishSession();
        await session.RunAsync(PipeReader.Create(stream), PipeWriter.Create(stream), timeout.Token);
        await ffmpeg.WaitForExitAsync(timeout.Token);

        Assert.True(ffmpeg.ExitCode == 0, await ffmpegErrors);
        Assert.Equal(RtmpHandshakeKind.DigestBlockFirst, session.HandshakeKind);
        Assert.Equal("live", session.App);
        Assert.Equal("test", session.StreamName);
        Assert.Equal("onMetaData", new Amf0Reader(session.Metadata).ReadString());
        var expected = FlvFile.ReadTags(Vectors.Load("ffmpeg-h264-aac.flv")).Where(t => t.Header.Type != FlvTagType.Script).ToList();
        Assert.Equal(expected.Count, session.Media.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(((byte)expected[i].Header.Type, expected[i].Header.Timestamp), ((byte)session.Media[i].Header.Type, session.Media[i].Header.Timestamp));
            Assert.Equal(expected[i].Data, session.Media[i].Payload);
        }
    }

    [Fact]
    public async Task Ffmpeg_plays_what_the_chunk_writer_sends_with_every_frame_intact()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var recording = Path.Combine(Path.GetTempPath(), $"livemicro-{Guid.NewGuid():N}.flv");
        try
        {
            using var ffmpeg = Ffmpeg.Start("-v", "error", "-i", $"rtmp://127.0.0.1:{port}/live/test", "-c", "copy", "-f", "flv", "-y", recording);
            var ffmpegErrors = ffmpeg.StandardError.ReadToEndAsync();

            using var timeout = new CancellationTokenSource(SessionTimeout);
            using var socket = await listener.AcceptSocketAsync(timeout.Token);
            await using (var stream = new NetworkStream(socket, ownsSocket: false))
            {
                var session = new PlaySession(FlvFile.ReadTags(Vectors.Load("ffmpeg-h264-aac.flv")));
                await session.RunAsync(PipeReader.Create(stream), PipeWriter.Create(stream), timeout.Token);
                Assert.Equal("test", session.StreamName);
            }

            socket.Shutdown(SocketShutdown.Send);
            await ffmpeg.WaitForExitAsync(timeout.Token);

            var (output, errors) = Ffprobe.Run("-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", recording);
            Assert.True(errors.Trim().Length == 0, errors + await ffmpegErrors);
            Assert.Equal(["h264,25", "aac,45"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        finally
        {
            File.Delete(recording);
        }
    }

    /// <summary>What both test peers share: the handshake, the chunk reader loop with acknowledgements, and the
    /// answers to connect and createStream.</summary>
    private abstract class TestServerSession
    {
        private readonly RtmpChunkReader _reader = new();

        protected RtmpServerHandshake Handshake { get; } = new();

        protected RtmpChunkWriter Writer { get; } = new();

        protected ArrayBufferWriter<byte> Command { get; } = new();

        public string? StreamName { get; protected set; }

        /// <summary>True once the session has done what it is for.</summary>
        protected virtual bool Done => false;

        public async Task RunAsync(PipeReader input, PipeWriter output, CancellationToken cancellationToken)
        {
            try
            {
                while (!Done)
                {
                    var result = await input.ReadAsync(cancellationToken);
                    var consumed = Process(result.Buffer, output);
                    input.AdvanceTo(consumed, result.Buffer.End);
                    await output.FlushAsync(cancellationToken);
                    if (result.IsCompleted)
                    {
                        return;
                    }
                }
            }
            finally
            {
                _reader.Dispose();
            }
        }

        protected abstract void Handle(RtmpMessage message, PipeWriter output);

        /// <summary>Answers connect and createStream; false for any other command.</summary>
        protected bool TryAnswerSetup(RtmpCommand command, PipeWriter output)
        {
            Command.ResetWrittenCount();
            switch (command)
            {
                case ConnectCommand connect:
                    Writer.WriteWindowAcknowledgementSize(output, 2_500_000);
                    Writer.WriteSetPeerBandwidth(output, 2_500_000, RtmpPeerBandwidthLimitType.Dynamic);
                    Writer.WriteSetChunkSize(output, 4096);
                    RtmpCommandWriter.WriteConnectResult(Command, connect.TransactionId, connect.ObjectEncoding);
                    SendCommand(output, 0);
                    return true;
                case CreateStreamCommand createStream:
                    RtmpCommandWriter.WriteCreateStreamResult(Command, createStream.TransactionId, PublishStreamId);
                    SendCommand(output, 0);
                    return true;
                default:
                    return false;
            }
        }

        protected void SendCommand(PipeWriter output, uint messageStreamId) =>
            Writer.WriteMessage(output, 3, RtmpMessageType.CommandAmf0, messageStreamId, 0, Command.WrittenSpan);

        private SequencePosition Process(ReadOnlySequence<byte> buffer, PipeWriter output)
        {
            var sequence = new SequenceReader<byte>(buffer);
            if (Handshake.State != RtmpHandshakeState.Completed && !Handshake.TryAdvance(ref sequence, output))
            {
                return sequence.Position;
            }

            while (!Done && _reader.TryReadMessage(ref sequence, out var message))
            {
                using (message)
                {
                    Handle(message, output);
                }
            }

            if (_reader.TryTakeAcknowledgement(out var sequenceNumber))
            {
                Writer.WriteAcknowledgement(output, sequenceNumber);
            }

            return sequence.Position;
        }
    }

    /// <summary>What a playing connection does, reduced to the protocol: answer commands, then send a recording.</summary>
    private sealed class PlaySession(List<ReadTag> tags) : TestServerSession
    {
        private const int AudioChunkStreamId = 4;
        private const int VideoChunkStreamId = 6;
        private const int DataChunkStreamId = 5;

        private bool _played;

        /// <summary>Runs until the recording has been sent.</summary>
        protected override bool Done => _played;

        protected override void Handle(RtmpMessage message, PipeWriter output)
        {
            if (message.Header.Type is not (RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3)) return;
            var command = RtmpCommandDecoder.Decode(message.Header.Type, message.Payload);
            if (TryAnswerSetup(command, output) || command is not PlayCommand play) return;

            StreamName = play.StreamName;
            SendRecording(output);
            _played = true;
        }

        private void SendRecording(PipeWriter output)
        {
            RtmpUserControlEvent.StreamBegin(PublishStreamId).WriteTo(Writer, output);
            Command.ResetWrittenCount();
            RtmpCommandWriter.WriteOnStatus(Command, RtmpStatusLevel.Status, RtmpStatusCode.PlayReset, "Playing and resetting test.");
            SendCommand(output, PublishStreamId);
            Command.ResetWrittenCount();
            RtmpCommandWriter.WriteOnStatus(Command, RtmpStatusLevel.Status, RtmpStatusCode.PlayStart, "Started playing test.");
            SendCommand(output, PublishStreamId);
            Command.ResetWrittenCount();
            RtmpCommandWriter.WriteSampleAccess(Command, audio: true, video: true);
            Writer.WriteMessage(output, DataChunkStreamId, RtmpMessageType.DataAmf0, PublishStreamId, 0, Command.WrittenSpan);

            foreach (var tag in tags)
            {
                var (chunkStreamId, type) = tag.Header.Type switch
                {
                    FlvTagType.Audio => (AudioChunkStreamId, RtmpMessageType.Audio),
                    FlvTagType.Video => (VideoChunkStreamId, RtmpMessageType.Video),
                    _ => (DataChunkStreamId, RtmpMessageType.DataAmf0),
                };
                Writer.WriteMessage(output, chunkStreamId, type, PublishStreamId, tag.Header.Timestamp, tag.Data);
            }

            RtmpUserControlEvent.StreamEof(PublishStreamId).WriteTo(Writer, output);
        }
    }

    /// <summary>What a publishing connection does, reduced to the protocol: answer commands, collect media.</summary>
    private sealed class PublishSession : TestServerSession
    {
        public RtmpHandshakeKind HandshakeKind => Handshake.Kind;

        public string? App { get; private set; }

        public byte[] Metadata { get; private set; } = [];

        public List<ReadMessage> Media { get; } = [];

        protected override void Handle(RtmpMessage message, PipeWriter output)
        {
            switch (message.Header.Type)
            {
                case RtmpMessageType.CommandAmf0 or RtmpMessageType.CommandAmf3:
                    HandleCommand(RtmpCommandDecoder.Decode(message.Header.Type, message.Payload), message.Header.MessageStreamId, output);
                    break;
                case RtmpMessageType.DataAmf0 when RtmpDataMessage.TryStripSetDataFrame(message.Payload, out var metadata):
                    Metadata = metadata.ToArray();
                    break;
                case RtmpMessageType.Audio or RtmpMessageType.Video:
                    Media.Add(new ReadMessage(message.Header, message.ChunkStreamId, message.Payload.ToArray()));
                    break;
            }
        }

        private void HandleCommand(RtmpCommand command, uint messageStreamId, PipeWriter output)
        {
            if (command is ConnectCommand connect) App = connect.App;
            if (TryAnswerSetup(command, output) || command is not PublishCommand publish) return;

            StreamName = publish.StreamName;
            RtmpUserControlEvent.StreamBegin(messageStreamId).WriteTo(Writer, output);
            Command.ResetWrittenCount();
            RtmpCommandWriter.WriteOnStatus(Command, RtmpStatusLevel.Status, RtmpStatusCode.PublishStart, $"{publish.StreamName} is now published.");
            SendCommand(output, messageStreamId);
        }
    }
}
