using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using CamService.Problems;

namespace CamService.Cam.Reading;

/// <summary>
/// The image and fields of a JSON body (the image as base64), read token by token: each value's length (and a list's
/// item count) is checked as sent, before it becomes a string, so an oversized field costs no more than the body already read.
/// </summary>
static class JsonFormReader
{
    /// <summary>The longest field name a JSON body may have: more than any field's.</summary>
    const int MaxFieldNameLength = 64;

    public static async Task<CamForm> ReadAsync(HttpRequest request, long limit, FieldLimits fieldLimits, CancellationToken cancellationToken)
    {
        var body = await ReadLimited(request.Body, request.ContentLength, limit, cancellationToken);
        Dictionary<string, string?> fields;
        ReadOnlyMemory<byte>? decoded;
        try
        {
            (fields, decoded) = ReadFields(body, fieldLimits);
        }
        catch (JsonException e)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request",
                e.LineNumber is { } line ? $"The body is not valid JSON (line {line + 1}, byte {e.BytePositionInLine + 1})." : "The body is not valid JSON.", inner: e);
        }
        catch (InvalidOperationException e)
        {
            // A string that is not valid UTF-8: the reader checks only the structure (fuzz campaign).
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The body is not valid JSON: a string is not valid UTF-8.", inner: e);
        }
        if (decoded is { } bytes)
        {
            return new CamForm(bytes, fields);
        }
        if (!fields.Remove("image", out var image) || string.IsNullOrWhiteSpace(image))
        {
            throw RequestException.BadField("image", "'image' (base64 of a JPEG, PNG or WebP file) is required.");
        }
        return new CamForm(DecodeBase64(image), fields);
    }

    /// <summary>The body's fields.</summary>
    /// <returns>
    /// The fields, and the image's bytes when they were decoded straight from the body's base64 (the image then is
    /// not among the fields): a 20 MB image is not made a 40 MB string first.
    /// </returns>
    static (Dictionary<string, string?> Fields, ReadOnlyMemory<byte>? Image) ReadFields(ReadOnlyMemory<byte> body, FieldLimits limits)
    {
        var reader = new Utf8JsonReader(body.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The body must be a JSON object.");
        }
        var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        ReadOnlyMemory<byte>? image = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            if (reader.ValueSpan.Length > MaxFieldNameLength)
            {
                throw RequestException.BadField(name, $"Unknown field '{name}' (a field name is longer than {MaxFieldNameLength} bytes). Fields: {string.Join(", ", CamFields.Names)}.");
            }
            reader.Read();
            // The image is bounded by the body limit alone; the last one sent counts, as for any field.
            var isImage = name.Equals("image", StringComparison.OrdinalIgnoreCase);
            if (isImage)
            {
                image = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped ? DecodeBase64(reader.ValueSpan) : null;
                if (image is not null)
                {
                    fields.Remove(name);
                    continue;
                }
            }
            fields[name] = ReadValue(ref reader, name, isImage ? 0 : limits.Length, limits);
        }
        // The object's end, then nothing but white space.
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The body must be one JSON object.");
        }
        return (fields, image);
    }

    /// <summary>A field's value as the multipart form sends it; <paramref name="length"/> 0 is no limit but the body's.</summary>
    static string? ReadValue(ref Utf8JsonReader reader, string name, int length, FieldLimits limits) => reader.TokenType switch
    {
        JsonTokenType.String or JsonTokenType.Number when length > 0 && reader.ValueSpan.Length > length => throw FieldLimits.TooLong(name, length),
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.Null => null,
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.StartArray when CamFields.IsList(name) => ReadList(ref reader, name, limits),
        _ => throw RequestException.BadField(name, $"'{name}' must be a string or a number."),
    };

    /// <summary>A list field's array of strings or numbers, joined with commas as the multipart form sends it.</summary>
    static string ReadList(ref Utf8JsonReader reader, string name, FieldLimits limits)
    {
        var items = new List<string>();
        var length = 0L;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number))
            {
                throw RequestException.BadField(name, $"'{name}' must be a string or a number.");
            }
            length += reader.ValueSpan.Length + 1;
            if (length > limits.Length)
            {
                throw FieldLimits.TooLong(name, limits.Length);
            }
            if (items.Count == limits.Items)
            {
                throw FieldLimits.TooManyItems(name, limits.Items);
            }
            items.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : Encoding.UTF8.GetString(reader.ValueSpan));
        }
        return string.Join(",", items);
    }

    /// <summary>
    /// Base64 (or a data: URL) as sent in UTF-8, decoded without a string in between; null when it is not plain
    /// base64 (white space inside, for one), which <see cref="DecodeBase64(string)"/> then reads or refuses.
    /// </summary>
    static ReadOnlyMemory<byte>? DecodeBase64(ReadOnlySpan<byte> text)
    {
        var comma = text.Length >= 5 && Ascii.EqualsIgnoreCase(text[..5], "data:"u8) ? text.IndexOf((byte)',') : -1;
        var payload = (comma >= 0 ? text[(comma + 1)..] : text).Trim(" \t\r\n"u8);
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(payload.Length)];
        return payload.Length > 0 && Base64.DecodeFromUtf8(payload, bytes, out _, out var written) == OperationStatus.Done ? bytes.AsMemory(0, written) : null;
    }

    static byte[] DecodeBase64(string text)
    {
        // Accept data: URLs as browsers produce them.
        var comma = text.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? text.IndexOf(',') : -1;
        var payload = comma >= 0 ? text[(comma + 1)..] : text;
        var bytes = new byte[payload.Length * 3 / 4 + 3];
        return Convert.TryFromBase64String(payload.Trim(), bytes, out var written)
            ? bytes[..written]
            : throw RequestException.BadField("image", "'image' is not valid base64.");
    }

    /// <summary>
    /// The whole body, refused once it passes <paramref name="limit"/>. A declared length sizes the buffer once (the upload
    /// budget has already reserved it), so the body is held once, not grown by doubling and copied out.
    /// </summary>
    static async Task<ReadOnlyMemory<byte>> ReadLimited(Stream body, long? declaredLength, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(declaredLength is > 0 and var length && length <= limit ? (int)length : 0);
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw FieldLimits.BodyTooLarge(limit);
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
