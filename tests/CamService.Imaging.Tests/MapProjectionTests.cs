using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Tests;

/// <summary>
/// A picture drawn a row at a time from a <see cref="MapProjection"/>, as the service draws them, is the picture
/// drawn from the whole projected map: the same bytes, at the image's size and at a smaller rendering of it.
/// </summary>
public sealed class MapProjectionTests
{
    static readonly InputPreprocessing ImageNet = InputPreprocessing.ImageNet();

    static readonly float[] Cam = Enumerable.Range(0, 49).Select(i => MathF.Sin(i * 0.7f) + i * 0.05f).ToArray();

    public static TheoryData<ResizeMode, int, int, OverlayFormat> Renderings()
    {
        var data = new TheoryData<ResizeMode, int, int, OverlayFormat>();
        foreach (var mode in new[] { ResizeMode.Stretch, ResizeMode.Crop })
        {
            foreach (var (width, height) in new[] { (300, 200), (150, 100) })
            {
                foreach (var format in Enum.GetValues<OverlayFormat>())
                {
                    data.Add(mode, width, height, format);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Renderings))]
    public void PicturesFromRows_AreThePicturesFromTheWholeMap(ResizeMode mode, int width, int height, OverlayFormat format)
    {
        var geometry = InputGeometry.Create(300, 200, ImageNet, mode);
        using var photo = new Image<Rgb24>(width, height, new Rgb24(40, 90, 160));
        var whole = CamRenderer.Project(Cam, 7, 7, geometry, width, height);

        using var projection = new MapProjection(Cam, 7, 7, geometry, width, height);

        Assert.Equal(CamRenderer.HeatmapPng(whole, width, height, Colormap.Viridis), CamRenderer.HeatmapPng(projection, Colormap.Viridis));
        Assert.Equal(CamRenderer.Overlay(photo, whole, Colormap.Jet, 0.4f, format, 90), CamRenderer.Overlay(photo, projection, Colormap.Jet, 0.4f, format, 90));
        var row = new float[width];
        projection.Row(height / 2, row);
        Assert.Equal(whole.AsSpan(height / 2 * width, width).ToArray(), row);
    }

    [Fact]
    public void AProjection_OfAnotherSize_IsRefused()
    {
        var geometry = InputGeometry.Create(300, 200, ImageNet, ResizeMode.Stretch);
        using var photo = new Image<Rgb24>(300, 200);
        using var projection = new MapProjection(Cam, 7, 7, geometry, 150, 100);

        Assert.Throws<ArgumentException>(() => CamRenderer.Overlay(photo, projection, Colormap.Jet, 0.5f, OverlayFormat.Png, 0));
        Assert.Throws<ArgumentException>(() => projection.Row(0, new float[149]));
        Assert.Throws<ArgumentOutOfRangeException>(() => projection.Row(100, new float[150]));
    }

    [Fact]
    public void ANonFiniteMap_IsRefused()
    {
        var geometry = InputGeometry.Create(300, 200, ImageNet, ResizeMode.Stretch);
        var cam = (float[])Cam.Clone();
        cam[3] = float.NaN;

        Assert.Throws<ArgumentException>(() => new MapProjection(cam, 7, 7, geometry, 300, 200));
    }
}
