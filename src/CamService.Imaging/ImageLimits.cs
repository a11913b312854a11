namespace CamService.Imaging;

/// <summary>What an uploaded image may cost before we refuse it.</summary>
public sealed record ImageLimits
{
    /// <summary>Most pixels (width × height, read from the header) an image may declare: 40 MP covers every phone camera.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>
    /// Most memory ImageSharp keeps pooled between requests. The pool only saves allocations; anything over
    /// it is returned to the OS, so a burst of large uploads does not pin memory for the life of the service.
    /// </summary>
    public int MaxPoolMegabytes { get; init; } = 256;

    /// <summary>
    /// Decode JPEGs with libjpeg-turbo (through SkiaSharp), at the smallest of its DCT scales (1/8 … 1) that is
    /// still as large as the request needs (<see cref="DecodeHint"/>). On one core a 12 MP phone photo took
    /// 220 ms with ImageSharp, 137 ms with libjpeg-turbo at full size and 51 ms at half size. Off keeps every
    /// decode in managed code (ImageSharp) at full size, for those who would rather not parse uploads natively.
    /// </summary>
    public bool NativeJpeg { get; init; } = true;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, 1, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxPoolMegabytes, nameof(MaxPoolMegabytes));
    }
}
