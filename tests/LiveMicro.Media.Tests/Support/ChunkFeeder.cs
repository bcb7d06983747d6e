using System.Buffers;
using LiveMicro.Media.Rtmp;

namespace LiveMicro.Media.Tests.Support;

/// <summary>A message as the tests compare them: header, chunk stream and a copy of the payload.</summary>
internal sealed record ReadMessage(RtmpMessageHeader Header, int ChunkStreamId, byte[] Payload)
{
    public override string ToString() => $"{Header} cs{ChunkStreamId} {Convert.ToHexString(Payload.AsSpan(0, Math.Min(Payload.Length, 16)))}";

    public bool SameAs(ReadMessage other) => Header == other.Header && ChunkStreamId == other.ChunkStreamId && Payload.AsSpan().SequenceEqual(other.Payload);
}

/// <summary>Feeds a chunk reader the way a pipe would: in pieces, keeping what the reader left unconsumed.</summary>
internal static class ChunkFeeder
{
    public static List<ReadMessage> ReadAll(RtmpChunkReader reader, byte[] bytes) => ReadInPieces(reader, bytes, [bytes.Length]);

    public static List<ReadMessage> ReadInPieces(RtmpChunkReader reader, byte[] bytes, IEnumerable<int> pieceLengths)
    {
        var messages = new List<ReadMessage>();
        var pending = Array.Empty<byte>();
        var offset = 0;
        foreach (var length in pieceLengths)
        {
            pending = [.. pending, .. bytes.AsSpan(offset, length)];
            offset += length;
            var sequenceReader = new SequenceReader<byte>(new ReadOnlySequence<byte>(pending));
            while (reader.TryReadMessage(ref sequenceReader, out var message))
            {
                using (message)
                {
                    messages.Add(new ReadMessage(message.Header, message.ChunkStreamId, message.Payload.ToArray()));
                }
            }

            pending = pending[(int)sequenceReader.Consumed..];
        }

        Assert.Equal(bytes.Length, offset);
        return messages;
    }

    public static IEnumerable<int> SplitAt(int total, int split) => split <= 0 || split >= total ? [total] : [split, total - split];
}
