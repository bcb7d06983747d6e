namespace LiveMicro.Media.Stun;

/// <summary>CRC-32 as ISO 3309 and ITU-T V.42 define it (the reflected polynomial 0xEDB88320), the one STUN's
/// FINGERPRINT uses. System.IO.Hashing has it but is not in our package registry.</summary>
internal static class Crc32
{
    public const uint Initial = 0xFFFFFFFF;

    private static readonly uint[] Table = MakeTable();

    public static uint Append(uint crc, ReadOnlySpan<byte> bytes)
    {
        var table = Table;
        foreach (var b in bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    public static uint Finish(uint crc) => ~crc;

    private static uint[] MakeTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var value = i;
            for (var bit = 0; bit < 8; bit++) value = (value & 1) != 0 ? 0xEDB88320 ^ (value >> 1) : value >> 1;
            table[i] = value;
        }

        return table;
    }
}
