using CamService.Cam;
using CamService.Testing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Tests;

/// <summary>
/// Maps must line up with the image: a model whose evidence for "red" is where the image is red
/// must light the red corner of the heatmap and overlay — with stretch, with crop (the cut-off
/// margins stay uncoloured) and for an EXIF-rotated JPEG.
/// </summary>
public sealed class AlignmentTests(CamServiceFactory factory) : IClassFixture<CamServiceFactory>
{
    [Theory]
    [InlineData("colour32", 64, 64, 0, 0)]
    [InlineData("colour32", 64, 64, 48, 48)]
    [InlineData("colour48", 96, 48, 72, 0)]
    [InlineData("colour48", 40, 80, 0, 60)]
    public async Task Stretch_LightsTheCornerWithTheEvidence(string model, int width, int height, int x, int y)
    {
        var patch = new Rectangle(x, y, width / 4, height / 4);
        var result = await Explain(TestImages.Png(TestImages.RedPatch(width, height, patch)), model, "stretch");
        using var heatmap = Api.Decode(result.HeatmapPng);
        using var overlay = Api.Decode(result.OverlayPng);

        AssertHottestQuadrant(heatmap, patch);
        AssertHottestQuadrant(overlay, patch);
        Assert.All(Enumerable.Range(0, width), px => Assert.Equal(255, heatmap[px, height / 2].A)); // stretch colours every pixel
    }

    [Fact]
    public async Task Crop_LightsTheEvidenceInsideTheCrop_AndLeavesTheMarginsUncoloured()
    {
        // colour32 crops like torchvision: shorter side to 40, then the centre 32×32. A 128×64 image
        // becomes 80×40, so the crop keeps x in [24, 56) of 80: [38.4, 89.6) of the original's 128.
        var patch = new Rectangle(40, 8, 16, 16);
        var png = TestImages.Png(TestImages.RedPatch(128, 64, patch));
        using var original = Image.Load<Rgba32>(png);
        var result = await Explain(png, "colour32", "crop");
        using var heatmap = Api.Decode(result.HeatmapPng);
        using var overlay = Api.Decode(result.OverlayPng);

        for (var y = 0; y < 64; y += 7)
        {
            foreach (var x in new[] { 0, 20, 37, 91, 110, 127 })
            {
                Assert.Equal(0, heatmap[x, y].A);
                Assert.Equal(original[x, y], overlay[x, y]);
            }
            foreach (var x in new[] { 40, 64, 88 })
            {
                if (y is >= 7 and <= 56)
                {
                    Assert.Equal(255, heatmap[x, y].A);
                }
            }
        }
        Assert.True(Heat(heatmap, new Rectangle(44, 12, 8, 8)) > 0.9, "The middle of the patch, inside the crop, is lit.");
        Assert.Equal(0, Heat(heatmap, new Rectangle(72, 40, 16, 16))); // the crop's far corner is not
    }

    [Theory]
    [InlineData((ushort)1, 0, 0)]   // as stored: patch top-left
    [InlineData((ushort)3, 1, 1)]   // rotated 180°: bottom-right
    [InlineData((ushort)6, 1, 0)]   // rotate 90° clockwise for display: top-right
    [InlineData((ushort)8, 0, 1)]   // rotate 90° counter-clockwise: bottom-left
    public async Task ExifRotatedJpeg_IsExplainedAsDisplayed(ushort orientation, int right, int bottom)
    {
        // Stored 96×64 with the patch top-left; displayed turned by the EXIF orientation.
        var stored = TestImages.RedPatch(96, 64, new Rectangle(0, 0, 32, 24));
        var jpeg = TestImages.Jpeg(stored, orientation);
        var client = await factory.ReadyClientAsync();
        var answer = await client.CamAsync(jpeg, ("models", "colour48"), ("target", "red"), ("resize", "stretch"));

        var turned = orientation is 6 or 8;
        Assert.Equal(turned ? new ImageSize(64, 96) : new ImageSize(96, 64), answer.Image);
        using var heatmap = Api.Decode(answer.Results[0].HeatmapPng);
        // A JPEG upload gets a JPEG overlay (format auto).
        using var overlay = Api.Decode(answer.Results[0].OverlayJpeg);
        Assert.Equal((answer.Image.Width, answer.Image.Height), (overlay.Width, overlay.Height));
        var (w, h) = (answer.Image.Width, answer.Image.Height);
        var corner = new Rectangle(right * w / 2, bottom * h / 2, w / 2, h / 2);
        AssertHottestQuadrant(heatmap, corner);
        AssertHottestQuadrant(overlay, corner);
    }

