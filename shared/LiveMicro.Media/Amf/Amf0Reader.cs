using System.Buffers.Binary;
using System.Text;

namespace LiveMicro.Media.Amf;

/// <summary>
/// Reads AMF0 values from a complete payload (an RTMP command or data message, an FLV script tag).
/// Every length is checked against the bytes that remain before anything is read or allocated, so a
/// hostile length can never make the reader over-read or allocate beyond a small multiple of the input.
/// </summary>
public ref struct Amf0Reader
{
    /// <summary>
    /// Deepest object/array nesting accepted. Commands and metadata nest two or three levels; the bound
    /// keeps a crafted payload of nested markers from exhausting the stack through recursion.
    /// </summary>
    public const int DefaultMaxDepth = 32;

    /// <summary>
    /// Most values (including nested ones) accepted from one payload. Each value costs more memory than its
    /// smallest encoding (one byte), so this bounds what a single message can make us allocate; recorded
    /// files' onMetaData keyframe indexes hold a few thousand values.
    /// </summary>
    public const int DefaultMaxValues = 1 << 16;

    private readonly ReadOnlySpan<byte> _data;
    private readonly int _maxDepth;
    private int _valuesLeft;

    public Amf0Reader(ReadOnlySpan<byte> data, int maxDepth = DefaultMaxDepth, int maxValues = DefaultMaxValues)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDepth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxValues);
        _data = data;
        _maxDepth = maxDepth;
        _valuesLeft = maxValues;
        Consumed = 0;
    }

    /// <summary>Bytes read so far.</summary>
    public int Consumed { readonly get; private set; }

    public readonly int Remaining => _data.Length - Consumed;

    public readonly bool IsAtEnd => Consumed == _data.Length;

    /// <summary>The marker of the next value, without consuming it.</summary>
    public readonly Amf0Type PeekType()
    {
        if (IsAtEnd)
        {
            throw Truncated("a type marker");
        }

        return (Amf0Type)_data[Consumed];
    }

    public Amf0Value ReadValue() => ReadValue(depth: 0);

    /// <summary>Reads a number; any other type is <see cref="Amf0Error.UnexpectedType"/>.</summary>
    public double ReadNumber()
    {
        ExpectMarker(Amf0Type.Number);
        return ReadDouble();
    }

    public bool ReadBoolean()
    {
        ExpectMarker(Amf0Type.Boolean);
        return ReadBytes(1)[0] != 0;
    }

    /// <summary>Reads a string or long string.</summary>
    public string ReadString()
    {
        var type = PeekType();
        if (type is not (Amf0Type.String or Amf0Type.LongString))
        {
            throw Unexpected(Amf0Type.String, type);
        }

        CountValue();
        Consumed++;
        return type == Amf0Type.String ? ReadUtf8(ReadUInt16()) : ReadUtf8(ReadLongLength());
    }

    /// <summary>Consumes a null or undefined if one is next.</summary>
    public bool TryReadNullOrUndefined()
    {
        if (!IsAtEnd && (Amf0Type)_data[Consumed] is Amf0Type.Null or Amf0Type.Undefined)
        {
            CountValue();
            Consumed++;
            return true;
        }

        return false;
    }

    private Amf0Value ReadValue(int depth)
    {
        var type = PeekType();
        CountValue();
        Consumed++;
        switch (type)
        {
            case Amf0Type.Number:
                return Amf0Value.Number(ReadDouble());
            case Amf0Type.Boolean:
                return Amf0Value.Boolean(ReadBytes(1)[0] != 0);
            case Amf0Type.String:
                return Amf0Value.String(ReadUtf8(ReadUInt16()));
            case Amf0Type.LongString:
                return Amf0Value.LongString(ReadUtf8(ReadLongLength()));
            case Amf0Type.Null:
                return Amf0Value.Null;
            case Amf0Type.Undefined:
                return Amf0Value.Undefined;
            case Amf0Type.Object:
                return Amf0Value.Object(ReadProperties(depth + 1));
            case Amf0Type.EcmaArray:
                // AMF0 section 2.10: associative-count (U32) then object properties and an object end.
                // The count is only a hint (encoders are known to get it wrong), so the end marker decides.
                ReadBytes(4);
                return Amf0Value.EcmaArray(ReadProperties(depth + 1));
            case Amf0Type.StrictArray:
                return Amf0Value.StrictArray(ReadStrictArrayItems(depth + 1));
            case Amf0Type.Date:
                // AMF0 section 2.13: DOUBLE milliseconds since the epoch, then a reserved S16 time zone.
                var milliseconds = ReadDouble();
                ReadBytes(2);
                return Amf0Value.Date(milliseconds);
            case Amf0Type.MovieClip:
            case Amf0Type.Reference:
            case Amf0Type.Unsupported:
            case Amf0Type.RecordSet:
            case Amf0Type.XmlDocument:
            case Amf0Type.TypedObject:
            case Amf0Type.AvmPlusObject:
                throw new Amf0FormatException(Amf0Error.UnsupportedType, $"AMF0 {type} values are not accepted.");
            default:
                throw new Amf0FormatException(Amf0Error.UnknownMarker, $"Unexpected AMF0 marker 0x{(byte)type:X2} at offset {Consumed - 1}.");
        }
    }

    // AMF0 section 2.5: object-property = (UTF-8 value-type) | (UTF-8-empty object-end-marker)
    private Amf0Object ReadProperties(int depth)
    {
        CheckDepth(depth);
        var properties = new Amf0Object();
        while (true)
        {
            var nameLength = ReadUInt16();
            if (nameLength == 0 && PeekType() == Amf0Type.ObjectEnd)
            {
                Consumed++;
                return properties;
            }

            var name = ReadUtf8(nameLength);
            properties.Add(name, ReadValue(depth));
        }
    }

    // AMF0 section 2.12: array-count (U32) then that many values.
    private Amf0Value[] ReadStrictArrayItems(int depth)
    {
        CheckDepth(depth);
        var count = BinaryPrimitives.ReadUInt32BigEndian(ReadBytes(4));

        // Every value takes at least one byte, so a count beyond the remaining bytes is a lie; refusing it
        // here keeps the allocation below proportional to the input.
        if (count > (uint)Remaining || count > (uint)_valuesLeft)
        {
            throw new Amf0FormatException(Amf0Error.LengthOutOfRange, $"AMF0 strict array claims {count} items but only {Remaining} bytes remain.");
        }

        var items = new Amf0Value[count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = ReadValue(depth);
        }

        return items;
    }

    private void ExpectMarker(Amf0Type expected)
    {
        var type = PeekType();
        if (type != expected)
        {
            throw Unexpected(expected, type);
        }

        CountValue();
        Consumed++;
    }

    private void CountValue()
    {
        if (--_valuesLeft < 0)
        {
            throw new Amf0FormatException(Amf0Error.LengthOutOfRange, "AMF0 payload holds more values than allowed.");
        }
    }

    private readonly void CheckDepth(int depth)
    {
        if (depth > _maxDepth)
        {
            throw new Amf0FormatException(Amf0Error.NestingTooDeep, $"AMF0 values nest deeper than {_maxDepth} levels.");
        }
    }

    private double ReadDouble() => BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8));

    private ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(ReadBytes(2));

    private int ReadLongLength()
    {
        var length = BinaryPrimitives.ReadUInt32BigEndian(ReadBytes(4));
        if (length > (uint)Remaining)
        {
            throw Truncated($"a long string of {length} bytes");
        }

        return (int)length;
    }

    private string ReadUtf8(int length) => length == 0 ? string.Empty : Encoding.UTF8.GetString(ReadBytes(length));

    private ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count > Remaining)
        {
            throw Truncated($"{count} bytes");
        }

        var bytes = _data.Slice(Consumed, count);
        Consumed += count;
        return bytes;
    }

    private readonly Amf0FormatException Truncated(string what) =>
        new(Amf0Error.Truncated, $"AMF0 payload ends at offset {Consumed} where {what} was expected.");

    private static Amf0FormatException Unexpected(Amf0Type expected, Amf0Type actual) =>
        new(Amf0Error.UnexpectedType, $"Expected an AMF0 {expected} but found {actual}.");
}
