using CamService.Imaging.Animation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Imaging.Tests.Animation;

public sealed class BitmapFontTests
{
    static readonly Rgb24 Ink = new(255, 255, 255);

    /// <summary>The pixels an image holds in <see cref="Ink"/>, as rows of '#' and '.'.</summary>
    static string[] Inked(Image<Rgb24> image) => Enumerable.Range(0, image.Height)
        .Select(y => new string(Enumerable.Range(0, image.Width).Select(x => image[x, y] == Ink ? '#' : '.').ToArray()))
        .ToArray();

    [Fact]
    public void Draw_I_PutsItsSerifsAndStemAtThePosition()
    {
        using var image = new Image<Rgb24>(9, 10);
        BitmapFont.Draw(image, "I", 2, 1, 1, Ink);
        Assert.Equal(
        [
            ".........",
            "...###...",
            "....#....",
            "....#....",
            "....#....",
            "....#....",
            "....#....",
            "...###...",
            ".........",
            ".........",
        ], Inked(image));
    }

    [Fact]
    public void Draw_Minus_AtScaleTwo_IsABarTwoPixelsThick()
    {
        using var image = new Image<Rgb24>(12, 16);
        BitmapFont.Draw(image, "-", 1, 1, 2, Ink);
        var rows = Inked(image);
        // Row 3 of the glyph, doubled: image rows 7 and 8, columns 1 to 10.
        Assert.All(new[] { 7, 8 }, y => Assert.Equal(".##########.", rows[y]));
        Assert.Equal(20, rows.Sum(r => r.Count(c => c == '#')));
    }

    [Fact]
    public void Draw_TwoCharacters_AreOneAdvanceApart()
    {
        using var pair = new Image<Rgb24>(20, 9);
        using var second = new Image<Rgb24>(20, 9);
        BitmapFont.Draw(pair, ".:", 0, 0, 1, Ink);
        BitmapFont.Draw(second, ".", 0, 0, 1, Ink);
        BitmapFont.Draw(second, ":", BitmapFont.Advance, 0, 1, Ink);
        Assert.Equal(Inked(second), Inked(pair));
    }

    [Theory]
    [InlineData("é")]
    [InlineData("\u00a0")]
    [InlineData("\t")]
    [InlineData("😀")]
    public void Draw_ACharacterTheFontLacks_DrawsAQuestionMark(string text)
    {
        using var drawn = new Image<Rgb24>(8, 9);
        using var question = new Image<Rgb24>(8, 9);
        BitmapFont.Draw(drawn, text, 1, 1, 1, Ink);
        BitmapFont.Draw(question, "?", 1, 1, 1, Ink);
        Assert.Equal(Inked(question), Inked(drawn));
        Assert.Contains(Inked(drawn), r => r.Contains('#'));
    }

    [Fact]
    public void ToAscii_ReplacesEachScalarTheFontLacks_WithOneQuestionMark()
    {
        Assert.Equal("na?ve ? ~", BitmapFont.ToAscii("naïve 😀 ~"));
    }

    [Theory]
    [InlineData("efficientnet_b0", 100, "efficientnet_b0")]
    [InlineData("efficientnet_b0", 89, "efficientnet_b0")] // 15 characters: 15 · 6 − 1 = 89 px
    [InlineData("efficientnet_b0", 88, "efficientne...")] // 14 characters fit: 11 and the ellipsis
    [InlineData("a b c d e f", 53, "a b c...")] // no space left before the ellipsis
    [InlineData("abcdef", 17, "...")]
    [InlineData("abcdef", 11, "..")]
    [InlineData("abcdef", 4, "")]
    [InlineData("café au lait", 71, "caf? au lait")]
    public void Fit_CutsWhatIsTooLong_WithAnEllipsis_WithinTheWidth(string text, int width, string expected)
    {
        var fitted = BitmapFont.Fit(text, width, 1);
        Assert.Equal(expected, fitted);
        Assert.True(BitmapFont.Width(fitted.Length, 1) <= width);
    }

    [Fact]
    public void Fit_AtScaleTwo_HoldsHalfAsManyCharacters()
    {
        Assert.Equal("abc...", BitmapFont.Fit("abcdefghijkl", 2 * 35, 2));
        Assert.Equal(70, BitmapFont.Width(6, 2));
    }

    [Fact]
    public void Draw_PastTheImageEdges_LeavesOutWhatFallsOutside()
    {
        using var image = new Image<Rgb24>(8, 5);
        BitmapFont.Draw(image, "HH", 4, -3, 1, Ink);
        // H's rows 3 to 6 (#####, #...#, #...#, #...#) from column 4: only the first four columns fit.
        Assert.Equal(["....####", "....#...", "....#...", "....#...", "........"], Inked(image));
    }
}
