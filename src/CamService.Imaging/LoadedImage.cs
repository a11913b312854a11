using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace CamService.Imaging;

/// <summary>
/// A decoded, upright RGB image: what the model and the heatmap both see. It keeps the smaller
/// versions made from it (halvings, the models' resized inputs, the size pictures are drawn at), so that several models and
/// several pictures of one request shrink a large photo once; they are disposed with it. Safe to
/// share between the threads of one request.
/// </summary>
public sealed class LoadedImage : IDisposable
{
    readonly Lock gate = new();
    readonly List<Image<Rgb24>> halvings = [];
    bool disposed;
    readonly Dictionary<(int Width, int Height, IResampler Sampler, double Gap), Lazy<Image<Rgb24>>> resized = [];

    internal LoadedImage(Image<Rgb24> pixels, string format, ushort? exifOrientation, int width, int height)
    {
        Pixels = pixels;
        Format = format;
        ExifOrientation = exifOrientation;
        Width = width;
        Height = height;
    }

    /// <summary>
    /// Pixels with the EXIF orientation already applied, so row 0 is the top a person sees: the whole image, or
    /// the same view at a reduced size when it was decoded for a <see cref="DecodeHint"/> that allowed one.
    /// </summary>
    public Image<Rgb24> Pixels { get; }

    /// <summary>The upright image's width in pixels (of the file, whatever size <see cref="Pixels"/> were decoded at).</summary>
    public int Width { get; }

    /// <summary>The upright image's height in pixels.</summary>
    public int Height { get; }

    /// <summary>"jpeg", "png" or "webp".</summary>
    public string Format { get; }

    /// <summary>The EXIF orientation tag (1–8) the file carried, already applied to <see cref="Pixels"/>; null when absent.</summary>
    public ushort? ExifOrientation { get; }

    /// <summary>
    /// The smallest halving of the image (<see cref="ImageReduction.Halve"/>, repeated) that is still at least
    /// <paramref name="gap"/> times <paramref name="width"/>×<paramref name="height"/>: the image itself when
    /// no halving is; made on first use and kept.
    /// </summary>
    public Image<Rgb24> Reduced(int width, int height, double gap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        bool Fits(int w, int h) => w >= gap * width && h >= gap * height;
        lock (gate)
        {
            var current = Pixels;
            for (var level = 0; Fits(current.Width / 2, current.Height / 2); level++)
            {
                if (level == halvings.Count)
                {
                    halvings.Add(ImageReduction.Halve(current));
                }
                current = halvings[level];
            }
            return current;
        }
    }

    /// <summary>
    /// The image at <paramref name="width"/>×<paramref name="height"/> for drawing pictures on: itself at its own
    /// size, else resampled (bilinear, antialiased) from the smallest halving at least that large. The filter
    /// then covers the rest of the reduction (less than 2×); a larger source, as for a model's input, would
    /// cost more than the pictures are worth (a 12 MP JPEG decoded at 3/8 rather than 1/2 size: 10 % off the
    /// request).
    /// </summary>
    public Image<Rgb24> Display(int width, int height) =>
        width == Pixels.Width && height == Pixels.Height ? Pixels : Resized(width, height, KnownResamplers.Triangle, gap: 1);

    /// <summary>
    /// The image resampled to <paramref name="width"/>×<paramref name="height"/> with <paramref name="sampler"/>,
    /// from the smallest halving that keeps <paramref name="gap"/> (see <see cref="Reduced"/>); made on first use
    /// and kept, so the models of a request that share a preprocessing (the three default ones do) resize once.
    /// A caller that asks while another is making it waits for that one: the models' runs start side by side and
    /// their pictures are drawn as each run ends, so each used to make its own copy (on a 12 MP photo, the
    /// 1280 px picture's photo three times, 30 ms of a core each).
    /// </summary>
    public Image<Rgb24> Resized(int width, int height, IResampler sampler, double gap)
    {
        // The gap is part of the key: a model's input and a picture of the same size come from different halvings.
        var key = (width, height, sampler, gap);
        Lazy<Image<Rgb24>> entry;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!resized.TryGetValue(key, out entry!))
            {
                resized[key] = entry = new Lazy<Image<Rgb24>>(() => Reduced(width, height, gap).Clone(x => x.Resize(new ResizeOptions
                {
                    Size = new Size(width, height),
                    Sampler = sampler,
                    Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch,
                })), LazyThreadSafetyMode.ExecutionAndPublication);
            }
        }
        return entry.Value;
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            foreach (var image in halvings.Concat(resized.Values.Where(r => r.IsValueCreated).Select(r => r.Value)))
            {
                image.Dispose();
            }
            halvings.Clear();
            resized.Clear();
        }
        Pixels.Dispose();
    }
}
