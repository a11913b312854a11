using CamService.Imaging.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Tests;

public sealed class CamRendererTests
{
    static readonly InputPreprocessing ImageNet = InputPreprocessing.ImageNet();

    public static TheoryData<ResizeMode, int, int, int> HotCorners()
    {
        var data = new TheoryData<ResizeMode, int, int, int>();
        foreach (var mode in new[] { ResizeMode.Stretch, ResizeMode.Crop })
        {
            foreach (var (width, height) in new[] { (640, 427), (427, 640), (500, 500) })
            {
                for (var corner = 0; corner < 4; corner++)
                {
                    data.Add(mode, width, height, corner);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(HotCorners))]
    public void Project_PutsAHotCornerCellOnThatCornerOfWhatTheModelSaw(ResizeMode mode, int width, int height, int corner)
    {
        const int cells = 7;
        var (right, bottom) = (corner % 2 == 1, corner >= 2);
        var cam = new float[cells * cells];
        cam[(bottom ? cells - 1 : 0) * cells + (right ? cells - 1 : 0)] = 5f;
        var geometry = InputGeometry.Create(width, height, ImageNet, mode);

        var projected = CamRenderer.Project(cam, cells, cells, geometry, width, height);

        var seen = geometry.CoveredPixels;
        var (x, y) = (right ? seen.Right - 1 : seen.Left, bottom ? seen.Bottom - 1 : seen.Top);
        Assert.Equal(1f, projected[y * width + x]);
        // The hot region fades out within about one cell (input / 7 pixels of the model, mapped to the image).
        var cell = geometry.InputToImage(224.0 / cells, 0).X - geometry.InputToImage(0, 0).X;
        var (farX, farY) = ((int)(right ? x - 2 * cell : x + 2 * cell), y);
        Assert.Equal(0f, projected[farY * width + farX]);
        // The opposite corner of what the model saw is cold.
        var (oppositeX, oppositeY) = (right ? seen.Left : seen.Right - 1, bottom ? seen.Top : seen.Bottom - 1);
        Assert.Equal(0f, projected[oppositeY * width + oppositeX]);
        if (mode == ResizeMode.Stretch)
        {
            Assert.Equal(new Rectangle(0, 0, width, height), seen);
        }
    }

    [Theory]
    [InlineData(640, 427)]
    [InlineData(427, 640)]
    public void Project_LeavesTheMarginsACropDropsNaN(int width, int height)
    {
        var geometry = InputGeometry.Create(width, height, ImageNet, ResizeMode.Crop);
        var cam = Enumerable.Range(0, 49).Select(i => (float)i).ToArray();

        var projected = CamRenderer.Project(cam, 7, 7, geometry, width, height);

        var seen = geometry.CoveredPixels;
        Assert.True(width > height ? seen.Left > 50 && seen.Right < width - 50 : seen.Top > 50 && seen.Bottom < height - 50);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                Assert.Equal(!seen.Contains(x, y), float.IsNaN(projected[y * width + x]));
            }
        }
    }

    [Theory]
    [InlineData(ResizeMode.Crop, 640, 427, 7, 7)]
    [InlineData(ResizeMode.Crop, 427, 640, 14, 10)]
    [InlineData(ResizeMode.Stretch, 333, 517, 7, 12)]
    public void Project_SamplesTheMapAtEachPixelCentre(ResizeMode mode, int width, int height, int camHeight, int camWidth)
    {
        // A map that rises linearly with the column: bilinear interpolation reproduces it exactly, so every
        // pixel's value tells where on the map its centre landed. The expected position goes through the
        // geometry's public ImageToInput, then the map's cell-centre convention.
        var cam = new float[camHeight * camWidth];
        for (var i = 0; i < cam.Length; i++)
        {
            cam[i] = i % camWidth;
        }
        var geometry = InputGeometry.Create(width, height, ImageNet, mode);

        var projected = CamRenderer.Project(cam, camHeight, camWidth, geometry, width, height);

        var row = geometry.CoveredPixels.Top + 3;
        for (var x = geometry.CoveredPixels.Left; x < geometry.CoveredPixels.Right; x++)
        {
            var (u, _) = geometry.ImageToInput(x, row);
            var mapX = Math.Clamp((u + 0.5) * camWidth / geometry.InputWidth - 0.5, 0, camWidth - 1);
            Assert.Equal(mapX / (camWidth - 1), projected[row * width + x], 4);
        }
    }

