using CamService.Onnx.CamReady;
using CamService.Onnx.Gradients;
using CamService.Onnx.Tests.Support;
using CamService.Testing;

namespace CamService.Onnx.Tests.Gradients;

/// <summary>
/// Every derivative rule against central finite differences, on small random graphs whose input x
/// is the target layer: batches of 1 to 3 images, T = 3 targets each (top-1 among them), odd, even
/// and non-square feature maps.
/// </summary>
public sealed class GradientRuleTests
{
    /// <summary>
    /// The step h. Inputs and weights are O(1) and every kink is at least 5h away from the inputs,
    /// so the central difference of a piecewise-linear op is exact up to rounding, and that of a
    /// smooth one is off by O(h²) ≈ 1e-4 relatively. Float32 scores of size 1 to 10 round by about
    /// 1e-7 to 1e-6; divided by 2h that is 1e-5 or less, against gradients of size 1e-2 to 1.
    /// </summary>
    public const float Step = 1e-2f;

    /// <summary>
    /// Worst |analytic − numeric| relative to the largest numeric entry of the same image and target.
    /// Five times the worst error seen over all cases (4e-4, the h² error of 1/x), and far below what
    /// a wrong rule gives: a missed border count, a swapped axis or a lost broadcast sum is off by 10%
    /// or more (checked by breaking rules on purpose).
    /// </summary>
    public const double Tolerance = 2e-3;

    /// <summary>T = 3 targets per image, one row per image; negative means the image's top-1 class.</summary>
    public static readonly long[][] Targets = [[-1, 2, 0], [1, -1, 3], [4, 0, -1]];

    /// <summary>
    /// Odd, even and non-square feature maps, where window geometry and output padding differ; and
    /// batches of 1 and 3 besides the probe's 2, so no rule may keep a shape it saw while probing.
    /// </summary>
    static readonly (int N, int H, int W)[] Shapes = [(2, 5, 5), (2, 6, 6), (3, 5, 6), (1, 6, 5)];

    public static TheoryData<string, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (var @case in GradientCases.All)
        {
            foreach (var (batch, height, width) in Shapes)
            {
                data.Add(@case.Name, batch, height, width);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_MatchCentralDifferences(string name, int batch, int height, int width)
    {
        var @case = GradientCases.All.Single(c => c.Name == name);
        var graph = new TestGraph(@case.Opset);
        var x = new FeatureMap("x", GradientCases.Channels, height, width);
        long[] shape = [batch, x.K, height, width];
        graph.Input(x, shape);
        var scores = @case.Build(graph, x);
        var plain = graph.Output(scores).Build();

        var result = new CamReadyBuilder().Prepare(plain, new PrepareOptions { TargetLayer = x });
        Assert.Contains(@case.Op, result.Path.Select(n => n.OpType));

        var values = @case.Values.Draw((int)shape.Aggregate((a, b) => a * b), new Random(7));
        var comparison = FiniteDifferences.Compare(plain, result.Model, x, scores, values, shape, Targets[..batch], Step);
        Assert.True(comparison.LogitsError < 1e-5, $"logits differ from the plain model's scores by {comparison.LogitsError:E2}");
        Assert.True(comparison.ActivationsError == 0, $"activations differ from x by {comparison.ActivationsError:E2}");
        Assert.True(comparison.SmallestScale > 1e-3, $"a numeric gradient is all but zero ({comparison.SmallestScale:E2}): the check says nothing");
        Assert.True(comparison.GradientError <= Tolerance,
            $"gradient error {comparison.GradientError:E2} > {Tolerance:E1} at {comparison.Worst}");
    }

    [Fact]
    public void EveryRule_HasAFiniteDifferenceCase()
    {
        var tested = GradientCases.All.Select(c => c.Op).ToHashSet();
        var untested = GradientRules.Default.OpTypes.Where(op => !tested.Contains(op)).ToList();
        Assert.True(untested.Count == 0, $"No finite-difference case in GradientCases for: {string.Join(", ", untested)}.");
        Assert.Equal(GradientCases.All.Count, GradientCases.All.Select(c => c.Name).Distinct().Count());
    }
}
