using SixLabors.ImageSharp;

namespace CamService.Imaging.Tests;

public sealed class InputGeometryTests
{
    static readonly InputPreprocessing ImageNet = InputPreprocessing.ImageNet(); // Resize(256) + CenterCrop(224)

    [Theory]
    // torchvision: long side = int(256 · long / short), truncated: 256 · 451 / 300 = 384.85 → 384.
    [InlineData(451, 300, 384, 256, 80, 16)]
    [InlineData(300, 451, 256, 384, 16, 80)]
    [InlineData(512, 512, 256, 256, 16, 16)]
    // CenterCrop offset int(round((385 − 224) / 2)) = round(80.5) = 80 with Python's round-half-to-even …
    [InlineData(300, 452, 256, 385, 16, 80)]
    // … and round(81.5) = 82.
    [InlineData(300, 454, 256, 387, 16, 82)]
    [InlineData(4000, 3000, 341, 256, 58, 16)]
    public void Crop_FollowsTorchvisionResizeAndCenterCrop(int width, int height, int resizedWidth, int resizedHeight, int left, int top)
    {
        var geometry = InputGeometry.Create(width, height, ImageNet, ResizeMode.Crop);

        Assert.Equal((resizedWidth, resizedHeight), (geometry.ResizedWidth, geometry.ResizedHeight));
        Assert.Equal((left, top), (geometry.CropLeft, geometry.CropTop));
        Assert.Equal((224, 224), (geometry.InputWidth, geometry.InputHeight));
        Assert.Equal((width, height, ResizeMode.Crop), (geometry.ImageWidth, geometry.ImageHeight, geometry.Mode));
    }

    [Fact]
    public void Crop_PadsLikeTorchvisionWhenTheCropIsLargerThanTheResizedImage()
    {
        // Resize(200) of 300×200 stays 300×200; CenterCrop(224) pads (224 − 200) // 2 = 12 rows on top.
        var geometry = InputGeometry.Create(300, 200, ImageNet with { ResizeSize = 200 }, ResizeMode.Crop);

        Assert.Equal((38, -12), (geometry.CropLeft, geometry.CropTop));
        Assert.Equal(new Rectangle(0, 0, 300, 200).Top, geometry.CoveredPixels.Top);
        Assert.Equal(200, geometry.CoveredPixels.Height); // every row is seen, with padding above and below
    }

    [Fact]
    public void NonSquareInputs_CropBothAxesIndependently()
    {
        var wide = ImageNet with { Height = 224, Width = 288 };

        var geometry = InputGeometry.Create(451, 300, wide, ResizeMode.Crop);

        Assert.Equal((384, 256, 48, 16), (geometry.ResizedWidth, geometry.ResizedHeight, geometry.CropLeft, geometry.CropTop));
    }

    [Fact]
    public void Stretch_SeesTheWholeImage()
    {
        var geometry = InputGeometry.Create(451, 300, ImageNet, ResizeMode.Stretch);

        Assert.Equal((224, 224, 0, 0), (geometry.ResizedWidth, geometry.ResizedHeight, geometry.CropLeft, geometry.CropTop));
        Assert.Equal(new Rectangle(0, 0, 451, 300), geometry.CoveredPixels);
        Assert.Equal(new RectangleF(0, 0, 451, 300), geometry.VisibleRegion);
        // Corner pixel centres land half a source pixel inside the input's corners.
        var (u, v) = geometry.ImageToInput(0, 0);
        Assert.Equal(0.5 * 224 / 451 - 0.5, u, 12);
        Assert.Equal(0.5 * 224 / 300 - 0.5, v, 12);
    }

    [Theory]
    [InlineData(451, 300, ResizeMode.Crop)]
    [InlineData(300, 451, ResizeMode.Crop)]
    [InlineData(4032, 3024, ResizeMode.Crop)]
    [InlineData(451, 300, ResizeMode.Stretch)]
    [InlineData(37, 1000, ResizeMode.Crop)]
    public void ImageAndInputCoordinates_RoundTrip(int width, int height, ResizeMode mode)
    {
        var geometry = InputGeometry.Create(width, height, ImageNet, mode);

        foreach (var (x, y) in new[] { (0.0, 0.0), (width - 1.0, height - 1.0), (width / 3.0, height * 0.77), (-0.5, -0.5) })
        {
            var (u, v) = geometry.ImageToInput(x, y);
            var (backX, backY) = geometry.InputToImage(u, v);
            Assert.Equal(x, backX, 9);
            Assert.Equal(y, backY, 9);
        }
        // The input's own corners (edges at 0 and 224) map onto the visible region's corners.
        var (left, top) = geometry.InputToImage(-0.5, -0.5);
        var (right, bottom) = geometry.InputToImage(geometry.InputWidth - 0.5, geometry.InputHeight - 0.5);
        var region = geometry.VisibleRegion;
        Assert.Equal(region.Left, left + 0.5, 3);
        Assert.Equal(region.Top, top + 0.5, 3);
        Assert.Equal(region.Right, right + 0.5, 3);
        Assert.Equal(region.Bottom, bottom + 0.5, 3);
    }

    [Theory]
    [InlineData(451, 300)]
    [InlineData(300, 451)]
    [InlineData(4032, 3024)]
    [InlineData(37, 1000)]
    public void Crop_CoversExactlyThePixelsWhoseCentresFallInsideTheInput(int width, int height)
    {
        var geometry = InputGeometry.Create(width, height, ImageNet, ResizeMode.Crop);
        var covered = geometry.CoveredPixels;

        for (var x = 0; x < width; x++)
        {
            var (u, _) = geometry.ImageToInput(x, 0);
            var inside = u >= -0.5 && u < geometry.InputWidth - 0.5;
            Assert.Equal(inside, x >= covered.Left && x < covered.Right);
        }
        for (var y = 0; y < height; y++)
        {
            var (_, v) = geometry.ImageToInput(0, y);
            var inside = v >= -0.5 && v < geometry.InputHeight - 0.5;
            Assert.Equal(inside, y >= covered.Top && y < covered.Bottom);
        }
        // The crop keeps the middle: margins on the long side differ by at most one resized pixel (torchvision
        // rounds the offset), which is image / resized image pixels, plus one for the pixel-centre test.
        var (marginStart, marginEnd, onePixel) = width > height
            ? (covered.Left, width - covered.Right, (int)Math.Ceiling((double)width / geometry.ResizedWidth))
            : (covered.Top, height - covered.Bottom, (int)Math.Ceiling((double)height / geometry.ResizedHeight));
        Assert.InRange(marginStart - marginEnd, -onePixel - 1, onePixel + 1);
        Assert.True(marginStart > 0 || width == height);
    }

    [Fact]
    public void Create_RejectsImpossibleSizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => InputGeometry.Create(0, 10, ImageNet, ResizeMode.Crop));
        Assert.Throws<ArgumentOutOfRangeException>(() => InputGeometry.Create(10, 10, ImageNet with { ResizeSize = 0 }, ResizeMode.Crop));
        Assert.Throws<ArgumentOutOfRangeException>(() => InputGeometry.Create(10, 10, ImageNet, (ResizeMode)7));
    }
}