    [Fact]
    public void Project_RendersAThumbnailOfTheSameView()
    {
        var geometry = InputGeometry.Create(640, 428, ImageNet, ResizeMode.Crop);
        var cam = new float[49];
        cam[0] = 1;

        var full = CamRenderer.Project(cam, 7, 7, geometry, 640, 428);
        var half = CamRenderer.Project(cam, 7, 7, geometry, 320, 214);

        // Half-size pixel (x, y) covers full-size pixels 2x and 2x + 1: its value lies between theirs.
        for (var y = 0; y < 214; y += 13)
        {
            for (var x = 0; x < 320; x += 7)
            {
                var (a, b) = (full[2 * y * 640 + 2 * x], full[(2 * y + 1) * 640 + 2 * x + 1]);
                var value = half[y * 320 + x];
                if (float.IsNaN(a) && float.IsNaN(b))
                {
                    Assert.True(float.IsNaN(value));
                }
                else if (!float.IsNaN(a) && !float.IsNaN(b))
                {
                    Assert.InRange(value, Math.Min(a, b) - 1e-5f, Math.Max(a, b) + 1e-5f);
                }
            }
        }
    }

    [Fact]
    public void Project_NormalisesToTheMapsRange_AndAConstantMapToZero()
    {
        var geometry = InputGeometry.Create(100, 100, ImageNet, ResizeMode.Stretch);

        var ramp = CamRenderer.Project([-3f, 1f, 5f, 9f], 2, 2, geometry, 100, 100);
        var flat = CamRenderer.Project([2f, 2f, 2f, 2f], 2, 2, geometry, 100, 100);

        Assert.Equal(0f, ramp.Min());
        Assert.Equal(1f, ramp.Max());
        Assert.All(flat, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Project_RejectsMapsItCannotNormalise()
    {
        var geometry = InputGeometry.Create(10, 10, ImageNet, ResizeMode.Stretch);

        Assert.Throws<ArgumentException>(() => CamRenderer.Project([1f, float.NaN, 0f, 0f], 2, 2, geometry, 10, 10));
        Assert.Throws<ArgumentException>(() => CamRenderer.Project([1f, float.PositiveInfinity, 0f, 0f], 2, 2, geometry, 10, 10));
        Assert.Throws<ArgumentException>(() => CamRenderer.Project([1f, 2f, 3f], 2, 2, geometry, 10, 10));
    }

    [Fact]
    public void HeatmapPng_IsAnRgbaPngOfTheImageSize_TransparentOutsideTheCrop()
    {
        var (width, height) = (300, 200);
        var geometry = InputGeometry.Create(width, height, ImageNet, ResizeMode.Crop);
        var cam = Enumerable.Range(0, 49).Select(i => (float)(i % 7)).ToArray();
        var projected = CamRenderer.Project(cam, 7, 7, geometry, width, height);

        var png = CamRenderer.HeatmapPng(projected, width, height, Colormap.Turbo);

        using var image = Image.Load<Rgba32>(png);
        Assert.Equal((width, height), (image.Width, image.Height));
        Assert.Equal("PNG", Image.DetectFormat(png)?.Name);
        for (var y = 0; y < height; y += 5)
        {
            for (var x = 0; x < width; x += 3)
            {
                var value = projected[y * width + x];
                var pixel = image[x, y];
                if (float.IsNaN(value))
                {
                    Assert.Equal(0, pixel.A);
                }
                else
                {
                    var colour = CamRenderer.Colour(Colormap.Turbo, value);
                    Assert.Equal(new Rgba32(colour.R, colour.G, colour.B, 255), pixel);
                }
            }
        }
    }

    [Fact]
    public void OverlayPng_BlendsTheColourOverThePhoto_AndKeepsThePhotoOutsideTheCrop()
    {
        using var photo = TestImages.Gradient(300, 200);
        var geometry = InputGeometry.Create(300, 200, ImageNet, ResizeMode.Crop);
        var cam = Enumerable.Range(0, 49).Select(i => (float)(i / 7)).ToArray();
        var projected = CamRenderer.Project(cam, 7, 7, geometry, 300, 200);

        using var half = Image.Load<Rgb24>(CamRenderer.OverlayPng(photo, projected, Colormap.Jet, 0.5f));
        using var none = Image.Load<Rgb24>(CamRenderer.OverlayPng(photo, projected, Colormap.Jet, 0f));
        using var full = Image.Load<Rgb24>(CamRenderer.OverlayPng(photo, projected, Colormap.Jet, 1f));

        Assert.Equal((300, 200), (half.Width, half.Height));
        for (var y = 0; y < 200; y += 7)
        {
            for (var x = 0; x < 300; x += 5)
            {
                var value = projected[y * 300 + x];
                var original = photo[x, y];
                Assert.Equal(original, none[x, y]);
                if (float.IsNaN(value))
                {
                    Assert.Equal(original, half[x, y]);
                    Assert.Equal(original, full[x, y]);
                    continue;
                }
                var colour = CamRenderer.Colour(Colormap.Jet, value);
                Assert.Equal(colour, full[x, y]);
                var blended = half[x, y];
                Assert.InRange(blended.R, (original.R + colour.R) / 2 - 1, (original.R + colour.R) / 2 + 1);
                Assert.InRange(blended.G, (original.G + colour.G) / 2 - 1, (original.G + colour.G) / 2 + 1);
                Assert.InRange(blended.B, (original.B + colour.B) / 2 - 1, (original.B + colour.B) / 2 + 1);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => CamRenderer.OverlayPng(photo, projected, Colormap.Jet, 1.5f));
        Assert.Throws<ArgumentException>(() => CamRenderer.OverlayPng(photo, projected.AsSpan(1), Colormap.Jet, 0.5f));
    }

    [Theory]
    [InlineData(OverlayFormat.Jpeg, new byte[] { 0xFF, 0xD8, 0xFF })]
    [InlineData(OverlayFormat.Webp, new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F' })]
    public void Overlay_InALossyFormat_IsThePngOverlay_WithinTheCodecsLoss(OverlayFormat format, byte[] magic)
    {
        using var photo = TestImages.Gradient(300, 200);
        var geometry = InputGeometry.Create(300, 200, ImageNet, ResizeMode.Crop);
        var cam = Enumerable.Range(0, 49).Select(i => (float)(i % 7 + i / 7)).ToArray();
        var projected = CamRenderer.Project(cam, 7, 7, geometry, 300, 200);

        var encoded = CamRenderer.Overlay(photo, projected, Colormap.Jet, 0.5f, format, quality: 95);
        using var lossless = Image.Load<Rgb24>(CamRenderer.OverlayPng(photo, projected, Colormap.Jet, 0.5f));
        using var lossy = Image.Load<Rgb24>(encoded);

        Assert.Equal(magic, encoded.AsSpan(0, magic.Length).ToArray());
        Assert.Equal((300, 200), (lossy.Width, lossy.Height));
        var (sum, samples) = (0L, 0L);
        for (var y = 0; y < 200; y++)
        {
            for (var x = 0; x < 300; x++)
            {
                var (a, b) = (lossless[x, y], lossy[x, y]);
                sum += Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B);
                samples += 3;
            }
        }
        Assert.InRange(sum / (double)samples, 0, 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => CamRenderer.Overlay(photo, projected, Colormap.Jet, 0.5f, format, quality: 0));
    }

    public static TheoryData<Colormap, float, byte, byte, byte> PublishedColours() => new()
    {
        // matplotlib's jet: 0 → (0, 0, 0.5), 1 → (0.5, 0, 0), and its segment formula in between.
        { Colormap.Jet, 0f, 0, 0, 128 },
        { Colormap.Jet, 128 / 255f, 125, 255, 122 },
        { Colormap.Jet, 1f, 128, 0, 0 },
        // Google's turbo table as matplotlib ships it (turbo[0], [64], [128], [200], [255] × 255).
        { Colormap.Turbo, 0f, 48, 18, 59 },
        { Colormap.Turbo, 64 / 255f, 40, 188, 235 },
        { Colormap.Turbo, 128 / 255f, 164, 252, 60 },
        { Colormap.Turbo, 200 / 255f, 244, 102, 23 },
        { Colormap.Turbo, 1f, 122, 4, 3 },
        // matplotlib's viridis and inferno tables.
        { Colormap.Viridis, 0f, 68, 1, 84 },
        { Colormap.Viridis, 64 / 255f, 59, 82, 139 },
        { Colormap.Viridis, 128 / 255f, 33, 145, 140 },
        { Colormap.Viridis, 200 / 255f, 112, 207, 87 },
        { Colormap.Viridis, 1f, 253, 231, 37 },
        { Colormap.Inferno, 0f, 0, 0, 4 },
        { Colormap.Inferno, 64 / 255f, 87, 16, 110 },
        { Colormap.Inferno, 128 / 255f, 188, 55, 84 },
        { Colormap.Inferno, 200 / 255f, 251, 157, 7 },
        { Colormap.Inferno, 1f, 252, 255, 164 },
    };

    [Theory]
    [MemberData(nameof(PublishedColours))]
    public void Colour_MatchesThePublishedTablesWithinOneLevel(Colormap colormap, float value, byte r, byte g, byte b)
    {
        var colour = CamRenderer.Colour(colormap, value);

        Assert.True(TestImages.Distance(colour, new Rgb24(r, g, b)) <= 1, $"{colormap}({value}) = {colour}, published ({r}, {g}, {b})");
    }

    [Theory]
    [InlineData(Colormap.Jet)]
    [InlineData(Colormap.Turbo)]
    [InlineData(Colormap.Viridis)]
    [InlineData(Colormap.Inferno)]
    public void Colour_ClampsOutOfRangeValues_AndRefusesNaN(Colormap colormap)
    {
        Assert.Equal(CamRenderer.Colour(colormap, 0f), CamRenderer.Colour(colormap, -3f));
        Assert.Equal(CamRenderer.Colour(colormap, 1f), CamRenderer.Colour(colormap, 7f));
        Assert.NotEqual(CamRenderer.Colour(colormap, 0f), CamRenderer.Colour(colormap, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => CamRenderer.Colour(colormap, float.NaN));
    }
}
