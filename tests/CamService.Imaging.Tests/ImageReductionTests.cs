using CamService.Imaging.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CamService.Imaging.Tests;

/// <summary>
/// A large photo is halved (2×2 box) before it is resampled to a much smaller size, once per request:
/// the halvings are exact means, are kept while still at least the gap larger than the target, and give
/// the model the same input as resampling the original, to within a grey level.
/// </summary>
public sealed class ImageReductionTests
{
    static readonly ImageLoader Loader = new(new ImageLimits());

    [Fact]
    public void Halve_AveragesEachBlock_AndDropsAnOddEdge()
    {
        using var image = new Image<Rgb24>(5, 3);
        image[0, 0] = new Rgb24(0, 10, 255);
        image[1, 0] = new Rgb24(4, 10, 255);
        image[0, 1] = new Rgb24(8, 11, 255);
        image[1, 1] = new Rgb24(12, 10, 0);
        image[4, 2] = new Rgb24(255, 255, 255);

        using var half = ImageReduction.Halve(image);

        Assert.Equal((2, 1), (half.Width, half.Height));
        // Means rounded half up: (0 + 4 + 8 + 12) / 4 = 6, 41 / 4 = 10.25, 765 / 4 = 191.25.
        Assert.Equal(new Rgb24(6, 10, 191), half[0, 0]);
        Assert.Equal(new Rgb24(0, 0, 0), half[1, 0]);
    }

    [Fact]
    public void Reduced_IsTheSmallestHalvingThatKeepsTheGap_MadeOnce()
    {
        using var loaded = Load(TestImages.Gradient(1000, 800));

        var forModel = loaded.Reduced(100, 100, gap: 3);
        var again = loaded.Reduced(100, 100, gap: 3);
        var forLarge = loaded.Reduced(600, 600, gap: 1.5);

        // 1000×800 → 500×400 → 250×200: the last with both sides at least 3 × 100 is 500×400.
        Assert.Equal((500, 400), (forModel.Width, forModel.Height));
        Assert.Same(forModel, again);
        Assert.Same(loaded.Pixels, forLarge);
    }

    [Fact]
    public void Display_IsTheImageAtTheRenderedSize()
    {
        using var loaded = Load(TestImages.Gradient(900, 600));

        var display = loaded.Display(300, 200);

        Assert.Equal((300, 200), (display.Width, display.Height));
        Assert.Same(display, loaded.Display(300, 200));
        Assert.Same(loaded.Pixels, loaded.Display(900, 600));
        // A horizontal gradient stays one: the left is darker than the right.
        Assert.True(display[10, 100].R < display[290, 100].R);
    }

    [Fact]
    public void Resized_IsMadeOncePerSizeAndSampler_ForEveryModelOfARequest()
    {
        using var loaded = Load(TestImages.Gradient(900, 600));

        var bilinear = loaded.Resized(256, 171, KnownResamplers.Triangle, gap: 3);
        var bicubic = loaded.Resized(256, 171, KnownResamplers.Bicubic, gap: 3);

        Assert.Equal((256, 171), (bilinear.Width, bilinear.Height));
        Assert.Same(bilinear, loaded.Resized(256, 171, KnownResamplers.Triangle, gap: 3));
        Assert.NotSame(bilinear, bicubic);
        // A picture of the same size is drawn from a smaller halving than a model's input keeps.
        Assert.NotSame(bilinear, loaded.Display(256, 171));
        Assert.Same(loaded.Resized(256, 171, KnownResamplers.Triangle, gap: 1), loaded.Display(256, 171));

        // Two models with the same preprocessing get the same input, the second from the kept resize.
        var preprocessing = InputPreprocessing.ImageNet(224, 224) with { ResizeSize = 256 };
        var (first, second) = (new float[3 * 224 * 224], new float[3 * 224 * 224]);
        TensorPreprocessor.Fill(loaded, preprocessing, ResizeMode.Crop, first);
        TensorPreprocessor.Fill(loaded, preprocessing, ResizeMode.Crop, second);
        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData(ResizeMode.Stretch)]
    [InlineData(ResizeMode.Crop)]
    public void ModelInput_FromTheHalvings_MatchesTheInputFromTheOriginal(ResizeMode mode)
    {
        var preprocessing = InputPreprocessing.ImageNet(224, 224) with { ResizeSize = 256 };
        using var original = TestImages.Gradient(2400, 1800);
        using var loaded = Load(original);
        var direct = new float[3 * 224 * 224];
        var reduced = new float[3 * 224 * 224];

        var directGeometry = TensorPreprocessor.Fill(original, preprocessing, mode, direct);
        var reducedGeometry = TensorPreprocessor.Fill(loaded, preprocessing, mode, reduced);

        Assert.NotSame(loaded.Pixels, loaded.Reduced(224, 224, ImageReduction.ModelGap));
        Assert.Equal(directGeometry, reducedGeometry);
        // One grey level is 1 / 255 / 0.225 ≈ 0.017 after normalisation.
        var worst = direct.Zip(reduced, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 0.035f, $"largest difference {worst}");
    }

    static LoadedImage Load(Image<Rgb24> image)
    {
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return Loader.Load(stream.ToArray());
    }
}
