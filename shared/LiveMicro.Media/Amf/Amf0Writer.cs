using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace LiveMicro.Media.Amf;

/// <summary>
/// Writes AMF0 values (AMF0 spec section 2) into an <see cref="IBufferWriter{T}"/>. The start/property/end
/// methods let callers stream objects without building an <see cref="Amf0Object"/> first.
/// </summary>
public static class Amf0Writer
{
    /// <summary>The largest UTF-8 length a short string or property name can carry (its length is a U16).</summary>
    public const int MaxShortStringLength = ushort.MaxValue;

    public static void WriteNumber(IBufferWriter<byte> output, double value)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(9);
        span[0] = (byte)Amf0Type.Number;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        output.Advance(9);
    }

    public static void WriteBoolean(IBufferWriter<byte> output, bool value)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(2);
        span[0] = (byte)Amf0Type.Boolean;
        span[1] = value ? (byte)1 : (byte)0;
        output.Advance(2);
    }

    /// <summary>Writes a string, switching to the long-string marker when the UTF-8 form exceeds 65535 bytes.</summary>
    public static void WriteString(IBufferWriter<byte> output, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetByteCount(value);
        WriteString(output, value, length, longForm: length > MaxShortStringLength);
    }

    public static void WriteLongString(IBufferWriter<byte> output, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        WriteString(output, value, Encoding.UTF8.GetByteCount(value), longForm: true);
    }

    public static void WriteNull(IBufferWriter<byte> output) => WriteMarker(output, Amf0Type.Null);

    public static void WriteUndefined(IBufferWriter<byte> output) => WriteMarker(output, Amf0Type.Undefined);

    public static void WriteObjectStart(IBufferWriter<byte> output) => WriteMarker(output, Amf0Type.Object);

    /// <summary>Starts an ECMA array; <paramref name="count"/> is the associative-count hint readers see.</summary>
    public static void WriteEcmaArrayStart(IBufferWriter<byte> output, uint count)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(5);
        span[0] = (byte)Amf0Type.EcmaArray;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], count);
        output.Advance(5);
    }

    /// <summary>Starts a strict array; exactly <paramref name="count"/> values must follow.</summary>
    public static void WriteStrictArrayStart(IBufferWriter<byte> output, uint count)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(5);
        span[0] = (byte)Amf0Type.StrictArray;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], count);
        output.Advance(5);
    }

    /// <summary>Writes a property name inside an object or ECMA array; the value follows.</summary>
    public static void WritePropertyName(IBufferWriter<byte> output, string name)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(name);
        var length = Encoding.UTF8.GetByteCount(name);
        if (length > MaxShortStringLength)
        {
            throw new ArgumentException("AMF0 property names are limited to 65535 UTF-8 bytes.", nameof(name));
        }

        var span = output.GetSpan(2 + length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)length);
        Encoding.UTF8.GetBytes(name, span[2..]);
        output.Advance(2 + length);
    }

    /// <summary>Ends an object or ECMA array: an empty name followed by the object-end marker.</summary>
    public static void WriteObjectEnd(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(3);
        span[0] = 0;
        span[1] = 0;
        span[2] = (byte)Amf0Type.ObjectEnd;
        output.Advance(3);
    }

    public static void WriteDate(IBufferWriter<byte> output, double unixMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(11);
        span[0] = (byte)Amf0Type.Date;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], unixMilliseconds);
        span[9] = 0;
        span[10] = 0;
        output.Advance(11);
    }

    public static void WriteProperty(IBufferWriter<byte> output, string name, string value)
    {
        WritePropertyName(output, name);
        WriteString(output, value);
    }

    public static void WriteProperty(IBufferWriter<byte> output, string name, double value)
    {
        WritePropertyName(output, name);
        WriteNumber(output, value);
    }

    public static void WriteProperty(IBufferWriter<byte> output, string name, bool value)
    {
        WritePropertyName(output, name);
        WriteBoolean(output, value);
    }

    /// <summary>
    /// Writes any value. Objects built in code can contain themselves, so nesting is bounded exactly as
    /// the reader bounds it; a deeper value is refused instead of overflowing the stack.
    /// </summary>
    public static void WriteValue(IBufferWriter<byte> output, Amf0Value value) => WriteValue(output, value, depth: 0);

    private static void WriteValue(IBufferWriter<byte> output, Amf0Value value, int depth)
    {
        switch (value.Type)
        {
            case Amf0Type.Number:
                WriteNumber(output, value.AsNumber());
                break;
            case Amf0Type.Boolean:
                WriteBoolean(output, value.AsBoolean());
                break;
            case Amf0Type.String:
                WriteString(output, value.AsString());
                break;
            case Amf0Type.LongString:
                WriteLongString(output, value.AsString());
                break;
            case Amf0Type.Null:
                WriteNull(output);
                break;
            case Amf0Type.Undefined:
                WriteUndefined(output);
                break;
            case Amf0Type.Date:
                value.TryGetDate(out var milliseconds);
                WriteDate(output, milliseconds);
                break;
            case Amf0Type.Object:
                CheckDepth(depth + 1);
                WriteObjectStart(output);
                WriteProperties(output, value.AsObject(), depth + 1);
                break;
            case Amf0Type.EcmaArray:
                CheckDepth(depth + 1);
                var properties = value.AsObject();
                WriteEcmaArrayStart(output, (uint)properties.Count);
                WriteProperties(output, properties, depth + 1);
                break;
            case Amf0Type.StrictArray:
                CheckDepth(depth + 1);
                var items = value.AsStrictArray();
                WriteStrictArrayStart(output, (uint)items.Count);
                foreach (var item in items)
                {
                    WriteValue(output, item, depth + 1);
                }

                break;
            default:
                throw new ArgumentException($"AMF0 {value.Type} values cannot be written.", nameof(value));
        }
    }

    private static void WriteProperties(IBufferWriter<byte> output, Amf0Object properties, int depth)
    {
        foreach (var property in properties)
        {
            WritePropertyName(output, property.Key);
            WriteValue(output, property.Value, depth);
        }

        WriteObjectEnd(output);
    }

    private static void CheckDepth(int depth)
    {
        if (depth > Amf0Reader.DefaultMaxDepth)
        {
            throw new Amf0FormatException(Amf0Error.NestingTooDeep, $"AMF0 values nest deeper than {Amf0Reader.DefaultMaxDepth} levels.");
        }
    }

    private static void WriteMarker(IBufferWriter<byte> output, Amf0Type type)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.GetSpan(1)[0] = (byte)type;
        output.Advance(1);
    }

    private static void WriteString(IBufferWriter<byte> output, string value, int length, bool longForm)
    {
        ArgumentNullException.ThrowIfNull(output);
        var headerLength = longForm ? 5 : 3;
        var span = output.GetSpan(headerLength + length);
        if (longForm)
        {
            span[0] = (byte)Amf0Type.LongString;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
        }
        else
        {
            span[0] = (byte)Amf0Type.String;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
        }

        Encoding.UTF8.GetBytes(value, span[headerLength..]);
        output.Advance(headerLength + length);
    }
}
