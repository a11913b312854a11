using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace CamService.Imaging;

/// <summary>
/// How an RGB image becomes a model's input tensor, in the pixel code's own terms. A model's is made once,
/// when it loads, from its metadata; each value is checked as it is set, so filling an input checks nothing.
/// </summary>
public sealed record InputPreprocessing
{
    /// <summary>PIL's bilinear filter, torchvision's default: ImageSharp's triangle kernel, widened by the scale when shrinking as PIL's is.</summary>
    public static IResampler Bilinear => KnownResamplers.Triangle;

    /// <summary>PIL's bicubic filter (a = −0.5): ImageSharp's bicubic kernel, likewise widened.</summary>
    public static IResampler Bicubic => KnownResamplers.Bicubic;

    /// <summary>torchvision's ImageNet evaluation: a centre crop of the 256/224 resize, ImageNet mean and std, RGB, NCHW.</summary>
    public static InputPreprocessing ImageNet(int height = 224, int width = 224) => new()
    {
        Height = height,
        Width = width,
        ResizeSize = (int)Math.Round(Math.Min(height, width) * 256.0 / 224.0),
        Resampler = Bilinear,
        PixelScale = 1f / 255f,
        Mean = [0.485f, 0.456f, 0.406f],
        Std = [0.229f, 0.224f, 0.225f],
    };

    /// <summary>Input height in pixels.</summary>
    public required int Height { get; init => field = Positive(value, nameof(Height)); }

    /// <summary>Input width in pixels.</summary>
    public required int Width { get; init => field = Positive(value, nameof(Width)); }

    /// <summary>The shorter side before a centre crop, as torchvision evaluates (crop mode).</summary>
    public required int ResizeSize { get; init => field = Positive(value, nameof(ResizeSize)); }

    /// <summary>The resize filter: <see cref="Bilinear"/> or <see cref="Bicubic"/> to match torchvision.</summary>
    public required IResampler Resampler { get; init => field = value ?? throw new ArgumentNullException(nameof(Resampler)); }

    /// <summary>Model channel 0 is blue (Caffe-style models), not red.</summary>
    public bool Bgr { get; init; }

    /// <summary>The input is NHWC (channels last), not NCHW.</summary>
    public bool ChannelsLast { get; init; }

    /// <summary>Multiplies 0–255 pixel values before the mean (1/255 for torchvision).</summary>
    public required float PixelScale { get; init => field = float.IsFinite(value) && value != 0 ? value : throw new ArgumentException("PixelScale must be finite and non-zero.", nameof(PixelScale)); }

    /// <summary>Per-channel mean, subtracted after scaling, in the model's channel order.</summary>
    public required IReadOnlyList<float> Mean { get; init => field = Channels(value, nameof(Mean), zeroAllowed: true); }

    /// <summary>Per-channel standard deviation, divided by after the mean.</summary>
    public required IReadOnlyList<float> Std { get; init => field = Channels(value, nameof(Std), zeroAllowed: false); }

    static int Positive(int value, string name) => value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");

    static float[] Channels(IReadOnlyList<float> values, string name, bool zeroAllowed) =>
        values is { Count: 3 } && values.All(v => float.IsFinite(v) && (zeroAllowed || v != 0))
            ? values.ToArray()
            : throw new ArgumentException($"{name} needs one finite{(zeroAllowed ? "" : ", non-zero")} value per channel (3).", name);
}
