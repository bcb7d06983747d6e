using System.Buffers;
using System.Buffers.Binary;

namespace LiveMicro.Media.Rtmp;

/// <summary>
/// Reads the RTMP chunk stream (RTMP 1.0 section 5.3) and reassembles whole messages into pooled buffers.
/// The chunk-stream protocol control messages (Set Chunk Size, Abort, Window Acknowledgement Size) are applied
/// here and not returned; every other message is handed to the caller, who owns it.
/// </summary>
/// <remarks>
/// Chunk headers are parsed only once all of their bytes are present; payload bytes are copied as they arrive,
/// so the caller never needs to buffer a whole chunk (a peer may use chunks of megabytes).
/// </remarks>
public sealed class RtmpChunkReader : IDisposable
{
    /// <summary>Chunk size in force until the peer sends Set Chunk Size (section 5.4.1).</summary>
    public const int DefaultChunkSize = 128;

    /// <summary>
    /// Largest chunk size accepted. The spec allows up to 0x7FFFFFFF but no message exceeds 0xFFFFFF bytes, so
    /// larger chunk sizes mean nothing and are treated as a protocol error.
    /// </summary>
    public const int MaxChunkSize = 0xFFFFFF;

    /// <summary>Chunk stream IDs 0 and 1 select the longer basic headers; 2 is the lowest real one.</summary>
    public const int MinChunkStreamId = 2;

    /// <summary>The largest ID the three-byte basic header can carry (section 5.3.1.1).</summary>
    public const int MaxChunkStreamId = 65599;

    // A timestamp field of 0xFFFFFF means the value is in the 4-byte Extended Timestamp (section 5.3.1.3).
    private const uint ExtendedTimestampMarker = 0xFFFFFF;

    // One-byte basic headers address chunk streams 2..63: they live in an array, the rest in a dictionary.
    private const int OneByteChunkStreamIdLimit = 64;

    private readonly RtmpChunkReaderLimits _limits;
    private readonly ChunkStream?[] _oneByteStreams = new ChunkStream?[OneByteChunkStreamIdLimit];
    private Dictionary<int, ChunkStream>? _otherStreams;
    private int _streamCount;

    // The chunk whose payload is being copied, and how many of its payload bytes are still to come.
    private ChunkStream? _payloadStream;
    private int _payloadLeft;

    private long _acknowledgedBytes;

    public RtmpChunkReader()
        : this(RtmpChunkReaderLimits.Default)
    {
    }

    public RtmpChunkReader(RtmpChunkReaderLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        _limits = limits;
    }

    /// <summary>The peer's chunk size: 128 until it sends Set Chunk Size.</summary>
    public int ChunkSize { get; private set; } = DefaultChunkSize;

    /// <summary>The peer's Window Acknowledgement Size, or 0 until it sends one (then no acknowledgements are due).</summary>
    public uint WindowAcknowledgementSize { get; private set; }

    /// <summary>Bytes consumed from the chunk stream (the handshake is not counted).</summary>
    public long BytesReceived { get; private set; }

    /// <summary>
    /// Reads chunks until a message is complete or <paramref name="input"/> runs out. Returns false when more bytes
    /// are needed: everything that could be used has been consumed, and an incomplete chunk header is left unread.
    /// </summary>
    /// <exception cref="RtmpProtocolException">The peer broke the chunk stream protocol or a limit.</exception>
    public bool TryReadMessage(ref SequenceReader<byte> input, out RtmpMessage message)
    {
        var start = input.Consumed;
        try
        {
            while (true)
            {
                if (_payloadStream is null)
                {
                    if (!TryReadChunkHeader(ref input))
                    {
                        message = default;
                        return false;
                    }
                }

                var stream = _payloadStream!;
                if (!TryCopyPayload(ref input, stream))
                {
                    message = default;
                    return false;
                }

                _payloadStream = null;
                var buffer = stream.Partial!;
                if (buffer.Length < stream.MessageLength)
                {
                    continue;
                }

                stream.Partial = null;
                var header = new RtmpMessageHeader(stream.Timestamp, stream.MessageLength, stream.Type, stream.MessageStreamId);
                message = new RtmpMessage(header, stream.Id, buffer);
                if (header.Type is RtmpMessageType.SetChunkSize or RtmpMessageType.Abort or RtmpMessageType.WindowAcknowledgementSize)
                {
                    using (message)
                    {
                        ApplyProtocolControl(header.Type, message.Payload);
                    }

                    continue;
                }

                return true;
            }
        }
        finally
        {
            BytesReceived += input.Consumed - start;
        }
    }

