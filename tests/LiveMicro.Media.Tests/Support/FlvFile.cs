using System.Buffers;
using LiveMicro.Media.Flv;

namespace LiveMicro.Media.Tests.Support;

internal sealed record ReadTag(FlvTagHeader Header, byte[] Data);

internal static class FlvFile
{
    public static List<ReadTag> ReadTags(byte[] file)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(file));
        Assert.True(FlvReader.TryReadFileHeader(ref reader, out _, out _));
        var tags = new List<ReadTag>();
        while (FlvReader.TryReadTag(ref reader, out var tag))
        {
            tags.Add(new ReadTag(tag.Header, tag.Data.ToArray()));
        }

        Assert.Equal(0, reader.Remaining);
        return tags;
    }
}
