using CamService.Inference.Explanations;
using CamService.Inference.Methods;
using CamService.Inference.Runtime;

namespace CamService.Inference.Tests;

/// <summary>Every registered method through the engine on the colour model, and each one-pass formula on hand-made tensors.</summary>
public sealed class CamMethodTests : IDisposable
{
    const int Size = 16;
    readonly CamReadyModel model = ColourModel.Load(Size);

    // K = 3 channels of 2×2, signs mixed so that every ReLU in the formulas bites somewhere.
    const int Channels = 3;
    const int Positions = 4;

    static readonly float[] Activations =
    [
        1.0f, 0.5f, 0.0f, 2.0f,
        0.2f, 1.5f, 0.8f, 0.1f,
        -0.3f, 0.4f, 1.2f, 0.6f,
    ];

    static readonly float[] Gradients =
    [
        0.3f, -0.2f, 0.5f, 0.1f,
        -0.4f, 0.6f, -0.1f, -0.3f,
        0.2f, 0.2f, -0.5f, 0.4f,
    ];

    public static TheoryData<string> Registered => new(CamMethods.Default.Names);

    /// <summary>The methods that are a formula over activations and gradients alone, so need no model.</summary>
    public static TheoryData<string> OnePass => new(CamMethods.Default.All.Where(m => m.Cost == CostClass.OnePass).Select(m => m.Name));

    /// <summary>The one-pass methods that explain a class (all but Eigen-CAM).</summary>
    public static TheoryData<string> OnePassWithGradients =>
        new(CamMethods.Default.All.Where(m => m.Cost == CostClass.OnePass && m.UsesGradients).Select(m => m.Name));

    [Fact]
    public void Registry_NamesTheMethodsAsPytorchGradCamDoes()
    {
        Assert.Subset(CamMethods.Default.Names.ToHashSet(), new HashSet<string> { "gradcam", "gradcam++", "xgradcam", "hirescam", "layercam", "eigencam" });
        Assert.Same(CamMethods.Default.Find("eigencam"), CamMethods.Default.Find("EigenCAM"));
    }

    [Theory]
    [MemberData(nameof(Registered))]
    public void EveryMethod_HasOneLineCitingItsPaper(string name)
    {
        var description = CamMethods.Default.Find(name)!.Description;
        Assert.DoesNotContain('\n', description);
        Assert.Matches(@"arXiv \d{4}\.\d{4,5}|doi 10\.", description);
    }

    [Theory]
    [MemberData(nameof(Registered))]
    public void EveryMethod_GivesFiniteNonNegativeMaps_TheSameEachTime(string name)
    {
        var method = CamMethods.Default.Find(name)!;
        var targets = ExplanationTarget.ParseList("red,green");
        var first = CamEngine.Explain(model, "colour", CamEngineTests.Images(), 2, targets, [method]);
        var second = CamEngine.Explain(model, "colour", CamEngineTests.Images(), 2, targets, [method]);

        for (var n = 0; n < 2; n++)
        {
            Assert.Equal(2, first[n].Maps.Count);
            for (var t = 0; t < 2; t++)
            {
                var map = first[n].Maps[t];
                Assert.Equal(name, map.Method);
                Assert.Equal((4, 4, 16), (map.Map.Width, map.Map.Height, map.Map.Data.Length));
                Assert.All(map.Map.Data, v => Assert.True(float.IsFinite(v) && v >= 0, $"{name}: {v}"));
                Assert.Equal(map.Map.Data, second[n].Maps[t].Map.Data);
            }
        }
    }

    [Theory]
    [MemberData(nameof(OnePassWithGradients))]
    public void GradientMethods_LightWhereTheTargetsColourIs(string name)
    {
        var method = CamMethods.Default.Find(name)!;
        var maps = CamEngine.Explain(model, "colour", CamEngineTests.Images(), 1, ExplanationTarget.ParseList("red,green"), [method])[0].Maps;

        // Red fills the left columns of the 4×4 map, green the right ones.
        Assert.True(maps[0].Map.Data[0] > 0 && maps[0].Map.Data[3] == 0, $"{name} red: {string.Join(' ', maps[0].Map.Data)}");
        Assert.True(maps[1].Map.Data[3] > 0 && maps[1].Map.Data[0] == 0, $"{name} green: {string.Join(' ', maps[1].Map.Data)}");
    }

