namespace LiveMicro.Media.Mpeg2Ts;

/// <summary>
/// CRC-32/MPEG-2 as PSI sections use it (ISO/IEC 13818-1 annex A): polynomial 0x04C11DB7, initial value
/// 0xFFFFFFFF, no reflection, no final XOR. A section including its CRC therefore checks to 0. Ogg pages use the
/// same polynomial starting at 0 (<paramref name="initial"/>).
/// </summary>
public static class Crc32Mpeg2
{
    private const uint Polynomial = 0x04C11DB7;

    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data, uint initial = 0xFFFFFFFF)
    {
        var crc = initial;
        foreach (var value in data)
        {
            crc = (crc << 8) ^ Table[(crc >> 24) ^ value];
        }

        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < table.Length; i++)
        {
            var crc = i << 24;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x80000000) != 0 ? (crc << 1) ^ Polynomial : crc << 1;
            }

            table[i] = crc;
        }

        return table;
    }
}
