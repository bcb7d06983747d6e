using System.Buffers;
using System.Buffers.Binary;

namespace LiveMicro.Media.Mpeg2Ts;

/// <summary>
/// Packs elementary streams into an MPEG-2 transport stream (ISO/IEC 13818-1) for one program with up to one
/// H.264 and one AAC (ADTS) stream: PAT/PMT, PES packets with PTS/DTS, PCR, continuity counters and stuffing.
/// Input is already in TS form (Annex B access units, ADTS frames); timestamps are in 90 kHz units.
/// </summary>
public sealed class TsMuxer
{
    public const int PacketSize = 188;
    public const byte SyncByte = 0x47;

    public const ushort PatPid = 0x0000;
    public const ushort PmtPid = 0x1000;
    public const ushort VideoPid = 0x0100;
    public const ushort AudioPid = 0x0101;

    /// <summary>stream_type values (13818-1 table 2-34, amended for AVC and ADTS AAC).</summary>
    public const byte StreamTypeH264 = 0x1B;
    public const byte StreamTypeAdtsAac = 0x0F;

    private const int HeaderLength = 4;
    private const int MaxPayloadLength = PacketSize - HeaderLength;
    private const ushort ProgramNumber = 1;
    private const ushort TransportStreamId = 1;
    private const byte VideoStreamId = 0xE0;
    private const byte AudioStreamId = 0xC0;
    private const long TimestampMask = (1L << 33) - 1;

    // PES_packet_length counts the bytes after itself; video may use 0 ("unbounded") when that exceeds 16 bits.
    private const int MaxPesPacketLength = 0xFFFF;

    private readonly bool _hasVideo;
    private readonly bool _hasAudio;
    private byte _patContinuity;
    private byte _pmtContinuity;
    private byte _videoContinuity;
    private byte _audioContinuity;

    public TsMuxer(bool hasVideo, bool hasAudio)
    {
        if (!hasVideo && !hasAudio)
        {
            throw new ArgumentException("A program needs at least one stream.");
        }

        _hasVideo = hasVideo;
        _hasAudio = hasAudio;
    }

    /// <summary>The PID that carries the PCR: video when present, since it is the stream decoders pace on.</summary>
    public ushort PcrPid => _hasVideo ? VideoPid : AudioPid;

    /// <summary>Writes a PAT and a PMT; every segment must start with them so players can join there.</summary>
    public void WriteProgramTables(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);

        //  table_id 8 | section_syntax_indicator 1 | '0' 1 | reserved 2 | section_length 12 | transport_stream_id 16 |
        //  reserved 2 | version_number 5 | current_next_indicator 1 | section_number 8 | last_section_number 8 |
        //  { program_number 16 | reserved 3 | program_map_PID 13 } | CRC_32        (13818-1 section 2.4.4.3)
        Span<byte> pat = stackalloc byte[16];
        pat[0] = 0x00;
        BinaryPrimitives.WriteUInt16BigEndian(pat[3..], TransportStreamId);
        pat[5] = 0xC1; // reserved, version 0, current
        pat[6] = 0;
        pat[7] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(pat[8..], ProgramNumber);
        BinaryPrimitives.WriteUInt16BigEndian(pat[10..], 0xE000 | PmtPid);
        WriteSection(output, PatPid, ref _patContinuity, pat);

        //  table_id 8 | section_syntax_indicator 1 | '0' 1 | reserved 2 | section_length 12 | program_number 16 |
        //  reserved 2 | version_number 5 | current_next_indicator 1 | section_number 8 | last_section_number 8 |
        //  reserved 3 | PCR_PID 13 | reserved 4 | program_info_length 12 |
        //  { stream_type 8 | reserved 3 | elementary_PID 13 | reserved 4 | ES_info_length 12 } | CRC_32   (section 2.4.4.8)
        Span<byte> pmt = stackalloc byte[12 + 5 + 5 + 4];
        pmt[0] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(pmt[3..], ProgramNumber);
        pmt[5] = 0xC1;
        pmt[6] = 0;
        pmt[7] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(pmt[8..], (ushort)(0xE000 | PcrPid));
        BinaryPrimitives.WriteUInt16BigEndian(pmt[10..], 0xF000);
        var length = 12;
        if (_hasVideo)
        {
            length += WriteStreamEntry(pmt[length..], StreamTypeH264, VideoPid);
        }

        if (_hasAudio)
        {
            length += WriteStreamEntry(pmt[length..], StreamTypeAdtsAac, AudioPid);
        }

