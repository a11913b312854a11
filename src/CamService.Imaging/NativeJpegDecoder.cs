using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace CamService.Imaging;

/// <summary>
/// Decodes JPEGs with libjpeg-turbo (through SkiaSharp) at the smallest scale the request can use:
/// libjpeg-turbo computes a 1/2, 1/4 or 1/8 size image straight from the DCT coefficients, so the
/// inverse transform and colour conversion run on a fraction of the pixels. Only a file that
/// <see cref="ImageLoader"/> has already identified, checked against the pixel limit and found complete
/// reaches it. The pixels come back in the file's own orientation.
/// </summary>
internal static class NativeJpegDecoder
{
    /// <summary>libjpeg-turbo's scales: n/8 for n = 1 … 8.</summary>
    const int Eighths = 8;

    public static unsafe Image<Rgb24> Decode(ReadOnlySpan<byte> file, DecodeHint hint, Configuration configuration)
    {
        using var data = SKData.CreateCopy(file);
        using var codec = SKCodec.Create(data) ?? throw new CorruptImageException("jpeg", "libjpeg-turbo cannot read its header.");
        var size = Scaled(codec, hint);
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        // Native memory: a 12 MP RGBA buffer is 48 MB, which the managed heap would keep in its large-object heap.
        var pixels = (byte*)NativeMemory.Alloc((nuint)info.BytesSize64);
        try
        {
            var result = codec.GetPixels(info, (IntPtr)pixels);
            if (result != SKCodecResult.Success)
            {
                throw new CorruptImageException("jpeg", $"libjpeg-turbo could not decode it ({result}).");
            }
            var image = new Image<Rgb24>(configuration, info.Width, info.Height);
            try
            {
                for (var y = 0; y < info.Height; y++)
                {
                    var row = new ReadOnlySpan<Rgba32>(pixels + (long)y * info.RowBytes, info.Width);
                    PixelOperations<Rgba32>.Instance.ToRgb24(configuration, row, image.DangerousGetPixelRowMemory(y).Span);
                }
                return image;
            }
            catch
            {
                image.Dispose();
                throw;
            }
        }
        finally
        {
            NativeMemory.Free(pixels);
        }
    }

    /// <summary>The smallest scale whose image still satisfies <paramref name="hint"/>; the full size when none does.</summary>
    static SKSizeI Scaled(SKCodec codec, DecodeHint hint)
    {
        for (var n = 1; n < Eighths; n++)
        {
            var size = codec.GetScaledDimensions(n / (float)Eighths);
            if (hint.IsSatisfiedBy(size.Width, size.Height))
            {
                return size;
            }
        }
        return new SKSizeI(codec.Info.Width, codec.Info.Height);
    }
}
