using System.Runtime.CompilerServices;
using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging;

/// <summary>
/// Puts a class activation map back onto the photo it explains: upsampled through the
/// <see cref="InputGeometry"/> so every map cell lands on the image pixels the model saw there.
/// <para>
/// Row access: the overlay walks the photo's rows with DangerousGetPixelRowMemory rather than
/// ProcessPixelRows, because the projected map arrives as a span and ProcessPixelRows' delegate cannot
/// capture a span; copying a 12 MP map into an array just to satisfy a lambda would cost more than the
/// rendering. Rows go straight to a <see cref="PngWriter"/>, so no second full-size image is made.
/// </para>
/// </summary>
public static class CamRenderer
{
    /// <summary>
    /// Upsamples a raw CAM bilinearly onto every pixel of an <paramref name="imageWidth"/>×<paramref name="imageHeight"/>
    /// rendering of the image (normally the geometry's image size; a smaller one gives a thumbnail of the same view).
    /// The map's cells tile the model input, so cell centres sit at (j + 0.5) · input / cells in input edge
    /// coordinates; between centres values are interpolated and beyond the outermost centres the edge value is
    /// held (align_corners=False, as cv2.resize and pytorch-grad-cam do).
    /// </summary>
    /// <returns>
    /// Row-major values in [0, 1]: (v − min) / (max − min) over the map, 0 everywhere for a constant map, and
    /// NaN for pixels whose centres lie outside the model input (the margins a crop drops).
    /// </returns>
    public static float[] Project(ReadOnlySpan<float> cam, int camHeight, int camWidth, InputGeometry geometry, int imageWidth, int imageHeight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        var projected = new float[(long)imageWidth * imageHeight];
        Project(cam, camHeight, camWidth, geometry, projected, imageWidth, imageHeight);
        return projected;
    }