    [Theory]
    [MemberData(nameof(OnePass))]
    public void OnePassMethods_GiveAZeroMap_ForZeroActivations(string name)
    {
        var map = new float[Positions];
        CamMethods.Default.Find(name)!.Compute(Context(new float[Channels * Positions], Gradients), map);
        Assert.All(map, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData("gradcam")]
    [InlineData("gradcam++")]
    [InlineData("xgradcam")]
    [InlineData("hirescam")]
    [InlineData("layercam")]
    public void GradientMethods_FollowTheirFormula(string name)
    {
        var expected = Formula(name, Activations, Gradients);
        var map = new float[Positions];
        CamMethods.Default.Find(name)!.Compute(Context(Activations, Gradients), map);

        Assert.Contains(expected, v => v > 0);
        for (var p = 0; p < Positions; p++)
        {
            Assert.Equal(expected[p], map[p], 1e-5);
        }
    }

    [Fact]
    public void GradientMethods_DifferOnTheseTensors()
    {
        // The formula checks above only mean something if the methods disagree on their input.
        string[] names = ["gradcam", "gradcam++", "xgradcam", "hirescam", "layercam"];
        var maps = names.Select(n => string.Join(' ', Formula(n, Activations, Gradients).Select(v => v.ToString("F4")))).ToList();
        Assert.Equal(names.Length, maps.Distinct().Count());
    }

    /// <summary>The methods' formulas as pytorch-grad-cam writes them, in doubles, one position and channel at a time.</summary>
    static double[] Formula(string name, float[] a, float[] g)
    {
        double[] Weighted(Func<int, double> weight)
        {
            var weights = Enumerable.Range(0, Channels).Select(weight).ToArray();
            return Enumerable.Range(0, Positions).Select(p => Relu(Enumerable.Range(0, Channels).Sum(k => weights[k] * a[k * Positions + p]))).ToArray();
        }
        double[] Elementwise(Func<double, double> gradient) =>
            Enumerable.Range(0, Positions).Select(p => Relu(Enumerable.Range(0, Channels).Sum(k => gradient(g[k * Positions + p]) * a[k * Positions + p]))).ToArray();
        double ActivationSum(int k) => Enumerable.Range(0, Positions).Sum(p => (double)a[k * Positions + p]);
        IEnumerable<(double A, double G)> Channel(int k) => Enumerable.Range(k * Positions, Positions).Select(i => ((double)a[i], (double)g[i]));

        return name switch
        {
            "gradcam" => Weighted(k => Channel(k).Average(x => x.G)),
            "gradcam++" => Weighted(k => Channel(k).Sum(x =>
            {
                var alpha = x.G * x.G / (2 * x.G * x.G + ActivationSum(k) * x.G * x.G * x.G + 1e-6);
                return x.G != 0 ? Relu(x.G) * alpha : 0;
            })),
            "xgradcam" => Weighted(k => Channel(k).Sum(x => x.G * x.A) / (ActivationSum(k) + 1e-7)),
            "hirescam" => Elementwise(x => x),
            "layercam" => Elementwise(Relu),
            _ => throw new ArgumentException(name),
        };
    }

    static double Relu(double x) => Math.Max(x, 0);

    static CamContext Context(float[] activations, float[] gradients, int channels = Channels, int height = 2, int width = 2) =>
        new(activations, gradients, channels, height, width, 0, default, default);

    [Theory]
    [InlineData(1f)]
    [InlineData(-1f)]
    public void EigenCam_OfRankOneActivations_IsThatComponent_SignedByTheChannelSum(float loadingSign)
    {
        // A_k(p) = c_k + v_k·u_p with u centred: the centred activations are u·vᵀ, whose projection on its
        // first component is ±|v|·u; the channel sum is (Σ v)·u, so the sign rule picks sign(Σ v)·|v|·u.
        float[] u = [1, -1, 2, -2];
        float[] v = [1 * loadingSign, 2 * loadingSign, 3 * loadingSign];
        float[] offsets = [5, -1, 0.5f];
        var activations = new float[Channels * Positions];
        for (var k = 0; k < Channels; k++)
        {
            for (var p = 0; p < Positions; p++)
            {
                activations[k * Positions + p] = offsets[k] + v[k] * u[p];
            }
        }

        var map = new float[Positions];
        new EigenCam().Compute(Context(activations, []), map);

        var length = Math.Sqrt(14);
        for (var p = 0; p < Positions; p++)
        {
            Assert.Equal(Relu(loadingSign * length * u[p]), map[p], 1e-4);
        }
    }

    [Theory]
    [InlineData(3f, 2f, new[] { 1.5f, 1.5f, 0f, 0f })]
    [InlineData(2f, 3f, new[] { 1.5f, 0f, 1.5f, 0f })]
    public void EigenCam_PicksTheComponentOfLargestVariance(float first, float second, float[] expected)
    {
        // Two orthonormal components over the positions (u1, u2) on two separate channels: the map is the
        // larger one's projection σ·u.
        float[] u1 = [0.5f, 0.5f, -0.5f, -0.5f];
        float[] u2 = [0.5f, -0.5f, 0.5f, -0.5f];
        var activations = new float[Channels * Positions];
        for (var p = 0; p < Positions; p++)
        {
            activations[p] = first * u1[p];
            activations[Positions + p] = second * u2[p];
        }

        var map = new float[Positions];
        new EigenCam().Compute(Context(activations, []), map);

        for (var p = 0; p < Positions; p++)
        {
            Assert.Equal(expected[p], map[p], 1e-4);
        }
    }

    [Fact]
    public void EigenCam_OfActivationsConstantOverThePositions_IsZero()
    {
        float[] activations = [2, 2, 2, 2, -1, -1, -1, -1, 0, 0, 0, 0];
        var map = new float[Positions];
        new EigenCam().Compute(Context(activations, []), map);
        Assert.All(map, v => Assert.Equal(0f, v));
    }

    /// <summary>
    /// A planted component under noise: 64 channels over 7×7 positions (the method works on the positions' Gram
    /// matrix) and 4 channels over 16×16 (on the channels'). The reference is power iteration on the channels'
    /// covariance XᵀX from all ones, then X·v, signed so Σ v ≥ 0.
    /// </summary>
    [Theory]
    [InlineData(64, 7)]
    [InlineData(4, 16)]
    public void EigenCam_MatchesThePrincipalComponentFoundOnTheChannelSide(int channels, int side)
    {
        var positions = side * side;
        var random = new Random(7);
        var activations = new float[channels * positions];
        for (var k = 0; k < channels; k++)
        {
            var loading = random.NextDouble() - 0.3;
            for (var p = 0; p < positions; p++)
            {
                activations[k * positions + p] = (float)(loading * Math.Sin(p) + 0.3 * random.NextDouble());
            }
        }
        var map = new float[positions];
        new EigenCam().Compute(Context(activations, [], channels, side, side), map);

        var centred = new double[positions, channels];
        for (var k = 0; k < channels; k++)
        {
            var mean = Enumerable.Range(0, positions).Average(p => activations[k * positions + p]);
            for (var p = 0; p < positions; p++)
            {
                centred[p, k] = activations[k * positions + p] - mean;
            }
        }
        double[] Project(double[] v) => Enumerable.Range(0, positions).Select(p => Enumerable.Range(0, channels).Sum(k => centred[p, k] * v[k])).ToArray();
        var component = Enumerable.Repeat(1.0, channels).ToArray();
        for (var iteration = 0; iteration < 200; iteration++)
        {
            var projected = Project(component);
            var next = Enumerable.Range(0, channels).Select(k => Enumerable.Range(0, positions).Sum(p => centred[p, k] * projected[p])).ToArray();
            var norm = Math.Sqrt(next.Sum(x => x * x));
            component = next.Select(x => x / norm).ToArray();
        }
        var sign = component.Sum() >= 0 ? 1 : -1;
        var expected = Project(component.Select(x => sign * x).ToArray());

        Assert.Contains(map, v => v > 0);
        Assert.Contains(map, v => v == 0);
        for (var p = 0; p < positions; p++)
        {
            Assert.Equal(Relu(expected[p]), map[p], 1e-3);
        }
    }

    public void Dispose() => model.Dispose();
}
