using CamService.Cam.Reading;
using CamService.Inference.Methods;
using CamService.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace CamService.Cam;

/// <summary>
/// Reads POST /cam from multipart/form-data or application/json into a <see cref="CamRequest"/>,
/// enforcing the body limit while reading (not only from Content-Length) and validating every field
/// by its rule in <see cref="CamFields"/>.
/// </summary>
public sealed class CamRequestReader(IOptions<CamOptions> options, CamMethods methods)
{
    /// <summary>The method when a request names none.</summary>
    public const string DefaultMethod = "gradcam";

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
            throw FieldLimits.BodyTooLarge(limit);
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        return request.ContentType switch
        {
            { } type when type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) =>
                await MultipartFormReader.ReadAsync(request, limit, options.Value.MaxFieldLength, cancellationToken),
            { } type when type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) =>
                await JsonFormReader.ReadAsync(request, limit, FieldLimits.Of(options.Value), cancellationToken),
            var type => throw new RequestException(StatusCodes.Status415UnsupportedMediaType, "Unsupported request",
                $"Send multipart/form-data (an 'image' file and fields) or application/json (image as base64), not {type ?? "a body without Content-Type"}."),
        };
    }

    /// <summary>
    /// Checks every field of /cam and makes the request. <paramref name="ownFields"/> are the caller's own (read
    /// already, allowed here, and named when a field is unknown); <paramref name="defaultMaxSize"/> is maxSize
    /// when the request gives none (Cam:DefaultMaxSize unless the caller has a default of its own).
    /// </summary>
    public CamRequest Validate(CamForm form, IReadOnlyList<string>? ownFields = null, int? defaultMaxSize = null)
    {
        var known = CamFields.Names.Concat(ownFields ?? []).ToList();
        var unknown = form.Fields.Keys.FirstOrDefault(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase));
        if (unknown is not null)
        {
            throw RequestException.BadField(unknown, $"Unknown field '{unknown}'. Fields: {string.Join(", ", known)}.");
        }
        if (form.Image.Length == 0)
        {
            throw RequestException.BadField("image", "The image is empty.");
        }
        FieldLimits.Of(options.Value).Check(form);

        var draft = new CamRequestDraft(form.Image, options.Value, methods, defaultMaxSize);
        foreach (var field in CamFields.All)
        {
            field.Read?.Invoke(new FieldText(field.Name, form.Field(field.Name)), draft);
        }
        return draft.ToRequest();
    }
}
