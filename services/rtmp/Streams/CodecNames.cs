using LiveMicro.Media.Flv;

namespace LiveMicro.Rtmp.Streams;

/// <summary>The codec names stats and events use (ffprobe's spelling).</summary>
public static class CodecNames
{
    public static string? OfVideo(uint fourCc) => fourCc switch
    {
        0 => null,
        FourCc.Avc => "h264",
        FourCc.Hevc => "hevc",
        FourCc.Av1 => "av1",
        FourCc.Vp9 => "vp9",
        FourCc.Vp8 => "vp8",
        _ => FourCc.ToString(fourCc),
    };

    /// <summary>Enhanced and AAC headers name a FourCC; other legacy formats only their SoundFormat number.</summary>
    public static string? OfAudio(uint fourCcOrSoundFormat) => fourCcOrSoundFormat switch
    {
        FourCc.Aac => "aac",
        FourCc.Opus => "opus",
        FourCc.Mp3 or (uint)FlvSoundFormat.Mp3 => "mp3",
        FourCc.Flac => "flac",
        FourCc.Ac3 => "ac3",
        FourCc.Eac3 => "eac3",
        < 16 => $"flv-sound-format-{fourCcOrSoundFormat}",
        _ => FourCc.ToString(fourCcOrSoundFormat),
    };
}
