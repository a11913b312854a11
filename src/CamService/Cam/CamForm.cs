namespace CamService.Cam;

/// <summary>A request's image and its other fields (by name, case-insensitive) as sent, before validation.</summary>
public sealed record CamForm(ReadOnlyMemory<byte> Image, IReadOnlyDictionary<string, string?> Fields)
{
    /// <summary>A field's value, trimmed; null when it is absent or blank.</summary>
    public string? Field(string name) => Fields.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
