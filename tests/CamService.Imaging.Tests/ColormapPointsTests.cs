namespace CamService.Imaging.Tests;

/// <summary>The control points read from the assembly's ColormapPoints.csv: whole rows, from the table's first entry to its last.</summary>
public sealed class ColormapPointsTests
{
    public static TheoryData<string> Maps() => ["Viridis", "Inferno", "Turbo"];

    [Theory]
    [MemberData(nameof(Maps))]
    public void Points_RunFromTheFirstEntryToTheLast_InRisingOrder_WithColoursInRange(string name)
    {
        var points = name switch { "Viridis" => ColormapPoints.Viridis, "Inferno" => ColormapPoints.Inferno, _ => ColormapPoints.Turbo };
        var indices = Enumerable.Range(0, points.Length / 4).Select(i => points[4 * i]).ToList();

        Assert.Equal(0, points.Length % 4);
        Assert.True(indices.Count > 10);
        Assert.Equal(0f, indices[0]);
        Assert.Equal(255f, indices[^1]);
        Assert.Equal(indices.Order(), indices);
        Assert.All(points.Where((_, i) => i % 4 != 0), value => Assert.InRange(value, 0f, 1f));
    }
}
