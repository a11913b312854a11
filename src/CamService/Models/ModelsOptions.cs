using System.ComponentModel.DataAnnotations;

namespace CamService.Models;

/// <summary>Configuration section "Models": where the models are and how they are warmed up.</summary>
public sealed class ModelsOptions
{
    public const string Section = "Models";

    /// <summary>Folder whose *.onnx files are served; plain classifiers are made CAM-ready at start-up.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Directory { get; set; } = "onnx/models";

    /// <summary>Where CAM-ready versions of plain models are cached; default: ".cache" inside <see cref="Directory"/>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Measured runs (after two unmeasured ones) before a model is reported ready; their median is its latency.</summary>
    [Range(1, 100)]
    public int WarmupRuns { get; set; } = 5;

    public string ResolvedCacheDirectory => CacheDirectory ?? Path.Combine(Directory, ".cache");
}
