using System.Buffers;
using System.Text;
using LiveMicro.Gateway.Upstream;
using Microsoft.Extensions.Primitives;

namespace LiveMicro.Gateway.Tests.Upstream;

public sealed class RequestHeadWriterTests
{
    private static string Written(Action<IBufferWriter<byte>> write)
    {
        var writer = new ArrayBufferWriter<byte>(1);
        write(writer);
        return Encoding.Latin1.GetString(writer.WrittenSpan);
    }

    [Fact]
    public void A_request_head_is_written_byte_for_byte()
    {
        var head = Written(w =>
        {
            RequestHeadWriter.WriteRequestLine(w, "GET", "", "/api/users/42", "?limit=2");
            RequestHeadWriter.WriteField(w, "Host", "127.0.0.1:5002");
            RequestHeadWriter.WriteField(w, "Accept", new StringValues(["text/html", "application/json"]), ", ");
            RequestHeadWriter.WriteField(w, "Content-Length"u8, 1234567890123);
            RequestHeadWriter.WriteEnd(w);
        });

        Assert.Equal("GET /api/users/42?limit=2 HTTP/1.1\r\nHost: 127.0.0.1:5002\r\nAccept: text/html, application/json\r\n" +
                     "Content-Length: 1234567890123\r\n\r\n", head);
    }

    [Theory]
    [InlineData("", "", "/")]
    [InlineData("/base", "", "/base")]
    [InlineData("/base", "/x", "/base/x")]
    public void The_base_path_prefixes_the_path_and_an_empty_target_becomes_a_slash(string basePath, string path, string target)
    {
        Assert.Equal($"GET {target} HTTP/1.1\r\n", Written(w => RequestHeadWriter.WriteRequestLine(w, "GET", basePath, path, "")));
    }

    [Fact]
    public void Latin1_text_is_written_as_Latin1()
    {
        Assert.Equal([.. "X: caf"u8, 0xE9, .. "\r\n"u8], Encoding.Latin1.GetBytes(Written(w => RequestHeadWriter.WriteField(w, "X", "café"))));
    }

    [Fact]
    public void Chunk_framing_round_trips_through_the_decoder()
    {
        var encoded = Written(w =>
        {
            RequestHeadWriter.WriteChunkHeader(w, 300);
            w.Write(new byte[300].AsSpan());
            RequestHeadWriter.WriteChunkEnd(w);
            RequestHeadWriter.WriteLastChunk(w);
        });
        var input = Encoding.Latin1.GetBytes(encoded);

        Assert.StartsWith("12C\r\n", encoded);
        var decoder = new ChunkedBodyDecoder();
        var position = 0;
        var body = 0;
        while (!decoder.IsComplete)
        {
            position += decoder.Decode(input.AsSpan(position), out _, out var length);
            body += length;
        }

        Assert.Equal((300, input.Length), (body, position));
    }
}
