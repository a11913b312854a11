namespace CamService.Onnx.CamReady;

/// <summary>The order of an image's or a target layer's axes.</summary>
public enum TensorLayout
{
    /// <summary>[N, C, H, W]: channels first, as CNNs compute.</summary>
    Nchw,

    /// <summary>[N, H, W, C]: channels last (Swin's token grids, TensorFlow's CNNs).</summary>
    Nhwc,

    /// <summary>
    /// [N, T, C]: a token sequence (ViT, DeiT) whose last h·w tokens are an h×w grid of patches, row by row;
    /// the extra tokens before them (a class token) have no place on the image. Never an image's layout.
    /// </summary>
    Tokens,
}

/// <summary>The order of an image input's colour channels.</summary>
public enum ChannelOrder
{
    Rgb,
    Bgr,
}

/// <summary>The filter an image is resized with, as PIL (and so torchvision) names it.</summary>
public enum Interpolation
{
    Bilinear,
    Bicubic,
}

/// <summary>How an RGB image becomes the model's input tensor.</summary>
/// <param name="Height">Input height in pixels.</param>
/// <param name="Width">Input width in pixels.</param>
/// <param name="ResizeSize">The shorter side before a centre crop, as torchvision evaluates (crop mode).</param>
/// <param name="Interpolation">The resize filter.</param>
/// <param name="Mean">Per-channel mean, subtracted after scaling, in the model's channel order.</param>
/// <param name="Std">Per-channel standard deviation, divided by after the mean.</param>
/// <param name="ChannelOrder">The order of the colour channels.</param>
/// <param name="PixelScale">Multiplies 0–255 pixel values before the mean (1/255 for torchvision).</param>
/// <param name="Layout">The image tensor's layout.</param>
public sealed record Preprocessing(
    int Height,
    int Width,
    int ResizeSize,
    Interpolation Interpolation,
    float[] Mean,
    float[] Std,
    ChannelOrder ChannelOrder,
    float PixelScale,
    TensorLayout Layout)
{
    /// <summary>torchvision's ImageNet evaluation: 224 crop of a 256 resize, ImageNet mean and std.</summary>
    public static Preprocessing ImageNet(int height = 224, int width = 224) => new(
        height, width, (int)Math.Round(Math.Min(height, width) * 256.0 / 224.0), Interpolation.Bilinear,
        [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], ChannelOrder.Rgb, 1f / 255f, TensorLayout.Nchw);
}

/// <summary>
/// The metadata's spellings of <see cref="TensorLayout"/> (NCHW), <see cref="ChannelOrder"/> (RGB) and
/// <see cref="Interpolation"/> (bilinear): parsed when a model's metadata is read, so nothing later compares strings.
/// </summary>
public static class MetadataNames
{
    public static string ToMetadata(this TensorLayout layout) => layout.ToString().ToUpperInvariant();

    public static string ToMetadata(this ChannelOrder order) => order.ToString().ToUpperInvariant();

    public static string ToMetadata(this Interpolation interpolation) => interpolation.ToString().ToLowerInvariant();

    /// <summary>The value named <paramref name="text"/> in any case; numbers are not names.</summary>
    public static bool TryParse<T>(string text, out T value) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(candidate.ToString(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>The value named <paramref name="text"/>, or an error naming the key, the value and the names it may take.</summary>
    public static T Parse<T>(string text, string key) where T : struct, Enum =>
        TryParse<T>(text, out var value)
            ? value
            : throw new FormatException($"{key} is '{text}', which is not {string.Join(" or ", Enum.GetValues<T>().Select(v => Spelling(v)))}.");

    static string Spelling(Enum value) => value switch
    {
        TensorLayout layout => layout.ToMetadata(),
        ChannelOrder order => order.ToMetadata(),
        Interpolation interpolation => interpolation.ToMetadata(),
        _ => value.ToString(),
    };
}
