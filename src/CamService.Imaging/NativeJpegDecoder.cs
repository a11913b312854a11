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
/// <remarks>
/// Native code parses the upload here, so nothing is sized from its parse alone: libjpeg-turbo's header must
/// declare the very size ImageSharp identified (and checked against <see cref="ImageLimits.MaxPixels"/>) before
/// any pixel memory exists. It then decodes a band of <see cref="BandRows"/> rows at a time into one band-sized
/// native buffer, and checks the request's cancellation between bands, so a deadline stops it within a band.
/// </remarks>
internal static class NativeJpegDecoder
{
    /// <summary>libjpeg-turbo's scales: n/8 for n = 1 … 8.</summary>
    const int Eighths = 8;

    /// <summary>
    /// Rows decoded between two looks at the cancellation token: a band of a 40 MP photo's full-width rows
    /// is a few milliseconds of work, and its buffer (64 × 7 300 px × 4 bytes) under 2 MB; JPEG's 65 535 px
    /// width limit keeps any band under 17 MB.
    /// </summary>
    internal const int BandRows = 64;

    /// <param name="file">The JPEG file.</param>
    /// <param name="identified">The stored size ImageSharp read from the header (already within the pixel limit).</param>
    /// <param name="hint">How large the pixels must stay.</param>
    /// <param name="configuration">Where the image's memory comes from.</param>
    /// <param name="cancellationToken">Stops the decode between bands.</param>
    public static unsafe Image<Rgb24> Decode(ReadOnlySpan<byte> file, Size identified, DecodeHint hint, Configuration configuration,
        CancellationToken cancellationToken)
    {
        using var data = SKData.CreateCopy(file);
        using var codec = SKCodec.Create(data) ?? throw new CorruptImageException("jpeg", ImageLoader.HeaderUnreadable);
        if (codec.Info.Width != identified.Width || codec.Info.Height != identified.Height)
        {
            throw new CorruptImageException("jpeg", ImageLoader.HeadersDisagree);
        }
        var size = Scaled(codec, hint);
        if (size.Width < 1 || size.Height < 1 || size.Width > identified.Width || size.Height > identified.Height)
        {
            throw new CorruptImageException("jpeg", ImageLoader.HeadersDisagree);
        }
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (codec.StartScanlineDecode(info) != SKCodecResult.Success)
        {
            throw new CorruptImageException("jpeg", ImageLoader.Damaged);
        }
        // Allocated through ImageSharp's allocator, whose limit follows the pixel limit.
        var image = new Image<Rgb24>(configuration, info.Width, info.Height);
        // Native memory for one band: rows of RGBA from libjpeg-turbo, converted to RGB band by band.
        var band = (byte*)NativeMemory.Alloc((nuint)((long)info.RowBytes * Math.Min(BandRows, info.Height)));
        try
        {
            for (var top = 0; top < info.Height; top += BandRows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rows = Math.Min(BandRows, info.Height - top);
                if (codec.GetScanlines((IntPtr)band, rows, info.RowBytes) != rows)
                {
                    throw new CorruptImageException("jpeg", ImageLoader.Damaged);
                }
                for (var y = 0; y < rows; y++)
                {
                    var row = new ReadOnlySpan<Rgba32>(band + (long)y * info.RowBytes, info.Width);
                    PixelOperations<Rgba32>.Instance.ToRgb24(configuration, row, image.DangerousGetPixelRowMemory(top + y).Span);
                }
            }
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
        finally
        {
            NativeMemory.Free(band);
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
