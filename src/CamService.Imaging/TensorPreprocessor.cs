using System.Runtime.CompilerServices;
using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace CamService.Imaging;

/// <summary>
/// Builds the model input from an image the way torchvision's evaluation transforms do:
/// Resize + CenterCrop (or a plain resize) + ToTensor + Normalize, with the channel order and layout the
/// model's metadata asks for.
/// </summary>
public static class TensorPreprocessor
{
    /// <summary>
    /// Resizes <paramref name="image"/> with the <see cref="InputPreprocessing.Resampler"/>
    /// (antialiased when shrinking, as PIL is), takes the model's window (see <see cref="InputGeometry"/>),
    /// computes (pixel · PixelScale − Mean[c]) / Std[c] for each model channel c, and writes the result in
    /// the model's channel order and layout. Pixels torchvision would pad (a crop larger than the resized
    /// image) are 0 before normalisation, as in torchvision.
    /// </summary>
    /// <param name="image">The upright image, e.g. <see cref="LoadedImage.Pixels"/>; it is not modified.</param>
    /// <param name="preprocessing">The model's input, as its metadata describes it.</param>
    /// <param name="mode">Stretch the whole image, or resize the shorter side and centre-crop.</param>
    /// <param name="destination">Exactly 3 · Height · Width floats.</param>
    /// <returns>Where each image pixel landed in the input.</returns>
    // Runs once per request: optimise its loops now rather than after tiered JIT has seen enough calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static InputGeometry Fill(Image<Rgb24> image, InputPreprocessing preprocessing, ResizeMode mode, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(preprocessing);
        var geometry = InputGeometry.Create(image.Width, image.Height, preprocessing, mode);
        using var resized = image.Clone(x => x.Resize(new ResizeOptions
        {
            Size = new Size(geometry.ResizedWidth, geometry.ResizedHeight),
            Sampler = preprocessing.Resampler,
            Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch,
        }));
        Fill(resized, geometry, preprocessing, destination);
        return geometry;
    }

    /// <summary>
    /// As <see cref="Fill(Image{Rgb24}, InputPreprocessing, ResizeMode, Span{float})"/>, resampling from the smallest
    /// halving of a large photo that keeps <see cref="ImageReduction.ModelGap"/> (see <see cref="LoadedImage.Resized"/>,
    /// which keeps the resized image for the request's other models); the geometry is the full image's.
    /// </summary>
    public static InputGeometry Fill(LoadedImage image, InputPreprocessing preprocessing, ResizeMode mode, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(preprocessing);
        var geometry = InputGeometry.Create(image.Width, image.Height, preprocessing, mode);
        Fill(image.Resized(geometry.ResizedWidth, geometry.ResizedHeight, preprocessing.Resampler, ImageReduction.ModelGap), geometry, preprocessing, destination);
        return geometry;
    }

    /// <summary>Crops, pads and normalises <paramref name="resized"/>, the image at the geometry's resized size, into the input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Fill(Image<Rgb24> resized, InputGeometry geometry, InputPreprocessing preprocessing, Span<float> destination)
    {
        var (width, height) = (geometry.InputWidth, geometry.InputHeight);
        if (destination.Length != 3 * width * height)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats; a 3×{height}×{width} input needs {3 * width * height}.", nameof(destination));
        }

        // The resized image is small (a few hundred pixels a side), so one copy into a pooled buffer gives
        // plain span access without a per-row delegate that could not capture the destination span anyway.
        var (resizedWidth, resizedHeight) = (geometry.ResizedWidth, geometry.ResizedHeight);
        var pixels = ArrayPool<Rgb24>.Shared.Rent(resizedWidth * resizedHeight);
        try
        {
            resized.CopyPixelDataTo(pixels.AsSpan(0, resizedWidth * resizedHeight));
            var bytes = MemoryMarshal.AsBytes(pixels.AsSpan(0, resizedWidth * resizedHeight));

            // One lookup table per model channel turns an 8-bit value into its normalised float.
            Span<float> lookup = stackalloc float[3 * 256];
            for (var channel = 0; channel < 3; channel++)
            {
                FillLookup(preprocessing, channel, lookup.Slice(channel * 256, 256));
            }
            var (first, third) = preprocessing.Bgr ? (2, 0) : (0, 2); // source byte (R=0, G=1, B=2) for model channels 0 and 2
            var plane = width * height;
            for (var v = 0; v < height; v++)
            {
                var sourceY = v + geometry.CropTop;
                var row = (uint)sourceY < (uint)resizedHeight ? bytes.Slice(sourceY * resizedWidth * 3, resizedWidth * 3) : [];
                for (var u = 0; u < width; u++)
                {
                    var sourceX = u + geometry.CropLeft;
                    int r = 0, g = 0, b = 0; // torchvision pads with 0
                    if (!row.IsEmpty && (uint)sourceX < (uint)resizedWidth)
                    {
                        var at = sourceX * 3;
                        (r, g, b) = (row[at + first], row[at + 1], row[at + third]);
                    }
                    var (c0, c1, c2) = (lookup[r], lookup[256 + g], lookup[512 + b]);
                    var index = v * width + u;
                    if (preprocessing.ChannelsLast)
                    {
                        destination[3 * index] = c0;
                        destination[3 * index + 1] = c1;
                        destination[3 * index + 2] = c2;
                    }
                    else
                    {
                        destination[index] = c0;
                        destination[plane + index] = c1;
                        destination[2 * plane + index] = c2;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<Rgb24>.Shared.Return(pixels);
        }
    }

    /// <summary>(value · scale − mean) / std for the 256 byte values, in float32 like torchvision.</summary>
    static void FillLookup(InputPreprocessing preprocessing, int channel, Span<float> lookup)
    {
        for (var value = 0; value < lookup.Length; value++)
        {
            lookup[value] = value;
        }
        TensorPrimitives.Multiply(lookup, preprocessing.PixelScale, lookup);
        TensorPrimitives.Subtract(lookup, preprocessing.Mean[channel], lookup);
        TensorPrimitives.Divide(lookup, preprocessing.Std[channel], lookup);
    }
}
