using System.ComponentModel.DataAnnotations;

namespace CamService.Surface;

/// <summary>Which other web origins' pages may call the service from a visitor's browser.</summary>
public sealed class CrossOriginOptions : IValidatableObject
{
    public const string Section = "Cors";

    /// <summary>
    /// Origins (scheme://host[:port], as a browser's Origin header names them) whose pages may POST to the service and
    /// read its answers. None by default: only the service's own page, and clients that are not browsers.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var origin in AllowedOrigins)
        {
            if (Normalise(origin) is null)
            {
                yield return new ValidationResult(
                    $"Cors:AllowedOrigins: '{origin}' is not an origin; write scheme://host[:port], such as https://example.org, with no path.",
                    [nameof(AllowedOrigins)]);
            }
        }
    }

    /// <summary>An origin as browsers serialise it (lower case, default port left out), or null when it is not one.</summary>
    public static string? Normalise(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
        && uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
        && !origin.EndsWith('/')
            ? uri.GetLeftPart(UriPartial.Authority)
            : null;
}
