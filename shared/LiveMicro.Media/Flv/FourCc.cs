using System.Buffers.Binary;
using System.Text;

namespace LiveMicro.Media.Flv;

/// <summary>Codec FourCCs of Enhanced RTMP (veovera E-RTMP v1/v2), as big-endian 32-bit values.</summary>
public static class FourCc
{
    public const uint Avc = ('a' << 24) | ('v' << 16) | ('c' << 8) | '1';
    public const uint Hevc = ('h' << 24) | ('v' << 16) | ('c' << 8) | '1';
    public const uint Av1 = ('a' << 24) | ('v' << 16) | ('0' << 8) | '1';
    public const uint Vp9 = ('v' << 24) | ('p' << 16) | ('0' << 8) | '9';
    public const uint Vp8 = ('v' << 24) | ('p' << 16) | ('0' << 8) | '8';
    public const uint Opus = ('O' << 24) | ('p' << 16) | ('u' << 8) | 's';
    public const uint Flac = ('f' << 24) | ('L' << 16) | ('a' << 8) | 'C';
    public const uint Ac3 = ('a' << 24) | ('c' << 16) | ('-' << 8) | '3';
    public const uint Eac3 = ('e' << 24) | ('c' << 16) | ('-' << 8) | '3';
    public const uint Mp3 = ('.' << 24) | ('m' << 16) | ('p' << 8) | '3';
    public const uint Aac = ('m' << 24) | ('p' << 16) | ('4' << 8) | 'a';

    public static string ToString(uint fourCc)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, fourCc);
        return Encoding.ASCII.GetString(bytes);
    }
}
