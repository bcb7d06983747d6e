using System.Buffers;
using System.Buffers.Binary;

namespace LiveMicro.Media.Rtmp;

/// <summary>
/// Splits messages into chunks (RTMP 1.0 section 5.3) using the smallest header each chunk stream's history
/// allows, and writes the protocol control messages (section 5.4). Not thread-safe: one writer per connection.
/// </summary>
public sealed class RtmpChunkWriter
{
    /// <summary>Chunk size in force until we send Set Chunk Size.</summary>
    public const int DefaultChunkSize = 128;

    /// <summary>The largest message length the 24-bit field can express.</summary>
    public const int MaxMessageLength = 0xFFFFFF;

    // Three-byte basic header + type 0 message header + extended timestamp.
    private const int MaxChunkHeaderLength = 3 + 11 + 4;

    private const uint ExtendedTimestampMarker = 0xFFFFFF;
    private const int OneByteChunkStreamIdLimit = 64;

    private readonly ChunkStreamHistory[] _oneByteStreams = new ChunkStreamHistory[OneByteChunkStreamIdLimit];
    private Dictionary<int, ChunkStreamHistory>? _otherStreams;

    /// <summary>Our chunk size; changed only by <see cref="WriteSetChunkSize"/>, so the peer always knows it.</summary>
    public int ChunkSize { get; private set; } = DefaultChunkSize;

    /// <summary>Writes one message as one or more chunks on <paramref name="chunkStreamId"/>; returns the bytes written.</summary>
    public int WriteMessage(IBufferWriter<byte> output, int chunkStreamId, RtmpMessageType type, uint messageStreamId, uint timestamp, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkStreamId, RtmpChunkReader.MinChunkStreamId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkStreamId, RtmpChunkReader.MaxChunkStreamId);
        if (payload.Length > MaxMessageLength)
        {
            throw new ArgumentException($"RTMP messages are limited to {MaxMessageLength} bytes.", nameof(payload));
        }

        ref var history = ref GetHistory(chunkStreamId);
        var format = ChooseFormat(ref history, type, messageStreamId, timestamp, payload.Length, out var timestampField);
        var extended = timestampField >= ExtendedTimestampMarker;

        var offset = 0;
        var total = 0;
        do
        {
            var chunkLength = Math.Min(ChunkSize, payload.Length - offset);
            var span = output.GetSpan(MaxChunkHeaderLength + chunkLength);
            var written = offset == 0
                ? WriteHeader(span, format, chunkStreamId, timestampField, extended, payload.Length, type, messageStreamId)
                : WriteHeader(span, 3, chunkStreamId, timestampField, extended, payload.Length, type, messageStreamId);
            payload.Slice(offset, chunkLength).CopyTo(span[written..]);
            output.Advance(written + chunkLength);
            offset += chunkLength;
            total += written + chunkLength;
        }
        while (offset < payload.Length);

