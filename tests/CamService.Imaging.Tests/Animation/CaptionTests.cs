using CamService.Imaging.Animation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Tests.Animation;

public sealed class CaptionTests
{
    [Theory]
    [InlineData(40, 1)]
    [InlineData(639, 1)]
    [InlineData(640, 2)]
    [InlineData(1280, 4)]
    public void Scale_GrowsWithTheWidth(int width, int scale) => Assert.Equal(scale, Caption.Scale(width));

    [Fact]
    public void Height_IsLinesAndPadding()
    {
        // 3 + 3 · (7 + 3) font pixels.
        Assert.Equal(33, Caption.Height(3, 1));
        Assert.Equal(66, Caption.Height(3, 2));
        Assert.Equal(0, Caption.Height(0, 1));
    }

    [Fact]
    public void Draw_FillsTheStripDark_AndDrawsEachLineAsTheFontDoes()
    {
        string[] lines = ["resnet50 - gradcam", "tabby 71.0%"];
        const int top = 10;
        using var image = new Image<Rgb24>(200, top + Caption.Height(lines.Length, 1), new Rgb24(255, 0, 0));
        Caption.Draw(image, top, lines, 1);

        using var expected = new Image<Rgb24>(200, image.Height, new Rgb24(255, 0, 0));
        for (var y = top; y < expected.Height; y++)
        {
            for (var x = 0; x < expected.Width; x++)
            {
                expected[x, y] = Caption.Background;
            }
        }
        BitmapFont.Draw(expected, lines[0], 3, top + 3, 1, Caption.Foreground);
        BitmapFont.Draw(expected, lines[1], 3, top + 13, 1, Caption.Foreground);
        AssertSame(expected, image);
        // The photo above the strip is untouched.
        Assert.Equal(new Rgb24(255, 0, 0), image[100, top - 1]);
    }

    [Fact]
    public void Draw_ALineTooLong_EndsInAnEllipsis_InsideThePadding()
    {
        var line = new string('W', 100);
        using var image = new Image<Rgb24>(120, Caption.Height(1, 1));
        Caption.Draw(image, 0, [line], 1);

        var fitted = Caption.Fit([line], image.Width, 1)[0];
        Assert.EndsWith(BitmapFont.Ellipsis, fitted);
        using var expected = new Image<Rgb24>(120, image.Height, Caption.Background);
        BitmapFont.Draw(expected, fitted, 3, 3, 1, Caption.Foreground);
        AssertSame(expected, image);
        // Nothing is drawn in the right-hand padding.
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = image.Width - 3; x < image.Width; x++)
            {
                Assert.Equal(Caption.Background, image[x, y]);
            }
        }
    }

    static void AssertSame(Image<Rgb24> expected, Image<Rgb24> actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        for (var y = 0; y < expected.Height; y++)
        {
            for (var x = 0; x < expected.Width; x++)
            {
                Assert.True(expected[x, y] == actual[x, y], $"Pixel ({x}, {y}) is {actual[x, y]}, not {expected[x, y]}.");
            }
        }
    }
}
