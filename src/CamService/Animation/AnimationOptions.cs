using System.ComponentModel.DataAnnotations;

namespace CamService.Animation;

/// <summary>Configuration section "Cam:Animation": the limits of POST /cam/animation.</summary>
public sealed class AnimationOptions
{
    public const string Section = "Cam:Animation";

    /// <summary>
    /// The frames' long side when a request does not say (maxSize), caption strip not included. Default 640: a GIF
    /// has no lossy compression, so six 640 px frames of a photo are already about 0.4 MB.
    /// </summary>
    [Range(1, 100_000)]
    public int DefaultMaxSize { get; set; } = 640;

    /// <summary>The largest long side a request may have its frames drawn at; a larger maxSize, or 0 (the image's size), gets this.</summary>
    [Range(1, 100_000)]
    public int MaxSize { get; set; } = 1280;

    /// <summary>Most frames (models × methods × targets) in one animation; beyond, 400.</summary>
    [Range(1, 10_000)]
    public int MaxFrames { get; set; } = 24;

    /// <summary>
    /// Most pixels of all frames together, caption strips included (default 16 M: 24 frames of 640×480 with
    /// their captions are 8.4 M). Every frame is held until the GIF is written; beyond, 400.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxPixels { get; set; } = 16_000_000;
}
