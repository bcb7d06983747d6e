using System.Buffers;
using System.Collections.Concurrent;

namespace LiveMicro.Media.Rtmp;

/// <summary>
/// A reference-counted payload buffer rented from <see cref="ArrayPool{T}"/>. A reassembled message is read once
/// but may be fanned out to many subscribers, so each holder takes a reference and the array returns to the pool
/// when the last one is released. Holders are recycled too, and a generation number catches use after release.
/// </summary>
public sealed class RtmpMessageBuffer
{
    /// <summary>
    /// Messages up to this size get their whole array when their first chunk arrives; larger ones grow by doubling
    /// as data arrives. A peer that announces large messages on every chunk stream and sends one byte of each can
    /// so make us hold at most this much per chunk stream, rather than the lengths it claims.
    /// </summary>
    internal const int InitialCapacityLimit = 4 * 1024;

    // Enough recycled holders for the messages in flight on a busy server without pinning memory forever.
    private const int MaxPooledHolders = 4096;

    private static readonly ConcurrentQueue<RtmpMessageBuffer> Holders = new();
    private static int s_pooledHolderCount;

    private byte[] _array = [];
    private int _references;

    private RtmpMessageBuffer()
    {
    }

    /// <summary>Bumped every time the holder is recycled; an <see cref="RtmpMessage"/> remembers the one it was given.</summary>
    internal int Generation { get; private set; }

    /// <summary>Bytes written so far.</summary>
    internal int Length { get; private set; }

    internal static RtmpMessageBuffer Rent(int messageLength)
    {
        if (Holders.TryDequeue(out var buffer))
        {
            Interlocked.Decrement(ref s_pooledHolderCount);
        }
        else
        {
            buffer = new RtmpMessageBuffer();
        }

        buffer._array = messageLength == 0 ? [] : ArrayPool<byte>.Shared.Rent(Math.Min(messageLength, InitialCapacityLimit));
        buffer.Length = 0;
        buffer._references = 1;
        return buffer;
    }

    /// <summary>Space for the next <paramref name="count"/> bytes of a message of <paramref name="messageLength"/> bytes.</summary>
    internal Span<byte> GetAppendSpan(int count, int messageLength)
    {
        var needed = Length + count;
        if (needed > _array.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Min(messageLength, Math.Max(needed, _array.Length * 2)));
            _array.AsSpan(0, Length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_array);
            _array = grown;
        }

        return _array.AsSpan(Length, count);
    }

    internal void Appended(int count) => Length += count;

    internal ReadOnlySpan<byte> GetSpan(int generation)
    {
        CheckGeneration(generation);
        return _array.AsSpan(0, Length);
    }

    internal ReadOnlyMemory<byte> GetMemory(int generation)
    {
        CheckGeneration(generation);
        return _array.AsMemory(0, Length);
    }

    internal void Retain(int generation)
    {
        CheckGeneration(generation);
        Interlocked.Increment(ref _references);
    }

    internal void Release(int generation)
    {
        CheckGeneration(generation);
        var remaining = Interlocked.Decrement(ref _references);
        if (remaining > 0)
        {
            return;
        }

        if (remaining < 0)
        {
            throw new ObjectDisposedException(nameof(RtmpMessage), "The message was released more times than it was retained.");
        }

        if (_array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }

        _array = [];
        Length = 0;
        Generation++;
        if (Interlocked.Increment(ref s_pooledHolderCount) <= MaxPooledHolders)
        {
            Holders.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooledHolderCount);
        }
    }

    private void CheckGeneration(int generation)
    {
        if (generation != Generation)
        {
            throw new ObjectDisposedException(nameof(RtmpMessage), "The message was used after its last reference was released.");
        }
    }
}
