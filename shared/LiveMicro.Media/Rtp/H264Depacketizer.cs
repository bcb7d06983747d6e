using System.Buffers.Binary;
using LiveMicro.Media.Codecs;

namespace LiveMicro.Media.Rtp;

/// <summary>One H.264 access unit out of RTP: its NAL units length-prefixed (4 bytes, as FLV and MP4 carry them),
/// parameter sets and delimiters taken out. Valid only during the call it is handed to.</summary>
public readonly ref struct H264AccessUnit(uint timestamp, bool isKeyframe, ReadOnlySpan<byte> lengthPrefixed)
{
    /// <summary>The RTP timestamp (90 kHz).</summary>
    public uint Timestamp { get; } = timestamp;

    /// <summary>Carries an IDR slice: a decoder can start here.</summary>
    public bool IsKeyframe { get; } = isKeyframe;

    public ReadOnlySpan<byte> LengthPrefixed { get; } = lengthPrefixed;
}

public delegate void H264AccessUnitHandler(H264AccessUnit unit);

/// <summary>
/// Rebuilds H.264 access units from the RTP payloads of packetization-mode 1 (RFC 6184): single NAL unit packets,
/// STAP-A aggregates and FU-A fragments. An access unit ends at its marker bit, or when the timestamp moves on. A
/// lost packet (a gap in sequence numbers) drops the access unit it was in and every one after until the next
/// keyframe, and <see cref="NeedsKeyframe"/> says so, for the receiver to ask for one (RTCP PLI). The latest SPS and
/// PPS are kept apart for the decoder configuration, with <see cref="ParameterSetsChanged"/> set when they change.
/// </summary>
public sealed class H264Depacketizer
{
    /// <summary>A 1080p keyframe at high quality is under 1 MB; 4 MB bounds what a broken or hostile sender costs.</summary>
    public const int MaxAccessUnitLength = 4 * 1024 * 1024;

    private const byte StapA = 24;
    private const byte FuA = 28;

    private byte[] _unit = new byte[64 * 1024];
    private int _length;
    private uint _timestamp;
    private bool _started;
    private bool _keyframe;
    private bool _broken;
    private int _fragmentAt = -1; // where the length of the NAL unit an FU-A is rebuilding goes, or -1
    private ushort _nextSequence;
    private bool _haveSequence;

    public bool NeedsKeyframe { get; private set; } = true;

    public byte[]? SequenceParameterSet { get; private set; }

    public byte[]? PictureParameterSet { get; private set; }

    /// <summary>Set when an SPS or PPS arrives that differs from the one kept; the caller clears it once it has sent
    /// the new decoder configuration.</summary>
    public bool ParameterSetsChanged { get; set; }

    /// <summary>Takes one packet; <paramref name="completed"/> gets each access unit this packet completes (the one
    /// before it when the timestamp moved on, its own at its marker). Packets arrive in order: reordering is a gap.</summary>
    public void Push(ushort sequence, uint timestamp, bool marker, ReadOnlySpan<byte> payload, H264AccessUnitHandler completed)
    {
        // a lost packet breaks the unit in progress, and the one this packet starts if the timestamp moved on: which
        // of the two it belonged to cannot be told
        var lost = _haveSequence && sequence != _nextSequence;
        if (lost)
        {
            _broken = true;
            NeedsKeyframe = true;
        }

        if (_started && timestamp != _timestamp)
        {
            Complete(completed);
            _broken = lost;
        }

        _haveSequence = true;
        _nextSequence = (ushort)(sequence + 1);
        if (!_started)
        {
            _started = true;
            _timestamp = timestamp;
        }

        if (!payload.IsEmpty) Take(payload);
        if (marker) Complete(completed);
    }

    private void Take(ReadOnlySpan<byte> payload)
    {
        switch ((byte)(payload[0] & 0x1F))
        {
            case >= 1 and <= 23:
                AbandonFragment();
                AddNalUnit(payload);
                break;
            case StapA:
                AbandonFragment();
                // STAP-A (section 5.7.1): the STAP-A header, then NAL units each behind a 16-bit size
                for (var at = 1; at < payload.Length;)
                {
                    if (at + 2 > payload.Length || BinaryPrimitives.ReadUInt16BigEndian(payload[at..]) is var size && (size == 0 || at + 2 + size > payload.Length))
                    {
                        _broken = true;
                        break;
                    }

                    AddNalUnit(payload.Slice(at + 2, size));
                    at += 2 + size;
                }

                break;
            case FuA when payload.Length > 2:
                TakeFragment(payload);
                break;
            default:
                // STAP-B, MTAP and FU-B belong to interleaved mode, which was not negotiated
                _broken = true;
                break;
        }
    }

