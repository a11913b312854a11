using System.ComponentModel.DataAnnotations;

namespace CamService.Cam;

/// <summary>Configuration section "Cam": the limits of POST /cam.</summary>
public sealed class CamOptions
{
    public const string Section = "Cam";

    /// <summary>Largest request body in bytes (default 20 MB); larger requests get 413.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>Largest image in pixels (default 40 MP), read from the image header before decoding; larger images get 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Largest number of top predictions a request may ask for.</summary>
    [Range(1, 100_000)]
    public int MaxTopK { get; set; } = 1000;
}
