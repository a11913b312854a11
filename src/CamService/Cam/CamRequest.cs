using CamService.Imaging;

namespace CamService.Cam;

/// <summary>What to explain: the class index or exact label, or each model's own top-1 when neither.</summary>
public sealed record TargetChoice(int? Index, string? Label)
{
    public static readonly TargetChoice TopOne = new(null, null);

    public override string ToString() => Index?.ToString() ?? Label ?? "top-1";
}

/// <summary>A parsed, validated POST /cam request (field by field, as documented in the API).</summary>
public sealed record CamRequest(
    ReadOnlyMemory<byte> Image,
    IReadOnlyList<string>? Models,
    TargetChoice Target,
    int TopK,
    Colormap Colormap,
    float Alpha,
    ResizeMode Resize,
    string Method);

/// <summary>The fields of POST /cam as they arrive, for documentation (multipart/form-data).</summary>
/// <param name="Image">The photo: JPEG, PNG or WebP.</param>
/// <param name="Models">Comma-separated model ids, one result each in this order (default: every ready model).</param>
/// <param name="Target">A class index or an exact label (default: each model's own top-1).</param>
/// <param name="Topk">How many top predictions to list (default 5).</param>
/// <param name="Colormap">jet (default), turbo, viridis or inferno.</param>
/// <param name="Alpha">Overlay opacity from 0 to 1 (default 0.5).</param>
/// <param name="Resize">stretch (default: the whole image to the model input) or crop (shorter side, then centre crop).</param>
/// <param name="Method">The CAM method (default gradcam).</param>
public sealed record CamFormFields(IFormFile Image, string? Models, string? Target, int? Topk, string? Colormap, float? Alpha, string? Resize, string? Method);

/// <summary>The JSON form of POST /cam: the same fields, with the image as base64 (a data: URL is accepted too).</summary>
/// <param name="Image">Base64 of a JPEG, PNG or WebP file.</param>
/// <param name="Models">Comma-separated model ids (or a JSON array of ids).</param>
/// <param name="Target">A class index or an exact label.</param>
/// <param name="Topk">How many top predictions to list (default 5).</param>
/// <param name="Colormap">jet (default), turbo, viridis or inferno.</param>
/// <param name="Alpha">Overlay opacity from 0 to 1 (default 0.5).</param>
/// <param name="Resize">stretch (default) or crop.</param>
/// <param name="Method">The CAM method (default gradcam).</param>
public sealed record CamJsonBody(string Image, string? Models, string? Target, int? Topk, string? Colormap, float? Alpha, string? Resize, string? Method);
