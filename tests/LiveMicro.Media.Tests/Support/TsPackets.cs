namespace LiveMicro.Media.Tests.Support;

/// <summary>A minimal, independent TS demuxer for checking muxer output.</summary>
internal static class TsPackets
{
    public static List<byte[]> Split(byte[] ts) => ts.Chunk(188).ToList();

    public static int Pid(byte[] packet) => ((packet[1] & 0x1F) << 8) | packet[2];

    /// <summary>PES packets on <paramref name="pid"/>, reassembled from packet payloads (adaptation fields skipped).</summary>
    public static List<byte[]> Payloads(List<byte[]> packets, int pid)
    {
        var result = new List<byte[]>();
        List<byte>? current = null;
        foreach (var packet in packets.Where(p => Pid(p) == pid))
        {
            var start = 4;
            if ((packet[3] & 0x20) != 0)
            {
                start += 1 + packet[4];
            }

            if ((packet[1] & 0x40) != 0)
            {
                if (current is not null)
                {
                    result.Add([.. current]);
                }

                current = [];
            }

            current?.AddRange(packet[start..]);
        }

        if (current is not null)
        {
            result.Add([.. current]);
        }

        return result;
    }

    public static long ReadTimestamp(ReadOnlySpan<byte> field) =>
        ((long)((field[0] >> 1) & 0x07) << 30) | ((long)field[1] << 22) | ((long)(field[2] >> 1) << 15) | ((long)field[3] << 7) | (long)(field[4] >> 1);
}
