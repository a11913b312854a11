using CamService.Imaging.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Tests;

public sealed class TensorPreprocessorTests
{
    static readonly InputPreprocessing ImageNet = InputPreprocessing.ImageNet(32, 32) with { ResizeSize = 36 };

    [Fact]
    public void Fill_ScalesAndNormalisesEachChannel()
    {
        using var image = new Image<Rgb24>(50, 40, new Rgb24(255, 128, 0));
        var input = new float[3 * 32 * 32];

        TensorPreprocessor.Fill(image, ImageNet, ResizeMode.Crop, input);

        Assert.All(input[..1024], v => Assert.Equal((1f - 0.485f) / 0.229f, v, 5));
        Assert.All(input[1024..2048], v => Assert.Equal((128f / 255f - 0.456f) / 0.224f, v, 5));
        Assert.All(input[2048..], v => Assert.Equal((0f - 0.406f) / 0.225f, v, 5));
    }

    [Fact]
    public void Fill_WritesBgrAndNhwcAsPermutationsOfRgbNchw()
    {
        using var image = TestImages.Gradient(70, 45);
        var rgbNchw = new float[3 * 32 * 32];
        var bgrNchw = new float[3 * 32 * 32];
        var rgbNhwc = new float[3 * 32 * 32];
        var plain = ImageNet with { Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.25f, 0.25f] };

        TensorPreprocessor.Fill(image, plain, ResizeMode.Crop, rgbNchw);
        TensorPreprocessor.Fill(image, plain with { Bgr = true }, ResizeMode.Crop, bgrNchw);
        TensorPreprocessor.Fill(image, plain with { ChannelsLast = true }, ResizeMode.Crop, rgbNhwc);

        const int plane = 32 * 32;
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(rgbNchw[c * plane + i], bgrNchw[(2 - c) * plane + i]);
                Assert.Equal(rgbNchw[c * plane + i], rgbNhwc[3 * i + c]);
            }
        }
    }

    [Fact]
    public void Fill_UsesMeanAndStdInTheModelsChannelOrder()
    {
        // A Caffe-style BGR model: channel 0 is blue and takes Mean[0]/Std[0].
        using var image = new Image<Rgb24>(40, 40, new Rgb24(200, 100, 50));
        var caffe = ImageNet with { Bgr = true, Mean = [10f, 20f, 30f], Std = [1f, 2f, 4f], PixelScale = 1f };
        var input = new float[3 * 32 * 32];

        TensorPreprocessor.Fill(image, caffe, ResizeMode.Stretch, input);

        Assert.Equal((50f - 10f) / 1f, input[0]);
        Assert.Equal((100f - 20f) / 2f, input[1024]);
        Assert.Equal((200f - 30f) / 4f, input[2048]);
    }

    [Fact]
    public void Fill_PadsWithZeroBeforeNormalising_WhenTheCropIsLargerThanTheImage()
    {
        using var image = new Image<Rgb24>(60, 28, new Rgb24(255, 255, 255));
        var input = new float[3 * 32 * 32];

        // Resize(28) keeps 60×28; CenterCrop(32) pads 2 rows above and below.
        var geometry = TensorPreprocessor.Fill(image, ImageNet with { ResizeSize = 28 }, ResizeMode.Crop, input);

        Assert.Equal(-2, geometry.CropTop);
        var (padding, white) = (-0.485f / 0.229f, (1f - 0.485f) / 0.229f);
        foreach (var (row, expected) in new[] { (0, padding), (1, padding), (2, white), (29, white), (30, padding), (31, padding) })
        {
            Assert.All(input.AsSpan(row * 32, 32).ToArray(), v => Assert.Equal(expected, v, 5));
        }
    }

    [Theory]
    [InlineData(ResizeMode.Stretch, 80, 48)]
    [InlineData(ResizeMode.Crop, 80, 48)]
    [InlineData(ResizeMode.Crop, 48, 80)]
    public void Fill_PutsImageContentWhereTheGeometrySays(ResizeMode mode, int width, int height)
    {
        // A dark image with one bright 8×8 block; its centre must land where ImageToInput maps it.
        using var image = new Image<Rgb24>(width, height, new Rgb24(0, 0, 0));
        var (blockX, blockY) = (width * 5 / 8, height * 3 / 8);
        for (var y = blockY; y < blockY + 8; y++)
        {
            for (var x = blockX; x < blockX + 8; x++)
            {
                image[x, y] = new Rgb24(255, 255, 255);
            }
        }
        var input = new float[3 * 32 * 32];

        var geometry = TensorPreprocessor.Fill(image, ImageNet with { Mean = [0, 0, 0], Std = [1, 1, 1] }, mode, input);

        // Brightness-weighted centroid of the red plane.
        double sum = 0, sumU = 0, sumV = 0;
        for (var v = 0; v < 32; v++)
        {
            for (var u = 0; u < 32; u++)
            {
                var value = Math.Max(0, input[v * 32 + u]);
                (sum, sumU, sumV) = (sum + value, sumU + value * u, sumV + value * v);
            }
        }
        var (expectedU, expectedV) = geometry.ImageToInput(blockX + 3.5, blockY + 3.5);
        Assert.Equal(expectedU, sumU / sum, 1);
        Assert.Equal(expectedV, sumV / sum, 1);
    }

    [Fact]
    public void Fill_RejectsAWrongDestination()
    {
        using var image = new Image<Rgb24>(40, 40);

        Assert.Throws<ArgumentException>(() => TensorPreprocessor.Fill(image, ImageNet, ResizeMode.Crop, new float[3 * 32 * 31]));
    }

    [Fact]
    public void Preprocessing_RefusesValuesNoInputCouldBeMadeWith_WhenTheyAreSet()
    {
        // Checked once, when a model loads, so that filling an input per request checks nothing.
        Assert.Throws<ArgumentException>(() => ImageNet with { Std = [1, 0, 1] });
        Assert.Throws<ArgumentException>(() => ImageNet with { Mean = [0.5f] });
        Assert.Throws<ArgumentException>(() => ImageNet with { Mean = [0.5f, float.NaN, 0.5f] });
        Assert.Throws<ArgumentException>(() => ImageNet with { PixelScale = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageNet with { ResizeSize = 0 });
    }
}