        WriteSection(output, PmtPid, ref _pmtContinuity, pmt[..(length + 4)]);
    }

    /// <summary>
    /// Writes one H.264 access unit (Annex B, starting with an AUD) as a PES packet on the video PID. Each carries a
    /// PCR, which keeps PCRs within the 100 ms the standard allows (section 2.7.2) at any usual frame rate.
    /// </summary>
    /// <param name="isRandomAccess">An IDR access unit: flagged with random_access_indicator so players can start there.</param>
    /// <param name="programClock">The PCR, in 90 kHz units; it must not run ahead of the DTS.</param>
    public void WriteVideo(IBufferWriter<byte> output, long decodeTime, long presentationTime, long programClock, bool isRandomAccess, ReadOnlySpan<byte> accessUnit)
    {
        if (!_hasVideo)
        {
            throw new InvalidOperationException("This program has no video stream.");
        }

        WritePes(output, VideoPid, VideoStreamId, ref _videoContinuity, decodeTime, presentationTime, programClock, isRandomAccess, accessUnit);
    }

    /// <summary>
    /// Writes ADTS frames as one PES packet on the audio PID. Without video, audio carries the PCR and every PES is
    /// flagged as a random access point, since any AAC frame can start playback.
    /// </summary>
    public void WriteAudio(IBufferWriter<byte> output, long presentationTime, long programClock, ReadOnlySpan<byte> adtsFrames)
    {
        if (!_hasAudio)
        {
            throw new InvalidOperationException("This program has no audio stream.");
        }

        WritePes(output, AudioPid, AudioStreamId, ref _audioContinuity, presentationTime, presentationTime, _hasVideo ? -1 : programClock, isRandomAccess: !_hasVideo, adtsFrames);
    }

    private static int WriteStreamEntry(Span<byte> destination, byte streamType, ushort pid)
    {
        destination[0] = streamType;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)(0xE000 | pid));
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], 0xF000);
        return 5;
    }

    // Fills in section_length and the CRC, then sends the section in one packet behind a zero pointer_field.
    private static void WriteSection(IBufferWriter<byte> output, ushort pid, ref byte continuity, Span<byte> section)
    {
        BinaryPrimitives.WriteUInt16BigEndian(section[1..], (ushort)(0xB000 | (section.Length - 3)));
        BinaryPrimitives.WriteUInt32BigEndian(section[^4..], Crc32Mpeg2.Compute(section[..^4]));

        var packet = output.GetSpan(PacketSize)[..PacketSize];
        WritePacketHeader(packet, pid, payloadUnitStart: true, hasAdaptationField: false, ref continuity);
        packet[HeaderLength] = 0;
        section.CopyTo(packet[(HeaderLength + 1)..]);
        packet[(HeaderLength + 1 + section.Length)..].Fill(0xFF);
        output.Advance(PacketSize);
    }

    //  packet_start_code_prefix 24 | stream_id 8 | PES_packet_length 16 | '10' 2 | scrambling 2 | priority 1 |
    //  data_alignment_indicator 1 | copyright 1 | original_or_copy 1 | PTS_DTS_flags 2 | (6 more flags) |
    //  PES_header_data_length 8 | PTS 40 | [DTS 40]                                      (13818-1 section 2.4.3.6)
    private static void WritePes(IBufferWriter<byte> output, ushort pid, byte streamId, ref byte continuity, long decodeTime, long presentationTime, long programClock, bool isRandomAccess, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(output);
        decodeTime &= TimestampMask;
        presentationTime &= TimestampMask;
        var hasDecodeTime = decodeTime != presentationTime;

        Span<byte> header = stackalloc byte[19];
        header[0] = 0;
        header[1] = 0;
        header[2] = 1;
        header[3] = streamId;
        var headerDataLength = hasDecodeTime ? 10 : 5;
        var pesPacketLength = 3 + headerDataLength + payload.Length;
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)(pesPacketLength > MaxPesPacketLength ? 0 : pesPacketLength));
        header[6] = 0x84; // '10', data_alignment_indicator: each PES starts an access unit or ADTS frame
        header[7] = hasDecodeTime ? (byte)0xC0 : (byte)0x80;
        header[8] = (byte)headerDataLength;
        WriteTimestamp(header[9..], hasDecodeTime ? (byte)0x3 : (byte)0x2, presentationTime);
        if (hasDecodeTime)
        {
            WriteTimestamp(header[14..], 0x1, decodeTime);
        }

        header = header[..(9 + headerDataLength)];
        if (streamId == AudioStreamId && pesPacketLength > MaxPesPacketLength)
        {
            throw new ArgumentException("Audio PES packets must fit a 16-bit PES_packet_length.", nameof(payload));
        }

        WritePackets(output, pid, ref continuity, header, payload, programClock, isRandomAccess);
    }

    // '0010' or '0011' (PTS) / '0001' (DTS) 4 | ts[32..30] 3 | marker 1 | ts[29..15] 15 | marker 1 | ts[14..0] 15 | marker 1
    private static void WriteTimestamp(Span<byte> destination, byte prefix, long timestamp)
    {
        destination[0] = (byte)((prefix << 4) | (int)(((timestamp >> 30) & 0x07) << 1) | 1);
        destination[1] = (byte)(timestamp >> 22);
        destination[2] = (byte)((((timestamp >> 15) & 0x7F) << 1) | 1);
        destination[3] = (byte)(timestamp >> 7);
        destination[4] = (byte)(((timestamp & 0x7F) << 1) | 1);
    }

    // Splits PES header + payload over 188-byte packets. The first packet may carry an adaptation field with the
    // random access flag and PCR; the last is padded with adaptation field stuffing, as PES data cannot be padded.
    private static void WritePackets(IBufferWriter<byte> output, ushort pid, ref byte continuity, ReadOnlySpan<byte> pesHeader, ReadOnlySpan<byte> payload, long programClock, bool isRandomAccess)
    {
        var total = pesHeader.Length + payload.Length;
        var written = 0;
        var first = true;
        while (written < total)
        {
            var packet = output.GetSpan(PacketSize)[..PacketSize];
            var hasPcr = first && programClock >= 0;
            var flagged = first && (hasPcr || isRandomAccess);

            // adaptation_field_length 8 | discontinuity 1 | random_access 1 | ES_priority 1 | PCR_flag 1 | 4 flags | [PCR 48] | stuffing
            var adaptationLength = flagged ? 2 + (hasPcr ? 6 : 0) : 0;
            var remaining = total - written;
            if (remaining < MaxPayloadLength - adaptationLength)
            {
                adaptationLength = MaxPayloadLength - remaining;
            }

            var payloadLength = MaxPayloadLength - adaptationLength;
            WritePacketHeader(packet, pid, payloadUnitStart: first, hasAdaptationField: adaptationLength > 0, ref continuity);
            if (adaptationLength > 0)
            {
                WriteAdaptationField(packet.Slice(HeaderLength, adaptationLength), hasPcr ? programClock : -1, first && isRandomAccess);
            }

            var body = packet[(HeaderLength + adaptationLength)..];
            var filled = 0;
            if (written < pesHeader.Length)
            {
                filled = Math.Min(pesHeader.Length - written, payloadLength);
                pesHeader.Slice(written, filled).CopyTo(body);
            }

            if (filled < payloadLength)
            {
                payload.Slice(written + filled - pesHeader.Length, payloadLength - filled).CopyTo(body[filled..]);
            }

            written += payloadLength;
            output.Advance(PacketSize);
            first = false;
        }
    }

    private static void WriteAdaptationField(Span<byte> field, long programClock, bool isRandomAccess)
    {
        // A one-byte adaptation field is just its zero length: the smallest stuffing possible.
        field[0] = (byte)(field.Length - 1);
        if (field.Length == 1)
        {
            return;
        }

        field[1] = (byte)((isRandomAccess ? 0x40 : 0) | (programClock >= 0 ? 0x10 : 0));
        var offset = 2;
        if (programClock >= 0)
        {
            // program_clock_reference_base 33 | reserved 6 | program_clock_reference_extension 9 (always 0: 90 kHz precision)
            var pcrBase = programClock & TimestampMask;
            field[2] = (byte)(pcrBase >> 25);
            field[3] = (byte)(pcrBase >> 17);
            field[4] = (byte)(pcrBase >> 9);
            field[5] = (byte)(pcrBase >> 1);
            field[6] = (byte)(((pcrBase & 1) << 7) | 0x7E);
            field[7] = 0;
            offset = 8;
        }

        field[offset..].Fill(0xFF);
    }

    //  sync_byte 8 | transport_error_indicator 1 | payload_unit_start_indicator 1 | transport_priority 1 | PID 13 |
    //  transport_scrambling_control 2 | adaptation_field_control 2 | continuity_counter 4      (section 2.4.3.2)
    private static void WritePacketHeader(Span<byte> packet, ushort pid, bool payloadUnitStart, bool hasAdaptationField, ref byte continuity)
    {
        packet[0] = SyncByte;
        packet[1] = (byte)((payloadUnitStart ? 0x40 : 0) | (pid >> 8));
        packet[2] = (byte)pid;
        packet[3] = (byte)((hasAdaptationField ? 0x30 : 0x10) | continuity);

        // The counter only advances on packets with payload, which all of ours have.
        continuity = (byte)((continuity + 1) & 0x0F);
    }
}
