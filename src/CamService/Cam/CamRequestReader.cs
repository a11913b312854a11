using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CamService.Imaging;
using CamService.Inference.Agreement;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;
using CamService.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CamService.Cam;

/// <summary>A request's image and its other fields (by name, case-insensitive) as sent, before validation.</summary>
public sealed record CamForm(ReadOnlyMemory<byte> Image, IReadOnlyDictionary<string, string?> Fields)
{
    /// <summary>A field's value, trimmed; null when it is absent or blank.</summary>
    public string? Field(string name) => Fields.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}

/// <summary>
/// Reads POST /cam from multipart/form-data or application/json into a <see cref="CamRequest"/>,
/// enforcing the body limit while reading (not only from Content-Length) and validating every field.
/// </summary>
public sealed class CamRequestReader(IOptions<CamOptions> options, CamMethods methods)
{
    /// <summary>The method when a request names none.</summary>
    public const string DefaultMethod = "gradcam";

    static readonly string[] Fields = ["image", "models", "target", "topk", "colormap", "alpha", "resize", "method", "outputs", "maxSize", "format", "scoreCamChannels",
        "metrics", "metricSteps", "agreement", "agreementTopPercent"];

    /// <summary>The fields that take a list: comma-separated, or in JSON an array.</summary>
    static readonly string[] ListFields = ["models", "target", "method", "metrics"];

    /// <summary>The longest field name a JSON body may have: more than any field's.</summary>
    const int MaxFieldNameLength = 64;

    public async Task<CamRequest> ReadAsync(HttpRequest request, CancellationToken cancellationToken) =>
        Validate(await ReadFormAsync(request, cancellationToken));

