namespace CamService.Imaging;

/// <summary>
/// How large a decoded image must stay for what will be done with it: its long side at least
/// <see cref="LongSide"/> (the pictures drawn from it) and its short side at least <see cref="ShortSide"/>
/// (the model inputs resampled from it). A decoder that can decode at reduced size takes the smallest
/// size that satisfies both; the image's geometry stays that of the full image.
/// </summary>
public sealed record DecodeHint(int LongSide, int ShortSide)
{
    /// <summary>Every pixel: the image at its own size.</summary>
    public static readonly DecodeHint FullSize = new(int.MaxValue, int.MaxValue);

    /// <summary>
    /// Large enough for pictures whose long side is <paramref name="pictureLongSide"/> (0: none drawn over the
    /// photo; int.MaxValue: at its own size) and for every model input in <paramref name="inputs"/> to keep
    /// <see cref="ImageReduction.ModelGap"/> over what it resamples the photo to.
    /// </summary>
    public static DecodeHint For(int pictureLongSide, IEnumerable<InputPreprocessing> inputs)
    {
        var modelSide = inputs.Max(p => Math.Max(p.ResizeSize, Math.Max(p.Width, p.Height)));
        return new DecodeHint(pictureLongSide, (int)Math.Ceiling(ImageReduction.ModelGap * modelSide));
    }

    /// <summary>
    /// The size pictures of a <paramref name="width"/>×<paramref name="height"/> image are drawn at: its own, or
    /// with its long side <paramref name="maxSize"/> and the same aspect (each side rounded, at least 1) when that
    /// is smaller; 0 means its own size.
    /// </summary>
    public static (int Width, int Height) PictureSize(int width, int height, int maxSize)
    {
        var longer = Math.Max(width, height);
        if (maxSize == 0 || longer <= maxSize)
        {
            return (width, height);
        }
        var scale = (double)maxSize / longer;
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    public bool IsSatisfiedBy(int width, int height) =>
        Math.Max(width, height) >= LongSide && Math.Min(width, height) >= ShortSide;
}