    /// <summary>As <see cref="Project(ReadOnlySpan{float}, int, int, InputGeometry, int, int)"/>, into a caller's (pooled) buffer of width × height values.</summary>
    public static void Project(ReadOnlySpan<float> cam, int camHeight, int camWidth, InputGeometry geometry, Span<float> projected, int imageWidth, int imageHeight)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        if (projected.Length != (long)imageWidth * imageHeight)
        {
            throw new ArgumentException($"The destination holds {projected.Length} values, not {imageWidth}×{imageHeight}.", nameof(projected));
        }
        using var projection = new MapProjection(cam, camHeight, camWidth, geometry, imageWidth, imageHeight);
        for (var y = 0; y < imageHeight; y++)
        {
            projection.Row(y, projected.Slice(y * imageWidth, imageWidth));
        }
    }

    /// <summary>
    /// The heatmap alone as a PNG: colormap colours, fully transparent where the map is NaN (outside the
    /// crop). A palette PNG, since a colormap has at most <see cref="Levels"/> colours plus transparency.
    /// </summary>
    public static byte[] HeatmapPng(ReadOnlySpan<float> projected, int width, int height, Colormap colormap)
    {
        CheckSize(projected, width, height);
        return HeatmapPng(new ProjectedRows(projected, width), width, height, colormap);
    }

    /// <summary>As <see cref="HeatmapPng(ReadOnlySpan{float}, int, int, Colormap)"/>, each row projected as it is written.</summary>
    public static byte[] HeatmapPng(MapProjection projection, Colormap colormap)
    {
        ArgumentNullException.ThrowIfNull(projection);
        return HeatmapPng(projection, projection.Width, projection.Height, colormap);
    }

    // Runs once per picture: optimise its loops now rather than after tiered JIT has seen enough calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static byte[] HeatmapPng<TRows>(TRows rows, int width, int height, Colormap colormap) where TRows : IMapRows, allows ref struct
    {
        Span<byte> alphas = stackalloc byte[Levels + 1];
        alphas.Fill(byte.MaxValue);
        alphas[Transparent] = 0;
        Span<Rgb24> colours = stackalloc Rgb24[Levels + 1];
        MapPalette.Of(colormap).CopyTo(colours);
        colours[Transparent] = default;

        using var png = PngWriter.Indexed(width, height, colours, alphas, ordered: true);
        var row = ArrayPool<byte>.Shared.Rent(width);
        var scratch = ArrayPool<float>.Shared.Rent(width);
        try
        {
            var indices = row.AsSpan(0, width);
            for (var y = 0; y < height; y++)
            {
                var values = rows.Row(y, scratch.AsSpan(0, width));
                for (var x = 0; x < values.Length; x++)
                {
                    var value = values[x];
                    indices[x] = float.IsNaN(value) ? (byte)Transparent : (byte)MapPalette.Index(value);
                }
                png.WriteRow(indices);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(row);
            ArrayPool<float>.Shared.Return(scratch);
        }
        return png.ToArray();
    }

    /// <summary>
    /// The photo with the heatmap blended over it, (1 − alpha) · pixel + alpha · colour, as an RGB PNG the size of
    /// <paramref name="image"/>; pixels where the map is NaN (outside the crop) keep their original colour.
    /// </summary>
    public static byte[] OverlayPng(Image<Rgb24> image, ReadOnlySpan<float> projected, Colormap colormap, float alpha) =>
        Overlay(image, projected, colormap, alpha, OverlayFormat.Png, 0);

    /// <summary>
    /// The photo with the heatmap blended over it, as <see cref="OverlayPng"/> blends it, encoded as
    /// <paramref name="format"/>; <paramref name="quality"/> (1–100) applies to JPEG and WebP.
    /// </summary>
    public static byte[] Overlay(Image<Rgb24> image, ReadOnlySpan<float> projected, Colormap colormap, float alpha, OverlayFormat format, int quality)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckSize(projected, image.Width, image.Height);
        return Overlay(image, new ProjectedRows(projected, image.Width), colormap, alpha, format, quality);
    }

    /// <summary>
    /// As <see cref="Overlay(Image{Rgb24}, ReadOnlySpan{float}, Colormap, float, OverlayFormat, int)"/>, each row projected
    /// as it is blended; <paramref name="projection"/> is the image's size.
    /// </summary>
    public static byte[] Overlay(Image<Rgb24> image, MapProjection projection, Colormap colormap, float alpha, OverlayFormat format, int quality)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(projection);
        CheckSize(projection, image.Width, image.Height);
        return Overlay(image, (IMapRows)projection, colormap, alpha, format, quality);
    }

    // Runs once per picture: optimise its loops now rather than after tiered JIT has seen enough calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static byte[] Overlay<TRows>(Image<Rgb24> image, TRows rows, Colormap colormap, float alpha, OverlayFormat format, int quality) where TRows : IMapRows, allows ref struct
    {
        Span<int> weighted = stackalloc int[3 * Levels];
        var pixelWeight = MapPalette.BlendTable(colormap, alpha, weighted);
        if (format != OverlayFormat.Png && quality is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(quality), quality, "Quality must be from 1 to 100.");
        }

        var (width, height) = (image.Width, image.Height);
        if (format == OverlayFormat.Png)
        {
            // Rows go straight into the PNG: no second full-size image.
            using var png = new PngWriter(width, height, 3);
            var row = ArrayPool<byte>.Shared.Rent(width * 3);
            var scratch = ArrayPool<float>.Shared.Rent(width);
            try
            {
                var target = MemoryMarshal.Cast<byte, Rgb24>(row.AsSpan(0, width * 3));
                for (var y = 0; y < height; y++)
                {
                    MapPalette.Blend(image.DangerousGetPixelRowMemory(y).Span, rows.Row(y, scratch.AsSpan(0, width)), weighted, pixelWeight, target);
                    png.WriteRow(row.AsSpan(0, width * 3));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(row);
                ArrayPool<float>.Shared.Return(scratch);
            }
            return png.ToArray();
        }

        // JPEG and WebP encoders take a whole image: the blended photo, disposed once encoded.
        using var blended = new Image<Rgb24>(image.GetConfiguration(), width, height);
        DrawOverlay(image, rows, weighted, pixelWeight, blended);
        using var encoded = new MemoryStream();
        IImageEncoder encoder = format == OverlayFormat.Jpeg
            ? new JpegEncoder { Quality = quality, ColorType = JpegColorType.YCbCrRatio420 }
            : new WebpEncoder { Quality = quality, FileFormat = WebpFileFormatType.Lossy, Method = WebpEncodingMethod.Fastest };
        blended.Save(encoded, encoder);
        return encoded.ToArray();
    }

    /// <summary>
    /// Blends the heatmap over <paramref name="image"/> as <see cref="OverlayPng"/> does, into the top-left
    /// corner of <paramref name="target"/> (at least the image's size): for pictures that hold more than the
    /// overlay, such as an animation's frame with its caption.
    /// </summary>
    public static void DrawOverlay(Image<Rgb24> image, ReadOnlySpan<float> projected, Colormap colormap, float alpha, Image<Rgb24> target)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckSize(projected, image.Width, image.Height);
        DrawOverlay(image, new ProjectedRows(projected, image.Width), colormap, alpha, target);
    }

    /// <summary>As <see cref="DrawOverlay(Image{Rgb24}, ReadOnlySpan{float}, Colormap, float, Image{Rgb24})"/>, each row projected as it is blended.</summary>
    public static void DrawOverlay(Image<Rgb24> image, MapProjection projection, Colormap colormap, float alpha, Image<Rgb24> target)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(projection);
        CheckSize(projection, image.Width, image.Height);
        DrawOverlay(image, (IMapRows)projection, colormap, alpha, target);
    }

    static void DrawOverlay<TRows>(Image<Rgb24> image, TRows rows, Colormap colormap, float alpha, Image<Rgb24> target) where TRows : IMapRows, allows ref struct
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Width < image.Width || target.Height < image.Height)
        {
            throw new ArgumentException($"The target is {target.Width}×{target.Height}, smaller than the image's {image.Width}×{image.Height}.", nameof(target));
        }
        Span<int> weighted = stackalloc int[3 * Levels];
        var pixelWeight = MapPalette.BlendTable(colormap, alpha, weighted);
        DrawOverlay(image, rows, weighted, pixelWeight, target);
    }

    // Runs once per picture: optimise its loops now rather than after tiered JIT has seen enough calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void DrawOverlay<TRows>(Image<Rgb24> image, TRows rows, ReadOnlySpan<int> weighted, int pixelWeight, Image<Rgb24> target) where TRows : IMapRows, allows ref struct
    {
        var width = image.Width;
        var scratch = ArrayPool<float>.Shared.Rent(width);
        try
        {
            for (var y = 0; y < image.Height; y++)
            {
                MapPalette.Blend(image.DangerousGetPixelRowMemory(y).Span, rows.Row(y, scratch.AsSpan(0, width)), weighted, pixelWeight,
                    target.DangerousGetPixelRowMemory(y).Span[..width]);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>The colormap's colour at <paramref name="value"/>, clamped to [0, 1]: the nearest of its <see cref="Levels"/> samples.</summary>
    public static Rgb24 Colour(Colormap colormap, float value)
    {
        if (float.IsNaN(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A colormap has no colour for NaN.");
        }
        return MapPalette.Of(colormap)[MapPalette.Index(value)];
    }

    /// <summary>
    /// Colours a map is drawn with: 255 evenly spaced samples of the colormap, so that a heatmap PNG's
    /// palette keeps one entry free for transparency.
    /// </summary>
    public const int Levels = MapPalette.Levels;

    const int Transparent = Levels;

    static void CheckSize(ReadOnlySpan<float> projected, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (projected.Length != (long)width * height)
        {
            throw new ArgumentException($"The projected map has {projected.Length} values, not {width}×{height}.", nameof(projected));
        }
    }

    static void CheckSize(MapProjection projection, int width, int height)
    {
        if (projection.Width != width || projection.Height != height)
        {
            throw new ArgumentException($"The projection is {projection.Width}×{projection.Height}, not the image's {width}×{height}.", nameof(projection));
        }
    }
}
