namespace LiveMicro.Media.Tests.Support;

/// <summary>Byte vectors: small files captured from real ffmpeg runs (see Vectors/README.md) and hex literals.</summary>
internal static class Vectors
{
    public static byte[] Load(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Vectors", name));

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Vectors", name);

    public static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    /// <summary>
    /// The AMF0 body of the connect command ffmpeg 5.1 sends when publishing to rtmp://127.0.0.1:19351/live/test,
    /// cut out of <c>ffmpeg-publish-chunks.bin</c> (the 0xC3 continuation byte at payload offset 128 removed).
    /// </summary>
    public static readonly byte[] FfmpegConnectCommand = Hex(
        "020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479706502000a6e6f6e707269766174650008666c61736856657202" +
        "0024464d4c452f332e302028636f6d70617469626c653b204c61766635392e32372e313030290005746355726c02001b72746d703a2f2f3132372e302e30" +
        "2e313a31393335312f6c697665000009");

    /// <summary>The AMF0 body of ffmpeg's publish command (transaction 5, name "test", type "live").</summary>
    public static readonly byte[] FfmpegPublishCommand = Hex("0200077075626c69736800401400000000000005020004746573740200046c697665");
}