    /// <summary>
    /// True when the bytes received since the last acknowledgement reached the peer's window (section 5.4.3); the
    /// caller then sends an Acknowledgement carrying <paramref name="sequenceNumber"/>.
    /// </summary>
    public bool TryTakeAcknowledgement(out uint sequenceNumber)
    {
        if (WindowAcknowledgementSize == 0 || BytesReceived - _acknowledgedBytes < WindowAcknowledgementSize)
        {
            sequenceNumber = 0;
            return false;
        }

        _acknowledgedBytes = BytesReceived;

        // The sequence number is a 32-bit field that wraps on long sessions.
        sequenceNumber = unchecked((uint)BytesReceived);
        return true;
    }

    /// <summary>Returns the buffers of messages still being reassembled.</summary>
    public void Dispose()
    {
        foreach (var stream in _oneByteStreams)
        {
            stream?.DropPartial();
        }

        if (_otherStreams is not null)
        {
            foreach (var stream in _otherStreams.Values)
            {
                stream.DropPartial();
            }
        }

        _payloadStream = null;
    }

    //  0 1 2 3 4 5 6 7      0                   1            0                   1                   2
    // +-+-+-+-+-+-+-+-+    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |fmt|   cs id   |    |fmt|     0     |  cs id - 64 |  |fmt|     1     |        cs id - 64             |
    // +-+-+-+-+-+-+-+-+    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // Basic header, section 5.3.1.1 (the 3-byte form's ID is little-endian: third byte * 256 + second byte + 64),
    // followed by a message header of 11, 7, 3 or 0 bytes for fmt 0..3 (section 5.3.1.2):
    //   fmt 0: timestamp(3) message length(3) message type id(1) message stream id(4, little-endian)
    //   fmt 1: timestamp delta(3) message length(3) message type id(1)
    //   fmt 2: timestamp delta(3)
    // and a 4-byte Extended Timestamp when the 3-byte field is 0xFFFFFF (section 5.3.1.3).
    private bool TryReadChunkHeader(ref SequenceReader<byte> input)
    {
        var reader = input;
        if (!reader.TryRead(out var first))
        {
            return false;
        }

        var format = first >> 6;
        int chunkStreamId = first & 0x3F;
        if (chunkStreamId == 0)
        {
            if (!reader.TryRead(out var low))
            {
                return false;
            }

            chunkStreamId = 64 + low;
        }
        else if (chunkStreamId == 1)
        {
            if (!reader.TryRead(out var low) || !reader.TryRead(out var high))
            {
                return false;
            }

            chunkStreamId = 64 + low + (high << 8);
        }

        Span<byte> fields = stackalloc byte[11];
        var fieldsLength = format switch { 0 => 11, 1 => 7, 2 => 3, _ => 0 };
        if (!reader.TryCopyTo(fields[..fieldsLength]))
        {
            return false;
        }

        reader.Advance(fieldsLength);

        var stream = FindStream(chunkStreamId);
        if (stream is null && format != 0)
        {
            throw new RtmpProtocolException(RtmpProtocolError.MissingInitialChunkHeader, $"Chunk stream {chunkStreamId} starts with a type {format} chunk.");
        }

        var timestampField = format < 3 ? (uint)ReadUInt24(fields) : 0;

        // Type 3 chunks repeat the extended timestamp of the header they continue. The 1.0 text is ambiguous,
        // but FMS, ffmpeg and librtmp all send it, on continuation chunks as well as on new messages.
        var extended = format < 3 ? timestampField == ExtendedTimestampMarker : stream!.HasExtendedTimestamp;
        uint extendedTimestamp = 0;
        if (extended)
        {
            if (!reader.TryReadBigEndian(out int value))
            {
                return false;
            }

            extendedTimestamp = unchecked((uint)value);
        }

        // The whole header is present: from here on the reader's state changes.
        input = reader;
        stream ??= CreateStream(chunkStreamId);
        if (stream.Partial is not null)
        {
            if (format != 3)
            {
                throw new RtmpProtocolException(RtmpProtocolError.UnexpectedChunkHeader, $"Type {format} chunk on chunk stream {chunkStreamId} interrupts an incomplete message.");
            }
        }
        else
        {
            StartMessage(stream, format, fields, extended ? extendedTimestamp : timestampField, extended);
        }

        _payloadStream = stream;
        _payloadLeft = Math.Min(ChunkSize, stream.MessageLength - stream.Partial!.Length);
        return true;
    }