    /// <summary>FU-A (RFC 6184 section 5.8): the FU indicator (F, NRI, type 28), the FU header (S, E, R, the NAL
    /// unit's type), then a piece of the NAL unit without its header byte, which is rebuilt from the two.</summary>
    private void TakeFragment(ReadOnlySpan<byte> payload)
    {
        var header = payload[1];
        if ((header & 0x80) != 0)
        {
            AbandonFragment();
            if (!Reserve(5)) return;
            _fragmentAt = _length;
            BinaryPrimitives.WriteUInt32BigEndian(_unit.AsSpan(_length), 0);
            _unit[_length + 4] = (byte)((payload[0] & 0xE0) | (header & 0x1F));
            _length += 5;
        }
        else if (_fragmentAt < 0)
        {
            // a middle or last fragment without its first: the first was lost
            _broken = true;
            return;
        }

        if (!Reserve(payload.Length - 2)) return;
        payload[2..].CopyTo(_unit.AsSpan(_length));
        _length += payload.Length - 2;
        if ((header & 0x40) == 0) return;

        var nal = _unit.AsSpan(_fragmentAt + 4, _length - _fragmentAt - 4);
        var type = (AvcNalUnitType)(nal[0] & 0x1F);
        if (type is AvcNalUnitType.SequenceParameterSet or AvcNalUnitType.PictureParameterSet or AvcNalUnitType.AccessUnitDelimiter)
        {
            // kept apart like an unfragmented one: taken back out of the access unit
            KeepParameterSet(nal);
            _length = _fragmentAt;
        }
        else
        {
            if (type == AvcNalUnitType.IdrSlice) _keyframe = true;
            BinaryPrimitives.WriteUInt32BigEndian(_unit.AsSpan(_fragmentAt), (uint)nal.Length);
        }

        _fragmentAt = -1;
    }

    /// <summary>A NAL unit started while another was still being rebuilt: the rest of that one was lost.</summary>
    private void AbandonFragment()
    {
        if (_fragmentAt < 0) return;
        _broken = true;
        _fragmentAt = -1;
    }

    private void AddNalUnit(ReadOnlySpan<byte> nal)
    {
        var type = (AvcNalUnitType)(nal[0] & 0x1F);
        if (type is AvcNalUnitType.SequenceParameterSet or AvcNalUnitType.PictureParameterSet or AvcNalUnitType.AccessUnitDelimiter)
        {
            KeepParameterSet(nal);
            return;
        }

        if (type == AvcNalUnitType.IdrSlice) _keyframe = true;
        if (!Reserve(4 + nal.Length)) return;
        BinaryPrimitives.WriteUInt32BigEndian(_unit.AsSpan(_length), (uint)nal.Length);
        nal.CopyTo(_unit.AsSpan(_length + 4));
        _length += 4 + nal.Length;
    }

    private void KeepParameterSet(ReadOnlySpan<byte> nal)
    {
        switch ((AvcNalUnitType)(nal[0] & 0x1F))
        {
            case AvcNalUnitType.SequenceParameterSet when !nal.SequenceEqual(SequenceParameterSet):
                SequenceParameterSet = nal.ToArray();
                ParameterSetsChanged = true;
                break;
            case AvcNalUnitType.PictureParameterSet when !nal.SequenceEqual(PictureParameterSet):
                PictureParameterSet = nal.ToArray();
                ParameterSetsChanged = true;
                break;
        }
    }

    private void Complete(H264AccessUnitHandler completed)
    {
        if (_fragmentAt >= 0) AbandonFragment();
        // after a loss only a keyframe can be decoded again, and only with its parameter sets
        var usable = !_broken && _length > 0 && (!NeedsKeyframe || (_keyframe && SequenceParameterSet is not null && PictureParameterSet is not null));
        if (usable)
        {
            NeedsKeyframe = false;
            completed(new H264AccessUnit(_timestamp, _keyframe, _unit.AsSpan(0, _length)));
        }

        _length = 0;
        _started = false;
        _keyframe = false;
        _broken = false;
    }

    private bool Reserve(int more)
    {
        if (_length + more > MaxAccessUnitLength)
        {
            _broken = true;
            return false;
        }

        if (_length + more > _unit.Length) Array.Resize(ref _unit, Math.Min(MaxAccessUnitLength, Math.Max(_unit.Length * 2, _length + more)));
        return true;
    }
}
