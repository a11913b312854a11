using System.Globalization;
using System.Text.Json;
using CamService.Imaging;
using CamService.Inference.Agreement;
using CamService.Inference.Explanations;
using CamService.Inference.Faithfulness;
using CamService.Inference.Methods;
using CamService.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

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
            { } type when type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) => await ReadMultipart(request, limit, cancellationToken),
            { } type when type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) => await ReadJson(request, limit, cancellationToken),
            var type => throw new RequestException(StatusCodes.Status415UnsupportedMediaType, "Unsupported request",
                $"Send multipart/form-data (an 'image' file and fields) or application/json (image as base64), not {type ?? "a body without Content-Type"}."),
        };
    }

    static async Task<CamForm> ReadMultipart(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        IFormCollection form;
        try
        {
            // Kept in memory up to the body limit: by default a file over 64 kB goes to a temporary file first.
            form = await request.ReadFormAsync(new FormOptions
            {
                MultipartBodyLengthLimit = limit,
                ValueCountLimit = 64,
                MemoryBufferThreshold = (int)Math.Min(limit, int.MaxValue),
            }, cancellationToken);
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw TooLarge(limit);
        }
        // A body that ends inside a part (IOException) or a boundary parameter the reader refuses (InvalidOperationException): fuzz campaign.
        catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The multipart/form-data body cannot be read.", inner: e);
        }

        var fields = form.ToDictionary(f => f.Key, f => (string?)f.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var files = form.Files.Where(f => f.Name.Equals("image", StringComparison.OrdinalIgnoreCase)).ToList();
        var others = form.Files.Where(f => !f.Name.Equals("image", StringComparison.OrdinalIgnoreCase)).Select(f => f.Name).ToList();
        if (others.Count > 0)
        {
            throw RequestException.BadField(others[0], $"Unknown file field '{others[0]}'; the photo goes in 'image'.");
        }
        if (files.Count != 1)
        {
            throw RequestException.BadField("image", files.Count == 0 ? "The 'image' file is required." : "Send exactly one 'image' file per request.");
        }
        using var buffer = new MemoryStream((int)Math.Min(files[0].Length, limit));
        await files[0].CopyToAsync(buffer, cancellationToken);
        return new CamForm(buffer.ToArray(), fields);
    }

    static async Task<CamForm> ReadJson(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var body = await ReadLimited(request.Body, limit, cancellationToken);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request",
                e.LineNumber is { } line ? $"The body is not valid JSON (line {line + 1}, byte {e.BytePositionInLine + 1})." : "The body is not valid JSON.", inner: e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The body must be a JSON object.");
            }
            try
            {
                return ReadFields(document.RootElement);
            }
            catch (InvalidOperationException e)
            {
                // A string that is not valid UTF-8: the parser checks only the structure (fuzz campaign).
                throw new RequestException(StatusCodes.Status400BadRequest, "Malformed request", "The body is not valid JSON: a string is not valid UTF-8.", inner: e);
            }
        }
    }

    static CamForm ReadFields(JsonElement root)
    {
        var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in root.EnumerateObject())
        {
            fields[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.Null => null,
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Array when ListFields.Contains(property.Name, StringComparer.OrdinalIgnoreCase)
                    && property.Value.EnumerateArray().All(e => e.ValueKind is JsonValueKind.String or JsonValueKind.Number) =>
                    string.Join(",", property.Value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
                _ => throw RequestException.BadField(property.Name, $"'{property.Name}' must be a string or a number."),
            };
        }
        if (!fields.Remove("image", out var image) || string.IsNullOrWhiteSpace(image))
        {
            throw RequestException.BadField("image", "'image' (base64 of a JPEG, PNG or WebP file) is required.");
        }
        return new CamForm(DecodeBase64(image), fields);
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

        var maxSize = Field("maxSize") is { } m
            ? int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size <= 100_000
                ? size
                : throw RequestException.BadField("maxSize", "'maxSize' must be a whole number of pixels from 0 (the image's size) to 100000.")
            : defaultMaxSize ?? options.Value.DefaultMaxSize;

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

    static RequestException TooLarge(long limit) => new(StatusCodes.Status413PayloadTooLarge, "Request too large",
        $"The request body exceeds the limit of {limit:N0} bytes (Cam:MaxBodyBytes).");
}