    private void StartMessage(ChunkStream stream, int format, ReadOnlySpan<byte> fields, uint timestampField, bool extended)
    {
        switch (format)
        {
            case 0:
                stream.Timestamp = timestampField;

                // ffmpeg and librtmp writers send a type 3 chunk for the next message whenever its delta equals
                // the previous header's timestamp field, so a type 0 timestamp doubles as the delta to reuse.
                stream.TimestampDelta = timestampField;
                stream.MessageLength = ReadUInt24(fields[3..]);
                stream.Type = (RtmpMessageType)fields[6];
                stream.MessageStreamId = BinaryPrimitives.ReadUInt32LittleEndian(fields[7..]);
                stream.HasExtendedTimestamp = extended;
                break;
            case 1:
                stream.TimestampDelta = timestampField;
                stream.Timestamp = unchecked(stream.Timestamp + timestampField);
                stream.MessageLength = ReadUInt24(fields[3..]);
                stream.Type = (RtmpMessageType)fields[6];
                stream.HasExtendedTimestamp = extended;
                break;
            case 2:
                stream.TimestampDelta = timestampField;
                stream.Timestamp = unchecked(stream.Timestamp + timestampField);
                stream.HasExtendedTimestamp = extended;
                break;
            default:
                if (extended)
                {
                    stream.TimestampDelta = timestampField;
                }

                stream.Timestamp = unchecked(stream.Timestamp + stream.TimestampDelta);
                break;
        }

        if (stream.MessageLength > _limits.MaxMessageLength)
        {
            throw new RtmpProtocolException(RtmpProtocolError.MessageTooLarge, $"A {stream.MessageLength}-byte message exceeds the {_limits.MaxMessageLength}-byte limit.");
        }

        stream.Partial = RtmpMessageBuffer.Rent(stream.MessageLength);
    }

    private bool TryCopyPayload(ref SequenceReader<byte> input, ChunkStream stream)
    {
        var buffer = stream.Partial!;
        while (_payloadLeft > 0)
        {
            var available = input.UnreadSpan;
            if (available.IsEmpty)
            {
                return false;
            }

            var count = Math.Min(available.Length, _payloadLeft);
            available[..count].CopyTo(buffer.GetAppendSpan(count, stream.MessageLength));
            buffer.Appended(count);
            input.Advance(count);
            _payloadLeft -= count;
        }

        return true;
    }

    private void ApplyProtocolControl(RtmpMessageType type, ReadOnlySpan<byte> payload)
    {
        var value = RtmpProtocolControl.ReadUInt32(payload, type);
        switch (type)
        {
            case RtmpMessageType.SetChunkSize:
                if (value is 0 or > MaxChunkSize)
                {
                    throw new RtmpProtocolException(RtmpProtocolError.ChunkSizeOutOfRange, $"Set Chunk Size {value} is outside 1..{MaxChunkSize}.");
                }

                ChunkSize = (int)value;
                break;
            case RtmpMessageType.Abort:
                // Section 5.4.2: discard the partially received message on that chunk stream.
                if (value <= MaxChunkStreamId)
                {
                    FindStream((int)value)?.DropPartial();
                }

                break;
            default:
                WindowAcknowledgementSize = value;
                break;
        }
    }

    private ChunkStream? FindStream(int chunkStreamId)
    {
        if (chunkStreamId < OneByteChunkStreamIdLimit)
        {
            return _oneByteStreams[chunkStreamId];
        }

        return _otherStreams is not null && _otherStreams.TryGetValue(chunkStreamId, out var stream) ? stream : null;
    }

    private ChunkStream CreateStream(int chunkStreamId)
    {
        if (_streamCount >= _limits.MaxChunkStreams)
        {
            throw new RtmpProtocolException(RtmpProtocolError.TooManyChunkStreams, $"The peer opened more than {_limits.MaxChunkStreams} chunk streams.");
        }

        var stream = new ChunkStream(chunkStreamId);
        if (chunkStreamId < OneByteChunkStreamIdLimit)
        {
            _oneByteStreams[chunkStreamId] = stream;
        }
        else
        {
            (_otherStreams ??= [])[chunkStreamId] = stream;
        }

        _streamCount++;
        return stream;
    }

    private static int ReadUInt24(ReadOnlySpan<byte> bytes) => (bytes[0] << 16) | (bytes[1] << 8) | bytes[2];

    /// <summary>What the previous chunk header on one chunk stream established, and the message being reassembled.</summary>
    private sealed class ChunkStream(int id)
    {
        public int Id { get; } = id;

        public uint Timestamp { get; set; }

        public uint TimestampDelta { get; set; }

        public bool HasExtendedTimestamp { get; set; }

        public int MessageLength { get; set; }

        public RtmpMessageType Type { get; set; }

        public uint MessageStreamId { get; set; }

        public RtmpMessageBuffer? Partial { get; set; }

        public void DropPartial()
        {
            if (Partial is not null)
            {
                Partial.Release(Partial.Generation);
                Partial = null;
            }
        }
    }
}
