using System.Text.Json;
using CamService.Onnx.Tests.Support;
using CamService.Testing;

namespace CamService.Onnx.Tests;

/// <summary>
/// bench/architectures.sh on the four full-size models the CNN-against-transformer comparison needs most: each exported
/// with random weights, made CAM-ready with no flags, its gradients checked against finite differences (≤ 1e-2) and
/// torch autograd at the same layer (≤ 1e-3, Grad-CAM maps correlated at 0.999 or more). Timing is left to the command.
/// </summary>
public sealed class ArchitectureSweepTests
{
    public static TheoryData<string, string, string> Expected => new()
    {
        { "vit_b_16", "TOKENS", "14×14, 1 extra" },
        { "swin_t", "NHWC", "7×7" },
        { "convnext_tiny", "NCHW", "7×7" },
        { "maxvit_t", "NCHW", "7×7" },
    };

    [Fact]
    public void FourFamilies_BecomeCamReadyWithNoFlags_AndTheirGradientsAreProven()
    {
        using var directory = new TemporaryDirectory("camservice-sweep");
        var rowsFile = directory.File("rows.json");
        var archs = Expected.Select(row => (string)row[0]).ToArray();

        var run = Programs.Run("bash", [RepositoryFolder.PathOf("bench", "architectures.sh"), .. archs, "--no-timing", "--out-dir", directory.Path,
            "--json", rowsFile], timeout: TimeSpan.FromMinutes(40));

        var rows = JsonDocument.Parse(File.ReadAllText(rowsFile)).RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("model").GetString()!);
        Assert.True(run.ExitCode == 0, run.AllOutput);
        foreach (var expected in Expected)
        {
            var (arch, layout, grid) = ((string)expected[0], (string)expected[1], (string)expected[2]);
            var row = rows[arch];
            Assert.True(row.GetProperty("passed").GetBoolean(), $"{arch}: {row.GetProperty("failure").GetString()}");
            Assert.EndsWith($"({layout})", row.GetProperty("layer").GetString());
            Assert.Equal(grid, row.GetProperty("grid").GetString());
            Assert.True(double.Parse(row.GetProperty("finite_difference").GetString()!, System.Globalization.CultureInfo.InvariantCulture) <= 1e-2);
            Assert.True(double.Parse(row.GetProperty("autograd").GetString()!, System.Globalization.CultureInfo.InvariantCulture) <= 1e-3);
            Assert.True(double.Parse(row.GetProperty("correlation").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 0.999);
        }
    }
}
