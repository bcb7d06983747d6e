namespace LiveMicro.Interact.Chat;

/// <summary>A room's recent broadcasts, numbered from 0 in the order they were sent: many writers append, and each of
/// the room's readers (one per shard of its connections) takes the frames a connection has not had yet. A slot is
/// reused only when every reader has said it is past it (<see cref="Advance"/>); until then the ring grows, so a
/// burst that outruns a pass over the room is held, not lost.</summary>
public sealed class RoomLog
{
    private const int InitialCapacity = 16;
    private readonly Lock _appendGate = new();
    private readonly long[] _readerFloors;
    private ChatFrame[] _ring = new ChatFrame[InitialCapacity];
    private long _head;
    private long _oldestKept;

    public RoomLog(int readers) => _readerFloors = new long[readers];

    /// <summary>The number of frames appended so far: the position after the newest.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>How many frames the ring holds before it has to grow.</summary>
    public int Capacity => Volatile.Read(ref _ring).Length;

    public void Append(ChatFrame frame)
    {
        lock (_appendGate)
        {
            var ring = _ring;
            if (_head - _oldestKept >= ring.Length)
            {
                _oldestKept = OldestNeeded();
                if (_head - _oldestKept >= ring.Length) ring = Grow(ring);
            }

            ring[_head & (ring.Length - 1)] = frame;
            // the frame is in its slot before a reader can see the new head
            Volatile.Write(ref _head, _head + 1);
        }
    }

    /// <summary>Reader <paramref name="reader"/> no longer needs anything before <paramref name="position"/>.</summary>
    public void Advance(int reader, long position) => Volatile.Write(ref _readerFloors[reader], position);

    /// <summary>The frame at <paramref name="position"/>, which must be below the <see cref="Head"/> the caller read
    /// and at or after the caller's own floor.</summary>
    public ChatFrame At(long position)
    {
        var ring = Volatile.Read(ref _ring);
        return ring[position & (ring.Length - 1)];
    }

    private long OldestNeeded()
    {
        var oldest = _head;
        foreach (ref var floor in _readerFloors.AsSpan()) oldest = Math.Min(oldest, Volatile.Read(ref floor));
        return oldest;
    }

    /// <summary>Copies the kept frames into a ring twice the size; a reader still holding the old ring finds the same
    /// frames there, since nothing is written to it any more.</summary>
    private ChatFrame[] Grow(ChatFrame[] ring)
    {
        var grown = new ChatFrame[ring.Length * 2];
        for (var position = _oldestKept; position < _head; position++)
        {
            grown[position & (grown.Length - 1)] = ring[position & (ring.Length - 1)];
        }

        Volatile.Write(ref _ring, grown);
        return grown;
    }
}
