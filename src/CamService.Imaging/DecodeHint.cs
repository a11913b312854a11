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

    public bool IsSatisfiedBy(int width, int height) =>
        Math.Max(width, height) >= LongSide && Math.Min(width, height) >= ShortSide;
}
