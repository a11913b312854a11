using CamService.Imaging.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;

namespace CamService.Imaging.Tests;

/// <summary>
/// Only JPEG, PNG and WebP reach a decoder. ImageSharp's advisories name decoders this service does not register
/// (TIFF's CCITT decompressors among them), which is what makes ImageSharp 2.1 acceptable here: every format
/// ImageSharp can write is written and uploaded, and all but those three must be refused before decoding, so a
/// format registered by mistake, or one a later ImageSharp adds to its defaults, fails here.
/// </summary>
public sealed class RegisteredFormatsTests
{
    static readonly ImageLoader Loader = new(new ImageLimits());

    static readonly string[] Decoded = ["JPEG", "PNG", "Webp"];

    public static TheoryData<string> EveryFormatImageSharpKnows =>
        new(Configuration.Default.ImageFormats.Select(f => f.Name).Order());

    [Fact]
    public void ImageSharpStillKnowsMoreFormats_SoTheRefusalsBelowAreTested()
    {
        var known = Configuration.Default.ImageFormats.Select(f => f.Name).ToList();

        Assert.Superset(Decoded.ToHashSet(), known.ToHashSet());
        Assert.Contains("TIFF", known);
        Assert.True(known.Count > Decoded.Length, $"ImageSharp knows only {string.Join(", ", known)}.");
    }

    [Theory]
    [MemberData(nameof(EveryFormatImageSharpKnows))]
    public void AnUpload_IsDecoded_OnlyWhenItIsJpegPngOrWebp(string format)
    {
        var bytes = Encode(Configuration.Default.ImageFormats.Single(f => f.Name == format));

        if (Decoded.Contains(format))
        {
            using var loaded = Loader.Load(bytes);
            Assert.Equal((16, 12), (loaded.Pixels.Width, loaded.Pixels.Height));
        }
        else
        {
            var error = Assert.Throws<UnsupportedImageException>(() => Loader.Load(bytes));
            Assert.Contains("JPEG, PNG or WebP", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(TiffCompression.CcittGroup3Fax)]
    [InlineData(TiffCompression.Ccitt1D)]
    public void TiffWithCcittCompression_NeverReachesADecoder(TiffCompression compression)
    {
        using var source = TestImages.Quadrants(16, 12);
        var bytes = TestImages.Encode(source, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit1, Compression = compression });

        var error = Assert.Throws<UnsupportedImageException>(() => Loader.Load(bytes));

        Assert.Equal("TIFF image", error.Detected);
    }

    static byte[] Encode(IImageFormat format)
    {
        using var source = TestImages.Quadrants(16, 12);
        var encoder = Configuration.Default.ImageFormatsManager.FindEncoder(format)
            ?? throw new Xunit.Sdk.XunitException($"ImageSharp has no encoder for {format.Name}: write a sample of it by hand.");
        return TestImages.Encode(source, encoder);
    }
}
