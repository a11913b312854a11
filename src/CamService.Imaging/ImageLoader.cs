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

    /// <summary>Why a header was refused.</summary>
    internal const string HeaderUnreadable = "its header cannot be read.";

    /// <summary>Why: the decoded image is not the size its header declared, to ImageSharp or to libjpeg-turbo.</summary>
    internal const string HeadersDisagree = "its headers disagree about its size.";

    /// <summary>Why a file was refused when a decoder failed on its data.</summary>
    internal const string Damaged = "its data is damaged or not what its header declares.";

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

    /// <summary>
    /// Hands back to the system the pixel buffers this loader's pool keeps for the next image (up to
    /// <see cref="ImageLimits.MaxPoolMegabytes"/>): what a process holds once every image is done, less its caches.
    /// </summary>
    public void ReleaseRetainedMemory() => configuration.MemoryAllocator.ReleaseRetainedResources();

    /// <summary>Reads the whole stream (which need not be seekable), then loads it as <see cref="Load(ReadOnlyMemory{byte}, DecodeHint?, CancellationToken)"/> does.</summary>
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
    /// <param name="cancellationToken">
    /// The request's deadline. It is checked before decoding starts and handed to the decoders: libjpeg-turbo's path
    /// checks it between bands of rows (<see cref="NativeJpegDecoder"/>) and ImageSharp's JPEG decoder takes it into its scan decoder;
    /// ImageSharp 2.1's PNG and WebP decoders ignore it, so their time is bounded by the pixel limit and the body size.
    /// </param>
    /// <exception cref="UnsupportedImageException">Not JPEG, PNG or WebP.</exception>
    /// <exception cref="ImageTooLargeException">The header declares more than <see cref="ImageLimits.MaxPixels"/>; nothing is decoded.</exception>
    /// <exception cref="CorruptImageException">A supported format that cannot be decoded: whatever a decoder throws on it but the two below.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: the request's time ran out, not the file's fault.</exception>
    public LoadedImage Load(ReadOnlyMemory<byte> bytes, DecodeHint? hint = null, CancellationToken cancellationToken = default)
    {
        var data = bytes.Span;
        using var stream = ReadOnlyStream(bytes);
        var (name, decoder, info) = Identify(data, stream, cancellationToken);
        CheckWhole(data, name);
        cancellationToken.ThrowIfCancellationRequested();
        return Decode(decoder, stream, data, name, info, hint, cancellationToken);
    }

    /// <summary>The file holds the pixels its header declares: not truncated, and a PNG's image data long enough.</summary>
    static void CheckWhole(ReadOnlySpan<byte> data, string name)
    {
        if (EncodedImage.FindTruncation(data, name) is { } truncation)
        {
            throw new CorruptImageException(name, truncation + ".");
        }
        if (name == "png" && PngDataCheck.Problem(data) is { } shortfall)
        {
            throw new CorruptImageException(name, shortfall + ".");
        }
    }

    /// <summary>The pixels, upright, by the native JPEG decoder where it serves, else by ImageSharp.</summary>
    LoadedImage Decode(IImageDecoder decoder, Stream stream, ReadOnlySpan<byte> data, string name, IImageInfo info, DecodeHint? hint,
        CancellationToken cancellationToken)
    {
        Image<Rgb24>? image = null;
        try
        {
            var orientation = ReadOrientation(info.Metadata.ExifProfile);
            if (name == "jpeg" && limits.NativeJpeg)
            {
                image = NativeJpegDecoder.Decode(data, new Size(info.Width, info.Height), hint ?? DecodeHint.FullSize, configuration, cancellationToken);
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
                image = decoder.Decode<Rgb24>(configuration, stream, cancellationToken);
                if (image.Width != info.Width || image.Height != info.Height)
                {
                    throw new CorruptImageException(name, HeadersDisagree);
                }
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
            throw Corrupt(name, e);
        }
        catch
        {
            image?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What the header alone declares, checked as <see cref="Load(ReadOnlyMemory{byte}, DecodeHint?, CancellationToken)"/>
    /// checks it — a supported format, a readable header, at most <see cref="ImageLimits.MaxPixels"/> — and nothing decoded:
    /// the check an upload passes before it may wait for an explanation slot, so a file refused by its header costs no slot.
    /// </summary>
    /// <returns>The upright size: the header's, turned where the EXIF orientation turns the image.</returns>
    /// <exception cref="UnsupportedImageException">Not JPEG, PNG or WebP.</exception>
    /// <exception cref="ImageTooLargeException">The header declares more than <see cref="ImageLimits.MaxPixels"/>.</exception>
    /// <exception cref="CorruptImageException">The header cannot be read or declares no pixels.</exception>
    public Size ReadHeader(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        using var stream = ReadOnlyStream(bytes);
        var (_, _, info) = Identify(bytes.Span, stream, cancellationToken);
        return ReadOrientation(info.Metadata.ExifProfile) is >= 5 and <= 8
            ? new Size(info.Height, info.Width)
            : new Size(info.Width, info.Height);
    }

    /// <summary>ImageSharp 2.1 identifies only streams; this one reads the caller's array without a copy.</summary>
    static MemoryStream ReadOnlyStream(ReadOnlyMemory<byte> bytes) => MemoryMarshal.TryGetArray(bytes, out var array)
        ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
        : new MemoryStream(bytes.ToArray(), writable: false);

    /// <summary>The format, its decoder and the header's declarations, refused unless supported, readable and within the pixel limit.</summary>
    (string Name, IImageDecoder Decoder, IImageInfo Info) Identify(ReadOnlySpan<byte> data, Stream stream, CancellationToken cancellationToken)
    {
        var format = Image.DetectFormat(configuration, data);
        if (format is null)
        {
            throw new UnsupportedImageException(EncodedImage.Describe(data));
        }
        var name = FormatName(format);
        var decoder = configuration.ImageFormatsManager.FindDecoder(format);

        IImageInfo info;
        try
        {
            info = ((IImageInfoDetector)decoder).Identify(configuration, stream, cancellationToken)
                ?? throw new CorruptImageException(name, HeaderUnreadable);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw Corrupt(name, e);
        }
        if (info.Width < 1 || info.Height < 1)
        {
            throw new CorruptImageException(name, "its header declares no pixels.");
        }
        if ((long)info.Width * info.Height > limits.MaxPixels)
        {
            throw new ImageTooLargeException(info.Width, info.Height, limits.MaxPixels);
        }
        return (name, decoder, info);
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
    /// Whether an exception from a decoder means the file is bad. Decoders are parsers of hostile bytes, and
    /// what they throw on them is open-ended: ImageSharp's own exceptions, zlib's, index and argument errors
    /// where a header lies about sizes, and its own bugs (ImageSharp 2.1.13 throws NullReferenceException
    /// identifying some damaged WebP and JPEG files). All of those say "this file cannot be decoded", so all
    /// are a 422 — an OutOfMemoryException too: pixel buffers come from an allocator whose limit follows the
    /// pixel limit, so a decoder that runs out of memory was asked for a size the file declared (an array
    /// beyond .NET's largest, say). Cancellation is not about the file (the request's deadline passed) and
    /// keeps its meaning; our own refusals pass through as they are.
    /// </summary>
    static bool IsDecodeFailure(Exception e) =>
        e is not (OperationCanceledException or CorruptImageException or ImageTooLargeException or UnsupportedImageException);

    /// <summary>
    /// A fixed reason for the client: what is wrong, never the decoder's own words (its messages name internal
    /// types, offsets and sizes). The decoder's exception travels as the inner exception, for the log.
    /// </summary>
    static CorruptImageException Corrupt(string format, Exception e) => new(format, e switch
    {
        InvalidMemoryOperationException or OutOfMemoryException => "it declares buffers larger than the service allows.",
        NotSupportedException => "it uses a variant of the format this service does not decode.",
        _ => Damaged,
    }, e);
}