        return total;
    }

    /// <summary>The bytes <see cref="WriteSelfContainedMessage"/> writes for a message of <paramref name="payloadLength"/> bytes.</summary>
    public static int GetSelfContainedMessageLength(int chunkStreamId, int chunkSize, uint timestamp, int payloadLength)
    {
        var basicHeaderLength = chunkStreamId < 64 ? 1 : chunkStreamId < 64 + 256 ? 2 : 3;
        var extendedTimestampLength = timestamp >= ExtendedTimestampMarker ? 4 : 0;
        var chunks = Math.Max(1, (payloadLength + chunkSize - 1) / chunkSize);
        return payloadLength + 11 + (chunks * (basicHeaderLength + extendedTimestampLength));
    }

    /// <summary>
    /// Writes one message whose chunks depend on no earlier header: a type 0 header (absolute timestamp, length, type,
    /// message stream id) on the first chunk and type 3 on the others, each followed by the extended timestamp when
    /// the timestamp needs one. The same bytes so suit every connection whose outgoing chunk size is
    /// <paramref name="chunkSize"/>, whatever it sent before: a live message is encoded once and shared by all players.
    /// A connection's own writer must then <see cref="ForgetChunkStream"/>, so its next header is type 0 too.
    /// Returns the bytes written (<see cref="GetSelfContainedMessageLength"/>).
    /// </summary>
    public static int WriteSelfContainedMessage(Span<byte> destination, int chunkSize, int chunkStreamId, RtmpMessageType type, uint messageStreamId, uint timestamp, ReadOnlySpan<byte> payload)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkSize, RtmpChunkReader.MaxChunkSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkStreamId, RtmpChunkReader.MinChunkStreamId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkStreamId, RtmpChunkReader.MaxChunkStreamId);
        if (payload.Length > MaxMessageLength)
        {
            throw new ArgumentException($"RTMP messages are limited to {MaxMessageLength} bytes.", nameof(payload));
        }

        var extended = timestamp >= ExtendedTimestampMarker;
        var written = 0;
        var offset = 0;
        do
        {
            var chunkLength = Math.Min(chunkSize, payload.Length - offset);
            written += WriteHeader(destination[written..], offset == 0 ? 0 : 3, chunkStreamId, timestamp, extended, payload.Length, type, messageStreamId);
            payload.Slice(offset, chunkLength).CopyTo(destination[written..]);
            written += chunkLength;
            offset += chunkLength;
        }
        while (offset < payload.Length);

        return written;
    }

    /// <summary>
    /// Forgets what was last sent on <paramref name="chunkStreamId"/>, so the next message written on it gets a type 0
    /// header: for after self-contained messages that bypassed this writer but changed the peer's view of the stream.
    /// </summary>
    public void ForgetChunkStream(int chunkStreamId) => GetHistory(chunkStreamId).Used = false;

    /// <summary>Set Chunk Size (section 5.4.1); chunks after this message use <paramref name="chunkSize"/>.</summary>
    public void WriteSetChunkSize(IBufferWriter<byte> output, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkSize, RtmpChunkReader.MaxChunkSize);
        WriteControl(output, RtmpMessageType.SetChunkSize, (uint)chunkSize);
        ChunkSize = chunkSize;
    }

    /// <summary>Abort (section 5.4.2): the peer discards the partial message on <paramref name="chunkStreamId"/>.</summary>
    public void WriteAbort(IBufferWriter<byte> output, int chunkStreamId) =>
        WriteControl(output, RtmpMessageType.Abort, (uint)chunkStreamId);

    /// <summary>Acknowledgement (section 5.4.3) of <paramref name="sequenceNumber"/> bytes received.</summary>
    public void WriteAcknowledgement(IBufferWriter<byte> output, uint sequenceNumber) =>
        WriteControl(output, RtmpMessageType.Acknowledgement, sequenceNumber);

    /// <summary>Window Acknowledgement Size (section 5.4.4): how many bytes the peer may receive between acknowledgements.</summary>
    public void WriteWindowAcknowledgementSize(IBufferWriter<byte> output, uint windowSize) =>
        WriteControl(output, RtmpMessageType.WindowAcknowledgementSize, windowSize);

    /// <summary>Set Peer Bandwidth (section 5.4.5).</summary>
    public void WriteSetPeerBandwidth(IBufferWriter<byte> output, uint windowSize, RtmpPeerBandwidthLimitType limitType)
    {
        Span<byte> payload = stackalloc byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(payload, windowSize);
        payload[4] = (byte)limitType;
        WriteMessage(output, RtmpProtocolControl.ChunkStreamId, RtmpMessageType.SetPeerBandwidth, 0, 0, payload);
    }

    private void WriteControl(IBufferWriter<byte> output, RtmpMessageType type, uint value)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, value);
        WriteMessage(output, RtmpProtocolControl.ChunkStreamId, type, 0, 0, payload);
    }

    // Section 5.3.1.2: type 0 starts a chunk stream, changes message stream or goes back in time; type 1 keeps the
    // message stream; type 2 also keeps length and type; type 3 also keeps the delta. Type 3 is only used after a
    // header that carried an explicit delta, because readers disagree on what delta a type 0 header implies.
    private static int ChooseFormat(ref ChunkStreamHistory history, RtmpMessageType type, uint messageStreamId, uint timestamp, int length, out uint timestampField)
    {
        int format;
        if (!history.Used || messageStreamId != history.MessageStreamId || timestamp < history.Timestamp)
        {
            format = 0;
            timestampField = timestamp;
            history.HasExplicitDelta = false;
        }
        else
        {
            var delta = timestamp - history.Timestamp;
            timestampField = delta;
            if (type != history.Type || length != history.Length)
            {
                format = 1;
            }
            else
            {
                format = history.HasExplicitDelta && delta == history.Delta ? 3 : 2;
            }

            history.Delta = delta;
            history.HasExplicitDelta = true;
        }

        history.Used = true;
        history.Timestamp = timestamp;
        history.Type = type;
        history.Length = length;
        history.MessageStreamId = messageStreamId;
        return format;
    }

    private static int WriteHeader(Span<byte> span, int format, int chunkStreamId, uint timestampField, bool extended, int length, RtmpMessageType type, uint messageStreamId)
    {
        int written;
        if (chunkStreamId < 64)
        {
            span[0] = (byte)((format << 6) | chunkStreamId);
            written = 1;
        }
        else if (chunkStreamId < 64 + 256)
        {
            span[0] = (byte)(format << 6);
            span[1] = (byte)(chunkStreamId - 64);
            written = 2;
        }
        else
        {
            span[0] = (byte)((format << 6) | 1);
            span[1] = (byte)(chunkStreamId - 64);
            span[2] = (byte)((chunkStreamId - 64) >> 8);
            written = 3;
        }

        if (format < 3)
        {
            WriteUInt24(span[written..], extended ? ExtendedTimestampMarker : timestampField);
            written += 3;
            if (format < 2)
            {
                WriteUInt24(span[written..], (uint)length);
                span[written + 3] = (byte)type;
                written += 4;
                if (format == 0)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(span[written..], messageStreamId);
                    written += 4;
                }
            }
        }

        // Repeated on type 3 chunks too, which is what readers (ours included) expect.
        if (extended)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[written..], timestampField);
            written += 4;
        }

        return written;
    }

    private static void WriteUInt24(Span<byte> span, uint value)
    {
        span[0] = (byte)(value >> 16);
        span[1] = (byte)(value >> 8);
        span[2] = (byte)value;
    }

    private ref ChunkStreamHistory GetHistory(int chunkStreamId)
    {
        if (chunkStreamId < OneByteChunkStreamIdLimit)
        {
            return ref _oneByteStreams[chunkStreamId];
        }

        _otherStreams ??= [];
        return ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_otherStreams, chunkStreamId, out _);
    }

    /// <summary>The header fields last sent on a chunk stream, from which the next header is compressed.</summary>
    private struct ChunkStreamHistory
    {
        public bool Used;
        public uint Timestamp;
        public uint Delta;
        public bool HasExplicitDelta;
        public int Length;
        public RtmpMessageType Type;
        public uint MessageStreamId;
    }
}
