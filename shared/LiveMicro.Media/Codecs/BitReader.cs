namespace LiveMicro.Media.Codecs;

/// <summary>Reads MSB-first bit fields, as ISO/IEC 14496 syntax tables define them.</summary>
internal ref struct BitReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _bitPosition;

    public int ReadBits(int count)
    {
        if (_bitPosition + count > _data.Length * 8)
        {
            throw new MediaFormatException(MediaFormatError.Truncated, $"Needed {count} more bits at bit {_bitPosition} of {_data.Length * 8}.");
        }

        var value = 0;
        for (var i = 0; i < count; i++)
        {
            var bit = (_data[_bitPosition >> 3] >> (7 - (_bitPosition & 7))) & 1;
            value = (value << 1) | bit;
            _bitPosition++;
        }

        return value;
    }
}
