using CamService.Imaging.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Tests;

/// <summary>
/// Cameras store pixels as the sensor read them and record how to turn them upright in the EXIF
/// orientation tag. Each test stores an upright picture (red top-left, green top-right, blue bottom-left,
/// yellow bottom-right) the way a camera would for one tag value, and expects the loader to give the
/// upright picture back.
/// </summary>
public sealed class ExifOrientationTests
{
    const int Width = 96;  // quadrant edges at 48 and 32 fall on JPEG's 16-pixel blocks, so colours don't bleed
    const int Height = 64;

    static readonly ImageLoader Loader = new(new ImageLimits());

    public static TheoryData<ushort> Orientations() => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(Orientations))]
    public void Load_TurnsEveryOrientationUpright(ushort orientation)
    {
        var jpeg = StoredAsCamera(orientation);

        using var loaded = Loader.Load(jpeg);

        Assert.Equal(orientation, loaded.ExifOrientation);
        Assert.Equal((Width, Height), (loaded.Width, loaded.Height));
        AssertColour(TestImages.Red, loaded.Pixels, Width / 4, Height / 4);
        AssertColour(TestImages.Green, loaded.Pixels, 3 * Width / 4, Height / 4);
        AssertColour(TestImages.Blue, loaded.Pixels, Width / 4, 3 * Height / 4);
        AssertColour(TestImages.Yellow, loaded.Pixels, 3 * Width / 4, 3 * Height / 4);
        // A marked corner pixel block, not only quadrant centres: the top-left 8×8 is red.
        AssertColour(TestImages.Red, loaded.Pixels, 3, 3);
    }

    [Theory]
    [MemberData(nameof(Orientations))]
    public void Heatmap_LinesUpWithTheUprightPhoto(ushort orientation)
    {
        // End to end: a map hot in its top-left cell must colour the red (top-left) quadrant of the upright photo.
        using var loaded = Loader.Load(StoredAsCamera(orientation));
        var preprocessing = InputPreprocessing.ImageNet(32, 32);
        var input = new float[3 * 32 * 32];
        var geometry = TensorPreprocessor.Fill(loaded.Pixels, preprocessing, ResizeMode.Stretch, input);
        var cam = new float[4 * 4];
        cam[0] = 1;

        var projected = CamRenderer.Project(cam, 4, 4, geometry, loaded.Width, loaded.Height);

        Assert.Equal(1f, projected[0]);
        Assert.Equal(0f, projected[^1]);
        // The model input saw red in its top-left too (red: high R, low B after normalisation).
        Assert.True(input[0] > 1.5f && input[2 * 32 * 32] < -1f, $"R {input[0]}, B {input[2 * 32 * 32]}");
    }

    /// <summary>
    /// The stored (sensor) pixels S for EXIF tag <paramref name="orientation"/> such that turning S as the tag
    /// says gives the upright picture U. From the EXIF specification's meaning of each value (where S's
    /// row 0 and column 0 lie in U): 1 top/left, 2 top/right, 3 bottom/right, 4 bottom/left, 5 left/top,
    /// 6 right/top, 7 right/bottom, 8 left/bottom.
    /// </summary>
    static byte[] StoredAsCamera(ushort orientation)
    {
        var transposed = orientation >= 5;
        var (storedWidth, storedHeight) = transposed ? (Height, Width) : (Width, Height);
        using var stored = new Image<Rgb24>(storedWidth, storedHeight);
        for (var r = 0; r < storedHeight; r++)
        {
            for (var c = 0; c < storedWidth; c++)
            {
                var (x, y) = orientation switch
                {
                    1 => (c, r),
                    2 => (Width - 1 - c, r),
                    3 => (Width - 1 - c, Height - 1 - r),
                    4 => (c, Height - 1 - r),
                    5 => (r, c),
                    6 => (Width - 1 - r, c),
                    7 => (Width - 1 - r, Height - 1 - c),
                    _ => (r, Height - 1 - c),
                };
                stored[c, r] = TestImages.QuadrantColour(x, y, Width, Height);
            }
        }
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Orientation, orientation);
        stored.Metadata.ExifProfile = exif;
        return TestImages.Encode(stored, new JpegEncoder { Quality = 95 });
    }

    static void AssertColour(Rgb24 expected, Image<Rgb24> image, int x, int y) =>
        Assert.True(TestImages.Distance(expected, image[x, y]) <= 24, $"pixel ({x}, {y}) is {image[x, y]}, expected about {expected}");
}
