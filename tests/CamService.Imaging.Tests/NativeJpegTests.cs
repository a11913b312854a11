using CamService.Imaging.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CamService.Imaging.Tests;

/// <summary>
/// JPEGs are decoded by libjpeg-turbo at the smallest of its scales the request can use: the pixels are
/// the same view as a full decode shrunk, upright as the EXIF orientation says, while the image keeps
/// its full size; without a hint, or with native decoding off, every pixel is decoded.
/// </summary>
public sealed class NativeJpegTests
{
    static readonly ImageLoader Native = new(new ImageLimits());
    static readonly ImageLoader Managed = new(new ImageLimits { NativeJpeg = false });

    [Theory]
    [InlineData((ushort)1)]
    [InlineData((ushort)3)]
    [InlineData((ushort)6)]
    [InlineData((ushort)8)]
    public void WithAHint_DecodesAtTheSmallestScaleThatSatisfiesIt_Upright(ushort orientation)
    {
        using var stored = TestImages.Quadrants(800, 600);
        var jpeg = Jpeg(stored, orientation);

        using var reduced = Native.Load(jpeg, new DecodeHint(LongSide: 250, ShortSide: 180));
        using var full = Managed.Load(jpeg);

        var turned = orientation is 6 or 8;
        Assert.Equal(turned ? (600, 800) : (800, 600), (reduced.Width, reduced.Height));
        Assert.Equal((full.Width, full.Height), (reduced.Width, reduced.Height));
        // 1/8 is 100×75 and 2/8 is 200×150, too small; 3/8 is 300×225.
        Assert.Equal(turned ? (225, 300) : (300, 225), (reduced.Pixels.Width, reduced.Pixels.Height));
        using var expected = full.Pixels.Clone(x => x.Resize(reduced.Pixels.Width, reduced.Pixels.Height));
        foreach (var (u, v) in new[] { (0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75) })
        {
            var (x, y) = ((int)(u * expected.Width), (int)(v * expected.Height));
            Assert.True(TestImages.Distance(expected[x, y], reduced.Pixels[x, y]) < 12, $"({u}, {v}): {expected[x, y]} against {reduced.Pixels[x, y]}");
        }
    }

    [Fact]
    public void WithoutAHint_EveryPixelIsDecoded_AndMatchesTheManagedDecoder()
    {
        using var stored = TestImages.Gradient(160, 120);
        var jpeg = Jpeg(stored, 1);

        using var native = Native.Load(jpeg);
        using var managed = Managed.Load(jpeg);

        Assert.Equal((160, 120), (native.Pixels.Width, native.Pixels.Height));
        var worst = 0;
        for (var y = 0; y < 120; y += 7)
        {
            for (var x = 0; x < 160; x += 7)
            {
                worst = Math.Max(worst, TestImages.Distance(native.Pixels[x, y], managed.Pixels[x, y]));
            }
        }
        // Two JPEG decoders differ in their IDCT and upsampling by a few levels at most.
        Assert.True(worst <= 6, $"largest difference {worst}");
    }

    [Fact]
    public void NativeOff_DecodesInManagedCode_AtFullSize_WhateverTheHint()
    {
        using var stored = TestImages.Quadrants(800, 600);

        using var loaded = Managed.Load(Jpeg(stored, 1), new DecodeHint(100, 100));

        Assert.Equal((800, 600), (loaded.Pixels.Width, loaded.Pixels.Height));
    }

    [Fact]
    public void CorruptScan_IsACorruptImage_NotACrash()
    {
        using var stored = TestImages.Gradient(256, 256);
        var jpeg = Jpeg(stored, 1);
        // Keep the headers and the end marker; fill the entropy-coded data with marker bytes libjpeg-turbo cannot read.
        var start = jpeg.Length / 2;
        for (var i = start; i < start + 200; i++)
        {
            jpeg[i] = 0xFF;
        }
        jpeg[start + 1] = 0xD9; // an early end of image inside the scan

        var error = Record.Exception(() => Native.Load(jpeg, new DecodeHint(64, 64)).Dispose());

        // libjpeg-turbo may also recover and decode the damaged rows; either way nothing but a corrupt-image error escapes.
        Assert.True(error is null or CorruptImageException, $"unexpected {error}");
    }

    static byte[] Jpeg(Image<Rgb24> image, ushort orientation)
    {
        using var copy = image.Clone();
        copy.Metadata.ExifProfile = new ExifProfile();
        copy.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        return TestImages.Encode(copy, new JpegEncoder { Quality = 95 });
    }
}