    [Theory]
    [InlineData((ushort)1, 0, 0)]
    [InlineData((ushort)6, 1, 0)]
    [InlineData((ushort)8, 0, 1)]
    public async Task LargeRotatedJpeg_DecodedAtReducedSize_IsExplainedAsDisplayed(ushort orientation, int right, int bottom)
    {
        // Stored 960×640; with pictures 120 px long, libjpeg-turbo decodes it at 3/8 (360×240), the least both the
        // model (3 × its resize) and the overlay (1.5 × 120) can use. The answer's geometry is the full image's.
        var stored = TestImages.RedPatch(960, 640, new Rectangle(0, 0, 320, 240));
        var client = await factory.ReadyClientAsync();

        var answer = await client.CamAsync(TestImages.Jpeg(stored, orientation), ("models", "colour48"), ("target", "red"), ("maxSize", "120"));

        var turned = orientation is 6 or 8;
        Assert.Equal(turned ? new ImageSize(640, 960) : new ImageSize(960, 640), answer.Image);
        Assert.Equal(turned ? new ImageSize(80, 120) : new ImageSize(120, 80), answer.Rendered);
        using var heatmap = Api.Decode(answer.Results[0].HeatmapPng);
        using var overlay = Api.Decode(answer.Results[0].OverlayJpeg);
        var (w, h) = (answer.Rendered.Width, answer.Rendered.Height);
        Assert.Equal((w, h), (overlay.Width, overlay.Height));
        var corner = new Rectangle(right * w / 2, bottom * h / 2, w / 2, h / 2);
        AssertHottestQuadrant(heatmap, corner);
        AssertHottestQuadrant(overlay, corner);
    }

    async Task<CamResult> Explain(byte[] image, string model, string resize)
    {
        var client = await factory.ReadyClientAsync();
        var answer = await client.CamAsync(image, ("models", model), ("target", "red"), ("resize", resize), ("colormap", "jet"));
        return answer.Results[0];
    }

    /// <summary>Jet runs from blue (cold) to red (hot): the share of a region's pixels that are clearly red rather than blue.</summary>
    static double Heat(Image<Rgba32> image, Rectangle region)
    {
        var hot = 0;
        for (var y = region.Top; y < region.Bottom; y++)
        {
            for (var x = region.Left; x < region.Right; x++)
            {
                hot += image[x, y].R > image[x, y].B + 32 ? 1 : 0;
            }
        }
        return (double)hot / (region.Width * region.Height);
    }

    static void AssertHottestQuadrant(Image<Rgba32> image, Rectangle evidence)
    {
        var (w, h) = (image.Width / 2, image.Height / 2);
        var quadrants = new[] { new Rectangle(0, 0, w, h), new Rectangle(w, 0, w, h), new Rectangle(0, h, w, h), new Rectangle(w, h, w, h) };
        var center = new Point(evidence.Left + evidence.Width / 2, evidence.Top + evidence.Height / 2);
        var expected = quadrants.Single(q => q.Contains(center));
        var hottest = quadrants.MaxBy(q => Heat(image, q));
        Assert.Equal(expected, hottest);
        Assert.True(Heat(image, expected) > 0.1, "The evidence's quadrant is hot.");
        Assert.All(quadrants.Where(q => q != expected), q => Assert.True(Heat(image, q) < Heat(image, expected) / 4));
    }
}
