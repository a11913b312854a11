using SixLabors.ImageSharp;

namespace CamService.Imaging;

/// <summary>
/// How original-image pixels map onto the model input and back: the image is resized to
/// <see cref="ResizedWidth"/>×<see cref="ResizedHeight"/>, and the model sees the
/// <see cref="InputWidth"/>×<see cref="InputHeight"/> window whose top-left corner is
/// (<see cref="CropLeft"/>, <see cref="CropTop"/>) in the resized image. For <see cref="ResizeMode.Stretch"/>
/// the window is the whole resized image; for <see cref="ResizeMode.Crop"/> it follows torchvision exactly.
/// <para>
/// Coordinates: pixel i covers [i, i + 1) and has its centre at i (so centres map by
/// x_dst = (x_src + 0.5) · scale − 0.5). Points are centre coordinates; <see cref="VisibleRegion"/> is in
/// edge coordinates, as rectangles are.
/// </para>
/// </summary>
public sealed record InputGeometry
{
    InputGeometry(ResizeMode mode, Axis x, Axis y)
    {
        Mode = mode;
        X = x;
        Y = y;
    }

    public ResizeMode Mode { get; }

    public int ImageWidth => X.Image;

    public int ImageHeight => Y.Image;

    public int ResizedWidth => X.Resized;

    public int ResizedHeight => Y.Resized;

    /// <summary>Left edge of the model input in the resized image; negative when torchvision pads a too-narrow image.</summary>
    public int CropLeft => X.Crop;

    /// <summary>Top edge of the model input in the resized image; negative when torchvision pads a too-short image.</summary>
    public int CropTop => Y.Crop;

    public int InputWidth => X.Input;

    public int InputHeight => Y.Input;

    internal Axis X { get; }

    internal Axis Y { get; }

    /// <summary>The geometry <see cref="TensorPreprocessor.Fill(LoadedImage, InputPreprocessing, ResizeMode, Span{float})"/> uses for an image of this size.</summary>
    public static InputGeometry Create(int imageWidth, int imageHeight, InputPreprocessing preprocessing, ResizeMode mode)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        var (inputWidth, inputHeight) = (preprocessing.Width, preprocessing.Height);
        switch (mode)
        {
            case ResizeMode.Stretch:
                return new InputGeometry(mode, new Axis(imageWidth, inputWidth, 0, inputWidth), new Axis(imageHeight, inputHeight, 0, inputHeight));
            case ResizeMode.Crop:
                var (resizedWidth, resizedHeight) = ShorterSideTo(imageWidth, imageHeight, preprocessing.ResizeSize);
                return new InputGeometry(
                    mode,
                    new Axis(imageWidth, resizedWidth, CentreCropOffset(resizedWidth, inputWidth), inputWidth),
                    new Axis(imageHeight, resizedHeight, CentreCropOffset(resizedHeight, inputHeight), inputHeight));
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown resize mode.");
        }
    }

    /// <summary>Maps an image point (centre coordinates) to model-input centre coordinates.</summary>
    public (double X, double Y) ImageToInput(double x, double y) => (X.ImageToInput(x), Y.ImageToInput(y));

    /// <summary>Maps a model-input point (centre coordinates) back to image centre coordinates.</summary>
    public (double X, double Y) InputToImage(double x, double y) => (X.InputToImage(x), Y.InputToImage(y));

    /// <summary>The image pixels whose centres the model input covers (the rest is what a crop drops).</summary>
    public Rectangle CoveredPixels
    {
        get
        {
            var (left, right) = X.Covered(ImageWidth);
            var (top, bottom) = Y.Covered(ImageHeight);
            return Rectangle.FromLTRB(left, top, right, bottom);
        }
    }

    /// <summary>The part of the image, in edge coordinates, that the model input shows: for drawing the crop box.</summary>
    public RectangleF VisibleRegion => RectangleF.FromLTRB(
        (float)X.VisibleStart, (float)Y.VisibleStart, (float)X.VisibleEnd, (float)Y.VisibleEnd);

    /// <summary>
    /// torchvision's Resize(int): the shorter side becomes <paramref name="size"/> and the longer side
    /// int(size · long / short) — truncated, not rounded, exactly as functional._compute_resized_output_size.
    /// </summary>
    static (int Width, int Height) ShorterSideTo(int width, int height, int size)
    {
        var (shorter, longer) = width <= height ? (width, height) : (height, width);
        var newLonger = (int)((double)((long)size * longer) / shorter);
        return width <= height ? (size, newLonger) : (newLonger, size);
    }

    /// <summary>
    /// torchvision's CenterCrop along one axis: offset int(round((resized − crop) / 2)), with Python's
    /// round-half-to-even; a crop larger than the image pads (crop − resized) // 2 zeros before it.
    /// </summary>
    static int CentreCropOffset(int resized, int crop) => crop > resized
        ? -((crop - resized) / 2)
        : (int)Math.Round((resized - crop) / 2.0, MidpointRounding.ToEven);
}
