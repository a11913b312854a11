using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CamService.Fuzzing;

/// <summary>
/// Valid files of each format the service decodes, for the mutator to start from: small synthetic images in the
/// encoders' variants (colour types, bit depths, interlacing, subsampling, lossy and lossless WebP, an EXIF
/// orientation), and the sample photos (a real camera JPEG as it is, and crops of the others), so mutations
/// reach the code paths real uploads take. Small, so that one input costs a millisecond or so.
/// </summary>
public sealed class SeedImages
{
    SeedImages(IReadOnlyList<byte[]> jpeg, IReadOnlyList<byte[]> png, IReadOnlyList<byte[]> webp)
    {
        Jpeg = jpeg;
        Png = png;
        Webp = webp;
    }

    public IReadOnlyList<byte[]> Jpeg { get; }

    public IReadOnlyList<byte[]> Png { get; }

    public IReadOnlyList<byte[]> Webp { get; }

    public IReadOnlyList<byte[]> Of(FuzzFormat format) => format switch
    {
        FuzzFormat.Jpeg => Jpeg,
        FuzzFormat.Png => Png,
        FuzzFormat.Webp => Webp,
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>Every seed of every format, smallest first: what the request targets put in their 'image'.</summary>
    public IReadOnlyList<byte[]> All => [.. Jpeg.Concat(Png).Concat(Webp).OrderBy(s => s.Length)];

    public static SeedImages Create()
    {
        using var gradient = Gradient(48, 32);
        using var noise = TestImages.Noise(24, 40, seed: 20);
        using var patch = TestImages.RedPatch(32, 32, new Rectangle(0, 0, 8, 8));
        using var translucent = gradient.CloneAs<Rgba32>();
        var photos = new[] { "chelsea.png", "coffee.png", "astronaut.png" }.Select(name =>
        {
            using var photo = Image.Load<Rgb24>(SamplePhotos.PathOf(name));
            return photo.Clone(x => x.Crop(new Rectangle(photo.Width / 3, photo.Height / 3, 96, 64)));
        }).ToList();
        try
        {
            var jpeg = new List<byte[]>
            {
                File.ReadAllBytes(SamplePhotos.PathOf("rocket.jpg")),
                Encode(gradient, new JpegEncoder { Quality = 90, ColorType = JpegColorType.YCbCrRatio420 }),
                Encode(noise, new JpegEncoder { Quality = 50, ColorType = JpegColorType.YCbCrRatio444 }),
                Encode(patch, new JpegEncoder { Quality = 75, ColorType = JpegColorType.Luminance }),
                Encode(gradient, new JpegEncoder { Quality = 95, ColorType = JpegColorType.YCbCrRatio422 }),
                TestImages.Jpeg(gradient, orientation: 6),
            };
            var png = new List<byte[]>
            {
                Encode(gradient, new PngEncoder { ColorType = PngColorType.Rgb }),
                Encode(noise, new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit16 }),
                Encode(patch, new PngEncoder { ColorType = PngColorType.Palette }),
                Encode(gradient, new PngEncoder { ColorType = PngColorType.Grayscale, InterlaceMethod = PngInterlaceMode.Adam7 }),
                Encode(noise, new PngEncoder { ColorType = PngColorType.GrayscaleWithAlpha }),
            };
            var webp = new List<byte[]>
            {
                Encode(gradient, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy }),
                Encode(noise, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }),
                Encode(patch, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless, NearLossless = true }),
                Encode(translucent, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, UseAlphaCompression = true }),
            };
            foreach (var photo in photos)
            {
                jpeg.Add(Encode(photo, new JpegEncoder { Quality = 85 }));
                png.Add(Encode(photo, new PngEncoder()));
                webp.Add(Encode(photo, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy }));
            }
            return new SeedImages(jpeg, png, webp);
        }
        finally
        {
            photos.ForEach(p => p.Dispose());
        }
    }

    static Image<Rgb24> Gradient(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)(255 * x / width), (byte)(255 * y / height), 128);
                }
            }
        });
        return image;
    }

    static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder) where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
