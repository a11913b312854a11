namespace CamService.Imaging;

// Bad input, as opposed to a bug: the service maps each to its own problem response (415, 413, 422),
// so each carries what a client needs to fix its request.

/// <summary>The bytes are not JPEG, PNG or WebP.</summary>
public sealed class UnsupportedImageException : Exception
{
    public const string Accepted = "JPEG, PNG or WebP";

    public UnsupportedImageException(string detected)
        : base($"Unsupported image format: {detected}. Accepted formats are {Accepted}.")
    {
        Detected = detected;
    }

    /// <summary>What the bytes looked like, e.g. "GIF image" or "unrecognised data".</summary>
    public string Detected { get; }
}

/// <summary>The header declares more pixels than <see cref="ImageLimits.MaxPixels"/>; nothing was decoded.</summary>
public sealed class ImageTooLargeException : Exception
{
    public ImageTooLargeException(int width, int height, long limit)
        : base($"The image is {width}×{height} ({(long)width * height:N0} pixels); at most {limit:N0} pixels are accepted.")
    {
        Width = width;
        Height = height;
        Limit = limit;
    }

    public int Width { get; }

    public int Height { get; }

    public long Limit { get; }
}

/// <summary>A supported format whose data cannot be decoded: truncated, corrupt or garbage.</summary>
public sealed class CorruptImageException : Exception
{
    public CorruptImageException(string format, string reason, Exception? inner = null)
        : base($"The {format.ToUpperInvariant()} image cannot be decoded: {reason}", inner)
    {
        Format = format;
    }

    /// <summary>"jpeg", "png" or "webp".</summary>
    public string Format { get; }
}
