using System.Globalization;

namespace LiveMicro.Media.Amf;

/// <summary>
/// One AMF0 value. Scalars (number, boolean, date, null, undefined) live inside the struct; strings,
/// objects and arrays hold a single reference, so copying a value never copies its contents.
/// </summary>
public readonly struct Amf0Value : IEquatable<Amf0Value>
{
    private readonly double _scalar;
    private readonly object? _reference;

    private Amf0Value(Amf0Type type, double scalar, object? reference)
    {
        Type = type;
        _scalar = scalar;
        _reference = reference;
    }

    public Amf0Type Type { get; }

    public static Amf0Value Null => new(Amf0Type.Null, 0, null);

    public static Amf0Value Undefined => new(Amf0Type.Undefined, 0, null);

    public bool IsNullOrUndefined => Type is Amf0Type.Null or Amf0Type.Undefined;

    public static Amf0Value Number(double value) => new(Amf0Type.Number, value, null);

    public static Amf0Value Boolean(bool value) => new(Amf0Type.Boolean, value ? 1 : 0, null);

    /// <summary>A string; it is written as a long string when its UTF-8 form exceeds 65535 bytes.</summary>
    public static Amf0Value String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(Amf0Type.String, 0, value);
    }

    /// <summary>A string that is always written with the long-string marker.</summary>
    public static Amf0Value LongString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(Amf0Type.LongString, 0, value);
    }

    public static Amf0Value Object(Amf0Object properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return new(Amf0Type.Object, 0, properties);
    }

    public static Amf0Value EcmaArray(Amf0Object properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return new(Amf0Type.EcmaArray, 0, properties);
    }

    public static Amf0Value StrictArray(IReadOnlyList<Amf0Value> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new(Amf0Type.StrictArray, 0, items);
    }

    /// <summary>A date as milliseconds since the Unix epoch, UTC (AMF0 section 2.13; the time zone field is reserved).</summary>
    public static Amf0Value Date(double unixMilliseconds) => new(Amf0Type.Date, unixMilliseconds, null);

    public bool TryGetNumber(out double value)
    {
        value = _scalar;
        return Type == Amf0Type.Number;
    }

    public bool TryGetBoolean(out bool value)
    {
        value = _scalar != 0;
        return Type == Amf0Type.Boolean;
    }

    public bool TryGetString(out string value)
    {
        if (_reference is string text)
        {
            value = text;
            return true;
        }

        value = string.Empty;
        return false;
    }

    /// <summary>The properties of an object or ECMA array.</summary>
    public bool TryGetObject(out Amf0Object value)
    {
        if (_reference is Amf0Object properties)
        {
            value = properties;
            return true;
        }

        value = null!;
        return false;
    }

    public bool TryGetStrictArray(out IReadOnlyList<Amf0Value> value)
    {
        if (Type == Amf0Type.StrictArray)
        {
            value = (IReadOnlyList<Amf0Value>)_reference!;
            return true;
        }

        value = [];
        return false;
    }

    public bool TryGetDate(out double unixMilliseconds)
    {
        unixMilliseconds = _scalar;
        return Type == Amf0Type.Date;
    }

    public double AsNumber() => TryGetNumber(out var value) ? value : throw WrongType(Amf0Type.Number);

    public bool AsBoolean() => TryGetBoolean(out var value) ? value : throw WrongType(Amf0Type.Boolean);

    public string AsString() => TryGetString(out var value) ? value : throw WrongType(Amf0Type.String);

    public Amf0Object AsObject() => TryGetObject(out var value) ? value : throw WrongType(Amf0Type.Object);

    public IReadOnlyList<Amf0Value> AsStrictArray() => TryGetStrictArray(out var value) ? value : throw WrongType(Amf0Type.StrictArray);

    /// <summary>Structural equality for scalars and strings; objects and arrays compare by reference.</summary>
    public bool Equals(Amf0Value other) =>
        Type == other.Type && _scalar.Equals(other._scalar) && Equals(_reference, other._reference);

    public override bool Equals(object? obj) => obj is Amf0Value other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Type, _scalar, _reference);

    public static bool operator ==(Amf0Value left, Amf0Value right) => left.Equals(right);

    public static bool operator !=(Amf0Value left, Amf0Value right) => !left.Equals(right);

    public override string ToString() => Type switch
    {
        Amf0Type.Number => _scalar.ToString(CultureInfo.InvariantCulture),
        Amf0Type.Boolean => _scalar != 0 ? "true" : "false",
        Amf0Type.String or Amf0Type.LongString => (string)_reference!,
        Amf0Type.Null => "null",
        Amf0Type.Undefined => "undefined",
        Amf0Type.Date => "Date(" + _scalar.ToString(CultureInfo.InvariantCulture) + ")",
        Amf0Type.StrictArray => "Array[" + AsStrictArray().Count.ToString(CultureInfo.InvariantCulture) + "]",
        _ => Type + "{" + AsObject().Count.ToString(CultureInfo.InvariantCulture) + "}",
    };

    private InvalidOperationException WrongType(Amf0Type expected) =>
        new($"AMF0 value is {Type}, not {expected}.");
}
