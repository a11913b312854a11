using System.Globalization;
using CamService.Problems;

namespace CamService.Cam.Reading;

/// <summary>
/// A field's text as sent (trimmed; null when absent or blank) and the ways a rule reads it: each either gives the
/// value (or the field's default when it is absent) or throws the 400 that names the field with the rule's message.
/// </summary>
readonly record struct FieldText(string Name, string? Text)
{
    /// <summary>The 400 for this field.</summary>
    public RequestException Bad(string message) => RequestException.BadField(Name, message);

    /// <summary>The comma-separated items, blanks dropped; null when the field is absent.</summary>
    public string[]? Items() => Text?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A whole number (digits only) from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public int WholeNumber(int min, int max, int absent, string message) => Text is null
        ? absent
        : int.TryParse(Text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value : throw Bad(message);

    /// <summary>A number (invariant culture) from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public float Fraction(float min, float max, float absent, string message) => Text is null
        ? absent
        : float.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value : throw Bad(message);

    /// <inheritdoc cref="Fraction"/>
    public double Number(double min, double max, double absent, string message) => Text is null
        ? absent
        : double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value : throw Bad(message);

    /// <summary>
    /// The value of the choice the text names, lower-cased (<paramref name="absent"/> names it when the field is absent).
    /// </summary>
    public T Choice<T>(string absent, string message, params ReadOnlySpan<(string Name, T Value)> choices) =>
        OneOf((Text ?? absent).ToLowerInvariant(), message, choices);

    /// <summary>The value of the choice <paramref name="text"/> names exactly, else the 400.</summary>
    public T OneOf<T>(string text, string message, params ReadOnlySpan<(string Name, T Value)> choices)
    {
        foreach (var (name, value) in choices)
        {
            if (name == text)
            {
                return value;
            }
        }
        throw Bad(message);
    }

    /// <summary><paramref name="items"/> when no two are equal, else the 400.</summary>
    public IReadOnlyList<T> Distinct<T>(IReadOnlyList<T> items, string message) =>
        items.Distinct().Count() == items.Count ? items : throw Bad(message);
}
