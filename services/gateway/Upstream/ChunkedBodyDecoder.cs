namespace LiveMicro.Gateway.Upstream;

/// <summary>Takes the chunk framing off a response body as its bytes arrive, in pieces of any size (RFC 9112
/// section 7.1). The data is handed back where it lies in the input, uncopied; extensions and trailers are read and
/// dropped, each line bounded so that a destination cannot make the gateway hold an endless one.</summary>
/// <remarks>
/// chunked-body = *chunk last-chunk trailer-section CRLF
/// chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// last-chunk   = 1*("0") [ chunk-ext ] CRLF
/// </remarks>
public sealed class ChunkedBodyDecoder
{
    /// <summary>A chunk-size line (extensions included) or one trailer line may be this long.</summary>
    public const int MaxLineLength = 4096;

    /// <summary>The whole trailer section may be this long; it is dropped, so only the bound matters.</summary>
    public const int MaxTrailerLength = 64 * 1024;

    private enum State
    {
        Size,
        Extension,
        SizeLineFeed,
        Data,
        DataCarriageReturn,
        DataLineFeed,
        TrailerLineStart,
        TrailerLine,
        TrailerLineFeed,
        EndLineFeed,
        Done,
    }

    private State _state;
    private long _size;
    private int _sizeDigits;
    private int _lineLength;
    private int _trailerLength;

    /// <summary>The last chunk and the trailer section have been read: the body is whole.</summary>
    public bool IsComplete => _state == State.Done;

    public void Reset()
    {
        _state = State.Size;
        _size = 0;
        _sizeDigits = 0;
        _lineLength = 0;
        _trailerLength = 0;
    }

    /// <summary>Reads framing from <paramref name="input"/> up to and including the next run of body data, or to the
    /// end of the input, or to the end of the body (nothing after it is read: it belongs to the next response).</summary>
    /// <param name="dataOffset">Where the data found lies in <paramref name="input"/>.</param>
    /// <param name="dataLength">How many bytes of data were found; 0 when none.</param>
    /// <returns>How many bytes of <paramref name="input"/> were consumed, the data included.</returns>
    public int Decode(ReadOnlySpan<byte> input, out int dataOffset, out int dataLength)
    {
        dataOffset = 0;
        dataLength = 0;
        var i = 0;
        while (i < input.Length && _state != State.Done)
        {
            var b = input[i];
            switch (_state)
            {
                case State.Size:
                    if (HexValue(b) is var digit and >= 0)
                    {
                        // 15 hex digits stay below long.MaxValue; no body is that large
                        if (++_sizeDigits > 15) throw new UpstreamProtocolException("A chunk size is too large.");
                        _size = _size * 16 + digit;
                    }
                    else if (_sizeDigits == 0)
                    {
                        throw new UpstreamProtocolException("A chunk does not start with its size.");
                    }
                    else if (b == '\r')
                    {
                        _state = State.SizeLineFeed;
                    }
                    else if (b is (byte)';' or (byte)' ' or (byte)'\t')
                    {
                        _state = State.Extension;
                    }
                    else
                    {
                        throw new UpstreamProtocolException("A chunk size is not hexadecimal.");
                    }

                    CountLine();
                    i++;
                    break;
                case State.Extension:
                    if (b == '\r') _state = State.SizeLineFeed;
                    else if (b is (byte)'\n' or 0) throw new UpstreamProtocolException("A chunk extension holds LF or NUL.");
                    CountLine();
                    i++;
                    break;
                case State.SizeLineFeed:
                    Expect(b, (byte)'\n');
                    i++;
                    _lineLength = 0;
                    _state = _size == 0 ? State.TrailerLineStart : State.Data;
                    break;
                case State.Data:
                    var length = (int)Math.Min(_size, input.Length - i);
                    dataOffset = i;
                    dataLength = length;
                    _size -= length;
                    if (_size == 0) _state = State.DataCarriageReturn;
                    return i + length;
                case State.DataCarriageReturn:
                    Expect(b, (byte)'\r');
                    i++;
                    _state = State.DataLineFeed;
                    break;
                case State.DataLineFeed:
                    Expect(b, (byte)'\n');
                    i++;
                    _sizeDigits = 0;
                    _state = State.Size;
                    break;
                case State.TrailerLineStart:
                    if (b == '\r')
                    {
                        _state = State.EndLineFeed;
                    }
                    else
                    {
                        if (b is (byte)'\n' or 0) throw new UpstreamProtocolException("A trailer line holds LF or NUL.");
                        _state = State.TrailerLine;
                        CountTrailer();
                    }

                    i++;
                    break;
                case State.TrailerLine:
                    if (b == '\r') _state = State.TrailerLineFeed;
                    else if (b is (byte)'\n' or 0) throw new UpstreamProtocolException("A trailer line holds LF or NUL.");
                    CountTrailer();
                    i++;
                    break;
                case State.TrailerLineFeed:
                    Expect(b, (byte)'\n');
                    i++;
                    _lineLength = 0;
                    _state = State.TrailerLineStart;
                    break;
                case State.EndLineFeed:
                    Expect(b, (byte)'\n');
                    i++;
                    _state = State.Done;
                    break;
            }
        }

        return i;
    }

    private void CountLine()
    {
        if (++_lineLength > MaxLineLength) throw new UpstreamProtocolException($"A chunk-size line is longer than {MaxLineLength} bytes.");
    }

    private void CountTrailer()
    {
        if (++_lineLength > MaxLineLength || ++_trailerLength > MaxTrailerLength)
            throw new UpstreamProtocolException("The chunked trailer section is over its limit.");
    }

    private static void Expect(byte actual, byte expected)
    {
        if (actual != expected) throw new UpstreamProtocolException("The chunk framing lacks a CRLF where one belongs.");
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
