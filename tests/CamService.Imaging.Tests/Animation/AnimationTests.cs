using CamService.Imaging.Animation;
using CamService.Imaging.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Tests.Animation;

public sealed class AnimationTests
{
    static readonly string[] Lines = ["colour32 - gradcam", "red 93.1%", "1.2k params  0.00 GMACs  0.4 ms"];

    [Fact]
    public void Gif_HasEveryFrameInOrder_TheDelay_AndLoopsForever()
    {
        Rgb24[] colours = [TestImages.Red, TestImages.Green, TestImages.Blue];
        var frames = colours.Select(c => new Image<Rgb24>(30, 20, c)).ToList();
        byte[] gif;
        try
        {
            gif = AnimationEncoder.Gif(frames, 250);
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }

        using var decoded = Image.Load<Rgb24>(gif);
        Assert.Equal((30, 20), (decoded.Width, decoded.Height));
        Assert.Equal(3, decoded.Frames.Count);
        Assert.Equal(0, decoded.Metadata.GetGifMetadata().RepeatCount);
        for (var i = 0; i < colours.Length; i++)
        {
            Assert.Equal(25, decoded.Frames[i].Metadata.GetGifMetadata().FrameDelay);
            AssertClose(colours[i], decoded.Frames[i][15, 10], 8);
        }
    }

    [Theory]
    [InlineData(100, 10)]
    [InlineData(1000, 100)]
    [InlineData(10000, 1000)]
    [InlineData(125, 13)]
    public void Gif_FrameDelay_IsInHundredths(int frameMs, int hundredths)
    {
        using var frame = new Image<Rgb24>(4, 4);
        using var decoded = Image.Load<Rgb24>(AnimationEncoder.Gif([frame], frameMs));
        Assert.Equal(hundredths, decoded.Frames.RootFrame.Metadata.GetGifMetadata().FrameDelay);
    }

    [Fact]
    public void Gif_RefusesFramesOfDifferentSizes_AndDelaysAGifCannotHold()
    {
        using var small = new Image<Rgb24>(4, 4);
        using var large = new Image<Rgb24>(5, 4);
        Assert.Throws<ArgumentException>(() => AnimationEncoder.Gif([small, large], 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnimationEncoder.Gif([small], 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnimationEncoder.Gif([], 100));
    }

    [Fact]
    public void Frame_IsTheOverlayCamRendererDraws_WithTheCaptionBelow()
    {
        using var photo = TestImages.Quadrants(64, 48);
        var geometry = InputGeometry.Create(64, 48, InputPreprocessing.ImageNet(), ResizeMode.Crop);
        var cam = Enumerable.Range(0, 49).Select(i => (float)(i % 7 + i / 7)).ToArray();

        using var frame = AnimationFrame.Draw(photo, cam, 7, 7, geometry, Colormap.Turbo, 0.6f, Lines);

        var captionHeight = Caption.Height(Lines.Length, 1);
        Assert.Equal(new Size(64, 48 + captionHeight), AnimationFrame.Size(64, 48, Lines.Length));
        Assert.Equal((64, 48 + captionHeight), (frame.Width, frame.Height));
        var projected = CamRenderer.Project(cam, 7, 7, geometry, 64, 48);
        using var overlay = Image.Load<Rgb24>(CamRenderer.OverlayPng(photo, projected, Colormap.Turbo, 0.6f));
        using var caption = new Image<Rgb24>(64, captionHeight);
        Caption.Draw(caption, 0, Lines, 1);
        for (var y = 0; y < frame.Height; y++)
        {
            for (var x = 0; x < frame.Width; x++)
            {
                Assert.Equal(y < 48 ? overlay[x, y] : caption[x, y - 48], frame[x, y]);
            }
        }
    }

    [Fact]
    public void Gif_KeepsTheOverlayWithinQuantisationTolerance()
    {
        using var photo = TestImages.Quadrants(96, 64);
        var geometry = InputGeometry.Create(96, 64, InputPreprocessing.ImageNet(), ResizeMode.Stretch);
        var maps = new[] { 3, 24 }.Select(hot => Enumerable.Range(0, 49).Select(i => i == hot ? 1f : 0f).ToArray()).ToList();
        var frames = maps.Select(cam => AnimationFrame.Draw(photo, cam, 7, 7, geometry, Colormap.Jet, 0.5f, Lines)).ToList();
        try
        {
            using var decoded = Image.Load<Rgb24>(AnimationEncoder.Gif(frames, 500));
            Assert.Equal(frames.Count, decoded.Frames.Count);
            for (var i = 0; i < frames.Count; i++)
            {
                var projected = CamRenderer.Project(maps[i], 7, 7, geometry, 96, 64);
                using var overlay = Image.Load<Rgb24>(CamRenderer.OverlayPng(photo, projected, Colormap.Jet, 0.5f));
                double error = 0;
                for (var y = 0; y < 64; y++)
                {
                    for (var x = 0; x < 96; x++)
                    {
                        var (expected, actual) = (overlay[x, y], decoded.Frames[i][x, y]);
                        AssertClose(expected, actual, 48);
                        error += Math.Abs(expected.R - actual.R) + Math.Abs(expected.G - actual.G) + Math.Abs(expected.B - actual.B);
                    }
                }
                // 256 colours for a smooth map over four flat quadrants: a few levels off on average.
                Assert.True(error / (96 * 64 * 3) < 6, $"Frame {i}: mean error {error / (96 * 64 * 3):F2}");
                // The caption keeps its two colours.
                AssertClose(Caption.Background, decoded.Frames[i][95, 64], 4);
            }
        }
        finally
        {
            frames.ForEach(f => f.Dispose());
        }
    }

    static void AssertClose(Rgb24 expected, Rgb24 actual, int tolerance) => Assert.True(
        Math.Abs(expected.R - actual.R) <= tolerance && Math.Abs(expected.G - actual.G) <= tolerance && Math.Abs(expected.B - actual.B) <= tolerance,
        $"{actual} is not within {tolerance} of {expected}.");
}
