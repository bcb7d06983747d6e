using System.Buffers;
using LiveMicro.Media.Codecs;
using LiveMicro.Media.Flv;

namespace LiveMicro.Media.Mpeg2Ts;

/// <summary>What <see cref="FlvTsRemuxer"/> did with a tag.</summary>
public enum TsRemuxOutcome
{
    /// <summary>Media was written to the transport stream.</summary>
    Written,
    /// <summary>A sequence header: the codec configuration was taken, nothing written.</summary>
    ConfigurationUpdated,
    /// <summary>Nothing to write: a sequence end, an empty frame, or a frame before its sequence header.</summary>
    Skipped,
    /// <summary>A codec or packet form this remuxer does not carry (only H.264 and AAC go into TS here).</summary>
    Unsupported,
}

/// <summary>
/// Remuxes FLV/RTMP audio and video tag data (H.264 and AAC) into an MPEG-TS: AVC access units become Annex B with
/// an AUD and, on keyframes, SPS/PPS; AAC frames get ADTS headers. Millisecond FLV timestamps become 90 kHz ones.
/// One instance per output stream; it reuses one scratch buffer, so remuxing does not allocate per frame.
/// </summary>
public sealed class FlvTsRemuxer
{
    /// <summary>
    /// How far PTS/DTS run ahead of the PCR (0.7 s, ffmpeg's default muxing delay): the decoder's buffering
    /// headroom, and room for B-frame composition offsets without the PTS falling behind the clock.
    /// </summary>
    public const long PresentationDelay = 63_000;

    private const int TicksPerMillisecond = 90;

    private readonly TsMuxer _muxer;
    private readonly ArrayBufferWriter<byte> _scratch = new(64 * 1024);
    private AvcDecoderConfigurationRecord? _video;
    private AudioSpecificConfig? _audio;

    public FlvTsRemuxer(bool hasVideo = true, bool hasAudio = true)
    {
        _muxer = new TsMuxer(hasVideo, hasAudio);
    }

    public AvcDecoderConfigurationRecord? VideoConfiguration => _video;

    public AudioSpecificConfig? AudioConfiguration => _audio;

    /// <summary>PAT and PMT; write them first in every segment.</summary>
    public void WriteProgramTables(IBufferWriter<byte> output) => _muxer.WriteProgramTables(output);

    /// <exception cref="MediaFormatException">A malformed AVC sequence header or access unit.</exception>
    public TsRemuxOutcome WriteVideoTag(IBufferWriter<byte> output, uint timestamp, ReadOnlySpan<byte> tagData)
    {
        if (!FlvVideoTagHeader.TryParse(tagData, out var header) || header.FourCc != FourCc.Avc || header.IsMultitrack)
        {
            return TsRemuxOutcome.Unsupported;
        }

        var body = tagData[header.DataOffset..];
        switch (header.PacketType)
        {
            case FlvVideoPacketType.SequenceStart:
                _video = AvcDecoderConfigurationRecord.Parse(body);
                return TsRemuxOutcome.ConfigurationUpdated;
            case FlvVideoPacketType.CodedFrames or FlvVideoPacketType.CodedFramesX when _video is not null && !body.IsEmpty:
                _scratch.ResetWrittenCount();
                AvcAnnexB.WriteAccessUnit(_scratch, body, _video, header.IsKeyFrame);
                var decodeTime = ToTicks(timestamp);
                _muxer.WriteVideo(
                    output,
                    decodeTime + PresentationDelay,
                    decodeTime + PresentationDelay + (header.CompositionTimeOffset * TicksPerMillisecond),
                    decodeTime,
                    header.IsKeyFrame,
                    _scratch.WrittenSpan);
                return TsRemuxOutcome.Written;
            default:
                return TsRemuxOutcome.Skipped;
        }
    }

    /// <exception cref="MediaFormatException">A malformed AudioSpecificConfig, or one ADTS cannot express.</exception>
    public TsRemuxOutcome WriteAudioTag(IBufferWriter<byte> output, uint timestamp, ReadOnlySpan<byte> tagData)
    {
        if (!FlvAudioTagHeader.TryParse(tagData, out var header) || header.FourCc != FourCc.Aac || header.IsMultitrack)
        {
            return TsRemuxOutcome.Unsupported;
        }

        var body = tagData[header.DataOffset..];
        switch (header.PacketType)
        {
            case FlvAudioPacketType.SequenceStart:
                _audio = AudioSpecificConfig.Parse(body);
                return TsRemuxOutcome.ConfigurationUpdated;
            case FlvAudioPacketType.CodedFrames when _audio is { } config && !body.IsEmpty:
                _scratch.ResetWrittenCount();
                var frame = _scratch.GetSpan(AudioSpecificConfig.AdtsHeaderLength + body.Length);
                config.WriteAdtsHeader(frame, body.Length);
                body.CopyTo(frame[AudioSpecificConfig.AdtsHeaderLength..]);
                _scratch.Advance(AudioSpecificConfig.AdtsHeaderLength + body.Length);
                var presentationTime = ToTicks(timestamp);
                _muxer.WriteAudio(output, presentationTime + PresentationDelay, presentationTime, _scratch.WrittenSpan);
                return TsRemuxOutcome.Written;
            default:
                return TsRemuxOutcome.Skipped;
        }
    }

    private static long ToTicks(uint milliseconds) => milliseconds * (long)TicksPerMillisecond;
}
