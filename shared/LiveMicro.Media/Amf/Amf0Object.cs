using System.Collections;

namespace LiveMicro.Media.Amf;

/// <summary>
/// The properties of an AMF0 anonymous object or ECMA array, in wire order.
/// Lookups are linear: RTMP command objects have a handful of properties, where a list beats a hash table.
/// </summary>
public sealed class Amf0Object : IReadOnlyList<KeyValuePair<string, Amf0Value>>
{
    private readonly List<KeyValuePair<string, Amf0Value>> _properties;

    public Amf0Object()
    {
        _properties = [];
    }

    public Amf0Object(int capacity)
    {
        _properties = new List<KeyValuePair<string, Amf0Value>>(capacity);
    }

    public int Count => _properties.Count;

    public KeyValuePair<string, Amf0Value> this[int index] => _properties[index];

    /// <summary>The value of the first property named <paramref name="name"/>, or <see cref="Amf0Value.Undefined"/>.</summary>
    public Amf0Value this[string name] => TryGetValue(name, out var value) ? value : Amf0Value.Undefined;

    public Amf0Object Add(string name, Amf0Value value)
    {
        ArgumentNullException.ThrowIfNull(name);
        _properties.Add(new KeyValuePair<string, Amf0Value>(name, value));
        return this;
    }

    public bool TryGetValue(string name, out Amf0Value value)
    {
        foreach (var property in _properties)
        {
            if (string.Equals(property.Key, name, StringComparison.Ordinal))
            {
                value = property.Value;
                return true;
            }
        }

        value = Amf0Value.Undefined;
        return false;
    }

    /// <summary>The property as a string, or null when it is absent or not a string.</summary>
    public string? GetString(string name) => this[name].TryGetString(out var text) ? text : null;

    /// <summary>The property as a number, or null when it is absent or not a number.</summary>
    public double? GetNumber(string name) => this[name].TryGetNumber(out var number) ? number : null;

    /// <summary>The property as a boolean, or null when it is absent or not a boolean.</summary>
    public bool? GetBoolean(string name) => this[name].TryGetBoolean(out var flag) ? flag : null;

    public List<KeyValuePair<string, Amf0Value>>.Enumerator GetEnumerator() => _properties.GetEnumerator();

    IEnumerator<KeyValuePair<string, Amf0Value>> IEnumerable<KeyValuePair<string, Amf0Value>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
