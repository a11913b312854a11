using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CamService.Imaging;

/// <summary>
/// Turns untrusted upload bytes into an upright RGB image, or into one of three exceptions that say what
/// was wrong with them. Build one per service and share it: it holds only immutable configuration.
/// </summary>
public sealed class ImageLoader
{
    /// <summary>
    /// The largest single buffer a decoder needs for an image at the pixel limit: ImageSharp works in
    /// Vector4 (16 bytes per pixel) at most. Anything bigger is a bug or an attack, and the allocator refuses it.
    /// </summary>
    const int MaxBytesPerPixel = 16;

    /// <summary>Floor for that limit: decoders' fixed working buffers do not shrink with a small pixel limit.</summary>
    const long MinAllocationLimitMegabytes = 64;

    readonly ImageLimits limits;
    readonly Configuration configuration;

    public ImageLoader(ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        this.limits = limits;
        // Only the formats we accept are registered, so a GIF, BMP or TIFF never reaches a decoder: less
        // code exposed to hostile input, and one place that decides what "supported" means.
        configuration = new Configuration(new JpegConfigurationModule(), new PngConfigurationModule(), new WebpConfigurationModule())
        {
            // One thread per image operation: the service hands out cores per piece of work (decoding a
            // photo, drawing a picture), and ImageSharp spreading one over every core would oversubscribe them.
            MaxDegreeOfParallelism = 1,
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                MaximumPoolSizeMegabytes = limits.MaxPoolMegabytes,
                AllocationLimitMegabytes = (int)Math.Clamp(limits.MaxPixels * MaxBytesPerPixel >> 20, MinAllocationLimitMegabytes, int.MaxValue),
            }),
        };
    }

    /// <summary>Reads the whole stream (which need not be seekable), then loads it as <see cref="Load(ReadOnlyMemory{byte}, DecodeHint?)"/> does.</summary>
    public LoadedImage Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        // The truncation check needs every byte anyway, and ImageSharp needs to read the header twice
        // (identify, then decode); a MemoryStream we already hold is used without a copy.
        if (stream is MemoryStream memory && memory.TryGetBuffer(out var buffer))
        {
            return Load(buffer.AsMemory((int)memory.Position));
        }
        using var copy = stream.CanSeek ? new MemoryStream(checked((int)Math.Max(0, stream.Length - stream.Position))) : new MemoryStream();
        stream.CopyTo(copy);
        return Load(copy.GetBuffer().AsMemory(0, (int)copy.Length));
    }

    /// <summary>
    /// Identifies the header, checks the pixel limit, checks the file is complete, decodes to RGB and
    /// applies the EXIF orientation. A JPEG may be decoded at a reduced size that still satisfies
    /// <paramref name="hint"/> (<see cref="ImageLimits.NativeJpeg"/>); the image's size is the full one either way.
    /// </summary>
    /// <param name="bytes">The uploaded file.</param>
    /// <param name="hint">How large the pixels must stay; null (or <see cref="DecodeHint.FullSize"/>) keeps every pixel.</param>
    /// <exception cref="UnsupportedImageException">Not JPEG, PNG or WebP.</exception>
    /// <exception cref="ImageTooLargeException">The header declares more than <see cref="ImageLimits.MaxPixels"/>; nothing is decoded.</exception>
    /// <exception cref="CorruptImageException">A supported format that cannot be decoded.</exception>
    public LoadedImage Load(ReadOnlyMemory<byte> bytes, DecodeHint? hint = null)
    {
        var data = bytes.Span;
        // ImageSharp 2.1 identifies only streams; this one reads the caller's array without a copy.
        using var stream = MemoryMarshal.TryGetArray(bytes, out var array)
            ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);
        var format = Image.DetectFormat(configuration, data);
        if (format is null)
        {
            throw new UnsupportedImageException(EncodedImage.Describe(data));
        }
        var name = FormatName(format);

        IImageInfo info;
        try
        {
            info = Image.Identify(configuration, stream)
                ?? throw new CorruptImageException(name, "its header cannot be read.");
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw new CorruptImageException(name, Reason(e), e);
        }
        if ((long)info.Width * info.Height > limits.MaxPixels)
        {
            throw new ImageTooLargeException(info.Width, info.Height, limits.MaxPixels);
        }
        if (EncodedImage.FindTruncation(data, name) is { } truncation)
        {
            throw new CorruptImageException(name, truncation + ".");
        }

        Image<Rgb24>? image = null;
        try
        {
            var orientation = ReadOrientation(info.Metadata.ExifProfile);
            if (name == "jpeg" && limits.NativeJpeg)
            {
                image = NativeJpegDecoder.Decode(data, hint ?? DecodeHint.FullSize, configuration);
                if (orientation is > 1 and <= 8)
                {
                    // The native decoder leaves the pixels as stored; AutoOrient reads the tag from the image.
                    image.Metadata.ExifProfile = new ExifProfile();
                    image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation.Value);
                }
            }
            else
            {
                stream.Position = 0;
                image = Image.Load<Rgb24>(configuration, stream);
            }
            // Rotate/flip the pixels once here so that everything downstream (model input, geometry,
            // heatmap) works in the upright frame a person sees; AutoOrient also resets the tag to 1.
            image.Mutate(x => x.AutoOrient());
            var turned = orientation is >= 5 and <= 8;
            return new LoadedImage(image, name, orientation, turned ? info.Height : info.Width, turned ? info.Width : info.Height);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            image?.Dispose();
            throw new CorruptImageException(name, Reason(e), e);
        }
    }

    static ushort? ReadOrientation(ExifProfile? exif) =>
        exif?.GetValue(ExifTag.Orientation) is { } tag ? tag.Value : null;

    static string FormatName(IImageFormat format) => format switch
    {
        JpegFormat => "jpeg",
        PngFormat => "png",
        WebpFormat => "webp",
        _ => throw new InvalidOperationException($"Format {format.Name} is registered but not mapped."),
    };

    /// <summary>
    /// What decoders throw on malformed data. Besides ImageSharp's own exceptions, zlib's InvalidDataException
    /// (PNG bodies) and the index/argument errors a decoder hits when a header lies about sizes.
    /// </summary>
    static bool IsDecodeFailure(Exception e) => e is ImageFormatException or InvalidDataException or EndOfStreamException
        or NotSupportedException or IndexOutOfRangeException or ArgumentException or InvalidMemoryOperationException;

    static string Reason(Exception e) => e switch
    {
        NotSupportedException => $"it uses a variant we cannot decode ({e.Message.TrimEnd('.')}).",
        InvalidMemoryOperationException => "it declares buffers larger than the allocator allows.",
        _ => e.Message.TrimEnd('.') + ".",
    };
}
