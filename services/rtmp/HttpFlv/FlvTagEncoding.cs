using LiveMicro.Media.Flv;
using LiveMicro.Rtmp.Streams;

namespace LiveMicro.Rtmp.HttpFlv;

/// <summary>Units as FLV tags: their bytes depend on nothing about the player, so every HTTP-FLV player shares them.</summary>
internal sealed record FlvTagEncoding : WindowEncoding
{
    public static readonly FlvTagEncoding Instance = new();

    private FlvTagEncoding()
    {
    }

    public static FlvTagType TagTypeOf(MediaKind kind) => kind switch
    {
        MediaKind.Audio => FlvTagType.Audio,
        MediaKind.Video => FlvTagType.Video,
        _ => FlvTagType.Script,
    };

    public override int GetEncodedLength(in MediaUnit unit) => unit.Length + FlvWriter.TagOverhead;

    public override int Encode(in MediaUnit unit, Span<byte> destination) => FlvWriter.WriteTag(destination, TagTypeOf(unit.Kind), unit.Timestamp, unit.Payload);
}