    /// <summary>
    /// The body's image and fields as sent, not yet validated: for an endpoint with fields of its own besides
    /// /cam's (POST /cam/animation), which reads those, then has the rest checked by <see cref="Validate"/>.
    /// </summary>
    public async Task<CamForm> ReadFormAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxBodyBytes;
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        return request.ContentType switch
        {
            { } type when type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) => await ReadMultipart(request, limit, options.Value.MaxFieldLength, cancellationToken),
            { } type when type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) => await ReadJson(request, limit, FieldLimits, cancellationToken),
            var type => throw new RequestException(StatusCodes.Status415UnsupportedMediaType, "Unsupported request",
                $"Send multipart/form-data (an 'image' file and fields) or application/json (image as base64), not {type ?? "a body without Content-Type"}."),
        };
    }

    /// <summary>Most parts (the image and fields) of a multipart body: four times the fields there are.</summary>
    const int MaxParts = 64;

    /// <summary>
    /// The image and fields of a multipart body, read part by part: a field is refused once it passes
    /// Cam:MaxFieldLength, before it is held whole (ASP.NET Core's form reader reads a value whole, whatever
    /// its value length limit), and the image is kept in memory (the form reader would write it to a temporary file).
    /// </summary>
    static async Task<CamForm> ReadMultipart(HttpRequest request, long limit, int fieldLimit, CancellationToken cancellationToken)
    {
        var boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) ? HeaderUtilities.RemoveQuotes(contentType.Boundary).Value : null;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > new FormOptions().MultipartBoundaryLengthLimit)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The multipart body cannot be read: its Content-Type has no valid boundary.");
        }
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = limit };
        var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        MemoryStream? image = null;
        try
        {
            var (parts, bytes) = (0, 0L);
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (++parts > MaxParts)
                {
                    throw new RequestException(StatusCodes.Status413PayloadTooLarge, "Request too large", $"The form has more than {MaxParts} parts.");
                }
                // Every part of a form names its field, as ASP.NET Core's form reader requires.
                if (section.GetContentDispositionHeader() is not { } disposition || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The multipart/form-data body cannot be read.");
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
                if (disposition.IsFileDisposition())
                {
                    if (!name.Equals("image", StringComparison.OrdinalIgnoreCase))
                    {
                        throw RequestException.BadField(name, $"Unknown file field '{name}'; the photo goes in 'image'.");
                    }
                    if (image is not null)
                    {
                        throw RequestException.BadField("image", "Send exactly one 'image' file per request.");
                    }
                    // As large as the body says it is (within the limit): the image never grows by copying itself.
                    image = new MemoryStream((int)Math.Min(request.ContentLength ?? 0, limit));
                    await section.Body.CopyToAsync(image, cancellationToken);
                    bytes += image.Length;
                }
                else
                {
                    var value = await ReadFieldAsync(section.Body, name, fieldLimit, cancellationToken);
                    bytes += value.Length;
                    // A field sent twice is both values, comma-separated, as ASP.NET Core's form reader joins them.
                    fields[name] = fields.TryGetValue(name, out var earlier) ? $"{earlier},{value}" : value;
                }
                if (bytes > limit)
                {
                    throw TooLarge(limit);
                }
            }
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw TooLarge(limit);
        }
        // A body that ends inside a part (IOException) or a boundary parameter the reader refuses (InvalidOperationException): fuzz
        // campaign. Not Kestrel's own refusals (a body too slow or too large), which are IOExceptions too and keep their status.
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException and not BadHttpRequestException)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The multipart/form-data body cannot be read.", inner: e);
        }
        if (image is null)
        {
            throw RequestException.BadField("image", "The 'image' file is required.");
        }
        return new CamForm(image.GetBuffer().AsMemory(0, (int)image.Length), fields);
    }

    /// <summary>A text part as UTF-8, refused once it passes <paramref name="limit"/> bytes.</summary>
    static async Task<string> ReadFieldAsync(Stream body, string name, int limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(limit + 1);
        try
        {
            var length = 0;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(length, limit + 1 - length), cancellationToken)) > 0)
            {
                length += read;
                if (length > limit)
                {
                    throw FieldTooLong(name, limit);
                }
            }
            return Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The longest field value and the most items of a list field, checked while a JSON body is read.</summary>
    (int Length, int Items) FieldLimits => (options.Value.MaxFieldLength, options.Value.MaxMapsPerRequest);

    static async Task<CamForm> ReadJson(HttpRequest request, long limit, (int Length, int Items) fieldLimits, CancellationToken cancellationToken)
    {
        var body = await ReadLimited(request.Body, limit, cancellationToken);
        Dictionary<string, string?> fields;
        ReadOnlyMemory<byte>? decoded;
        try
        {
            (fields, decoded) = ReadJsonFields(body, fieldLimits);
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

    /// <summary>
    /// The body's fields, read token by token: each value's length (and a list's item count) is checked as sent,
    /// before it becomes a string, so an oversized field costs no more than the body already read.
    /// </summary>
    /// <returns>
    /// The fields, and the image's bytes when they were decoded straight from the body's base64 (the image then is
    /// not among the fields): a 20 MB image is not made a 40 MB string first.
    /// </returns>
    static (Dictionary<string, string?> Fields, ReadOnlyMemory<byte>? Image) ReadJsonFields(byte[] body, (int Length, int Items) limits)
    {
        var reader = new Utf8JsonReader(body);
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
                throw RequestException.BadField(name, $"Unknown field '{name}' (a field name is longer than {MaxFieldNameLength} bytes). Fields: {string.Join(", ", Fields)}.");
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
            var length = isImage ? 0 : limits.Length;
            fields[name] = reader.TokenType switch
            {
                JsonTokenType.String or JsonTokenType.Number when length > 0 && reader.ValueSpan.Length > length => throw FieldTooLong(name, length),
                JsonTokenType.String => reader.GetString(),
                JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                JsonTokenType.Null => null,
                JsonTokenType.True => "true",
                JsonTokenType.False => "false",
                JsonTokenType.StartArray when ListFields.Contains(name, StringComparer.OrdinalIgnoreCase) => ReadJsonList(ref reader, name, limits),
                _ => throw RequestException.BadField(name, $"'{name}' must be a string or a number."),
            };
        }
        // The object's end, then nothing but white space.
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The body must be one JSON object.");
        }
        return (fields, image);
    }

    /// <summary>A list field's array of strings or numbers, joined with commas as the multipart form sends it.</summary>
    static string ReadJsonList(ref Utf8JsonReader reader, string name, (int Length, int Items) limits)
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
                throw FieldTooLong(name, limits.Length);
            }
            if (items.Count == limits.Items)
            {
                throw TooManyItems(name, limits.Items);
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

    static async Task<byte[]> ReadLimited(Stream body, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(limit);
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Checks every field of /cam and makes the request. <paramref name="ownFields"/> are the caller's own (read
    /// already, allowed here, and named when a field is unknown); <paramref name="defaultMaxSize"/> is maxSize
    /// when the request gives none (Cam:DefaultMaxSize unless the caller has a default of its own).
    /// </summary>
    public CamRequest Validate(CamForm form, IReadOnlyList<string>? ownFields = null, int? defaultMaxSize = null)
    {
        var known = Fields.Concat(ownFields ?? []).ToList();
        var unknown = form.Fields.Keys.FirstOrDefault(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase));
        if (unknown is not null)
        {
            throw RequestException.BadField(unknown, $"Unknown field '{unknown}'. Fields: {string.Join(", ", known)}.");
        }
        var image = form.Image;
        if (image.Length == 0)
        {
            throw RequestException.BadField("image", "The image is empty.");
        }
        CheckLengths(form);
        string? Field(string name) => form.Field(name);

        var models = Field("models")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (models is not null && models.Distinct(StringComparer.Ordinal).Count() != models.Length)
        {
            throw RequestException.BadField("models", "A model is listed twice.");
        }

        var targetList = Field("target")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (targetList.FirstOrDefault(t => t.StartsWith('-') && int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) is { } negative)
        {
            throw RequestException.BadField("target", $"A class index cannot be negative ('{negative}'); leave 'target' out for each model's top-1.");
        }
        var targets = ExplanationTarget.ParseList(Field("target"));
        if (targets.Distinct().Count() != targets.Count)
        {
            throw RequestException.BadField("target", "A target is listed twice.");
        }

        var topK = Field("topk") is { } k
            ? int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= 1 && parsed <= options.Value.MaxTopK
                ? parsed
                : throw RequestException.BadField("topk", $"'topk' must be a whole number from 1 to {options.Value.MaxTopK}.")
            : 5;

        var colormap = Field("colormap") is { } c
            ? Enum.TryParse<Colormap>(c, ignoreCase: true, out var map) && Enum.IsDefined(map) && !int.TryParse(c, out _)
                ? map
                : throw RequestException.BadField("colormap", $"'colormap' must be one of {string.Join(", ", Enum.GetNames<Colormap>().Select(n => n.ToLowerInvariant()))}.")
            : Colormap.Jet;

        var alpha = Field("alpha") is { } a
            ? float.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var opacity) && opacity is >= 0 and <= 1
                ? opacity
                : throw RequestException.BadField("alpha", "'alpha' must be a number from 0 to 1.")
            : 0.5f;

        var resize = Field("resize")?.ToLowerInvariant() switch
        {
            null or "stretch" => ResizeMode.Stretch,
            "crop" => ResizeMode.Crop,
            _ => throw RequestException.BadField("resize", "'resize' must be 'stretch' or 'crop'."),
        };

        var methodNames = Field("method")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        var chosen = methodNames.Length == 0 ? [methods.Find(DefaultMethod)!] : methodNames.Select(name => methods.Find(name)
            ?? throw RequestException.BadField("method", $"Unknown method '{name}'. Methods: {string.Join(", ", methods.Names)} (see GET /methods).")).ToList();
        if (chosen.Distinct().Count() != chosen.Count)
        {
            throw RequestException.BadField("method", "A method is listed twice.");
        }

        var outputs = ResultParts.All;
        if (Field("outputs") is { } parts)
        {
            outputs = ResultParts.None;
            foreach (var part in parts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                outputs |= part.ToLowerInvariant() switch
                {
                    "cam" => ResultParts.Cam,
                    "heatmap" => ResultParts.Heatmap,
                    "overlay" => ResultParts.Overlay,
                    _ => throw RequestException.BadField("outputs", $"Unknown output '{part}'; 'outputs' lists any of cam, heatmap, overlay."),
                };
            }
        }

        // 0 (the image's size) is the ceiling: a larger image is drawn at it, a smaller one at its own size.
        var ceiling = options.Value.MaxRenderSize;
        var maxSize = Field("maxSize") is { } m
            ? int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size <= ceiling
                ? size
                : throw RequestException.BadField("maxSize",
                    $"'maxSize' must be a whole number of pixels from 0 (the image's size, at most {ceiling}) to {ceiling} (Cam:MaxRenderSize).")
            : defaultMaxSize ?? options.Value.DefaultMaxSize;
        if (maxSize == 0)
        {
            maxSize = ceiling;
        }

        OverlayFormat? format = (Field("format") ?? options.Value.DefaultFormat).ToLowerInvariant() switch
        {
            "auto" => null,
            "png" => OverlayFormat.Png,
            "jpeg" or "jpg" => OverlayFormat.Jpeg,
            "webp" => OverlayFormat.Webp,
            _ => throw RequestException.BadField("format", "'format' must be auto, png, jpeg or webp."),
        };

        var scoreCamChannels = Field("scoreCamChannels") is { } n
            ? int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var channels)
                ? channels
                : throw RequestException.BadField("scoreCamChannels", "'scoreCamChannels' must be a whole number of channels, 0 for all of them.")
            : options.Value.DefaultScoreCamChannels;

        var metrics = FaithfulnessMetrics.None;
        if (Field("metrics") is { } metricNames && !FaithfulnessMetricNames.TryParse(metricNames, out metrics, out var unknownMetric))
        {
            throw RequestException.BadField("metrics",
                $"Unknown metric '{unknownMetric}'; 'metrics' lists any of {string.Join(", ", FaithfulnessMetricNames.Names)}, or is 'all'.");
        }

        var maxSteps = options.Value.MaxMetricSteps;
        var metricSteps = Field("metricSteps") is { } st
            ? int.TryParse(st, NumberStyles.None, CultureInfo.InvariantCulture, out var steps) && steps >= 1 && steps <= maxSteps
                ? steps
                : throw RequestException.BadField("metricSteps", $"'metricSteps' must be a whole number from 1 to {maxSteps} (Cam:MaxMetricSteps).")
            : Math.Min(FaithfulnessOptions.DefaultSteps, maxSteps);

        var agreement = Field("agreement")?.ToLowerInvariant() switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw RequestException.BadField("agreement", "'agreement' must be true or false."),
        };

        var topPercent = Field("agreementTopPercent") is { } tp
            ? double.TryParse(tp, NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is >= 1 and <= 99
                ? percent
                : throw RequestException.BadField("agreementTopPercent", "'agreementTopPercent' must be a number from 1 to 99 (percent of the pixels).")
            : MapAgreement.DefaultTopPercent;

        return new CamRequest(image, models, targets, chosen, topK, colormap, alpha, resize, outputs, maxSize, format,
            MethodOptions.Default with { ScoreCamChannels = scoreCamChannels }, metrics, metricSteps, agreement, topPercent);
    }

    /// <summary>
    /// Every field within Cam:MaxFieldLength, and every list within Cam:MaxMapsPerRequest items, before any is split:
    /// a list longer than that could only be refused later, after a string per item.
    /// </summary>
    void CheckLengths(CamForm form)
    {
        var (length, items) = (options.Value.MaxFieldLength, options.Value.MaxMapsPerRequest);
        foreach (var (name, value) in form.Fields)
        {
            if (value is null)
            {
                continue;
            }
            // The readers refuse a longer value as they read it; a field sent several times is checked here, joined.
            if (value.Length > length)
            {
                throw RequestException.BadField(name, $"'{name}' is {value.Length:N0} characters in all; the limit is {length:N0} (Cam:MaxFieldLength).");
            }
            if (ListFields.Contains(name, StringComparer.OrdinalIgnoreCase) && value.AsSpan().Count(',') >= items)
            {
                throw TooManyItems(name, items);
            }
        }
    }

    static RequestException FieldTooLong(string name, int limit) =>
        RequestException.BadField(name, $"'{name}' is longer than {limit:N0} bytes (Cam:MaxFieldLength).");

    static RequestException TooManyItems(string name, int limit) => RequestException.BadField(name,
        $"'{name}' lists more than {limit} items; a request draws at most {limit} maps (Cam:MaxMapsPerRequest).");

    static RequestException TooLarge(long limit) => new(StatusCodes.Status413PayloadTooLarge, "Request too large",
        $"The request body exceeds the limit of {limit:N0} bytes (Cam:MaxBodyBytes).");
}
