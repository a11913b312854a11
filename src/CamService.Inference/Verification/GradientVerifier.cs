using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Inference.Verification;

/// <summary>Settings of a finite-difference check.</summary>
public sealed record VerifyOptions
{
    public int Batch { get; init; } = 2;

    /// <summary>Random directions per image and target.</summary>
    public int Directions { get; init; } = 3;

    /// <summary>
    /// Step as a fraction of the activations' root mean square. Each direction is also tried at ten
    /// times this step and the closer estimate is kept: the small step suits curved heads, the
    /// large one big linear heads, whose float32 scores round off more than a small step moves them
    /// (resnet50's 2048×7×7 map came within 10 % of the tolerance at 1e-3 alone).
    /// </summary>
    public double Step { get; init; } = 1e-3;

    /// <summary>The largest acceptable relative error.</summary>
    public double Tolerance { get; init; } = 1e-2;

    public int Seed { get; init; } = 7;

    /// <summary>Spatial size used for free input dimensions.</summary>
    public int ImageSize { get; init; } = 224;
}

/// <summary>One directional check: the analytic and the finite-difference derivative.</summary>
public sealed record DirectionalCheck(int Image, long Class, int Direction, double Analytic, double Numeric, double RelativeError);

/// <summary>The outcome of <see cref="GradientVerifier.Verify"/>.</summary>
/// <param name="InDoubles">Whether the head was evaluated in double precision (see <see cref="HeadEvaluator"/>).</param>
/// <param name="FloatReason">Why it was evaluated in float32 instead, when it was.</param>
public sealed record VerificationReport(IReadOnlyList<DirectionalCheck> Checks, double Tolerance, bool InDoubles = false, string? FloatReason = null)
{
    public double WorstRelativeError => Checks.Max(c => c.RelativeError);

    public bool Passed => WorstRelativeError <= Tolerance;
}

/// <summary>
/// Checks a CAM-ready model's <c>gradients</c> against central finite differences of its own head:
/// for random directions V, (s(A + hV) − s(A − hV)) / 2h must equal ⟨∂s/∂A, V⟩ for each target score s.
/// </summary>
public static class GradientVerifier
{
    public static VerificationReport Verify(ModelProto camReady, VerifyOptions? options = null)
    {
        options ??= new VerifyOptions();
        var head = new HeadExtractor(camReady);
        var random = new Random(options.Seed);

        // The full model, also exposing what the head reads from the backbone.
        var full = camReady.Clone();
        full.Graph.Output.AddRange(head.SideInputs.Select(s => new ValueInfoProto { Name = s }));
        // One thread: the same sums in the same order on every run, so a finite difference sees only the step.
        var settings = new ExecutionSettings { Optimization = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpThreads = 1 };
        using var fullModel = SerializedModel.Of(full);
        using var fullSession = SessionFactory.Create(fullModel, settings).Session;

        var (imageInput, imageShape, image) = RandomImage(full, options, random);
        var batch = (int)imageShape[0];
        var classes = fullSession.OutputMetadata[CamReadyContract.Logits].Dimensions[1];
        if (classes <= 0)
        {
            throw new CamReadyException("The 'logits' output does not declare its number of classes.");
        }
        var targets = new long[batch * 2];
        for (var n = 0; n < batch; n++)
        {
            targets[2 * n] = -1;
            targets[2 * n + 1] = random.Next(0, classes);
        }

        var outputNames = new[] { CamReadyContract.Logits, CamReadyContract.Activations, CamReadyContract.Gradients }.Concat(head.SideInputs).ToList();
        using var imageValue = OrtValue.CreateTensorValueFromMemory(image, imageShape);
        using var targetsValue = OrtValue.CreateTensorValueFromMemory(targets, [batch, 2]);
        using var run = fullSession.RunWithOwnOptions([imageInput.Name, CamReadyContract.Targets], [imageValue, targetsValue], outputNames);
        var baseline = Baseline.Of(run, targets, batch, classes);

        // The head: activations plus side inputs, all typed from the run.
        var types = new Dictionary<string, (DataType, long[])>();
        for (var i = 0; i < head.SideInputs.Count; i++)
        {
            var info = run[3 + i].GetTensorTypeAndShape();
            types[head.SideInputs[i]] = (ToDataType(info.ElementDataType), info.Shape);
        }
        using var evaluator = HeadEvaluator.Create(head, types, run, firstSide: 3, settings);

        var rms = Math.Sqrt(baseline.Activations.Select(a => (double)a * a).Average());
        var checks = new List<DirectionalCheck>();
        for (var d = 0; d < options.Directions; d++)
        {
            var direction = new float[baseline.Activations.Length];
            for (var i = 0; i < direction.Length; i++)
            {
                direction[i] = (float)Gaussian(random);
            }
            checks.AddRange(CheckDirection(baseline, evaluator, direction, d, options.Step, rms));
        }
        return Score(checks, options.Tolerance, evaluator.IsDouble, evaluator.FloatReason);
    }

    /// <summary>The image input, its shape (free batch and size from the options) and a Gaussian image for it.</summary>
    static (ValueInfoProto Input, long[] Shape, float[] Image) RandomImage(ModelProto full, VerifyOptions options, Random random)
    {
        var imageInput = full.Graph.Input.First(i => i.Name != CamReadyContract.Targets && full.Graph.Initializer.All(t => t.Name != i.Name));
        var imageShape = imageInput.Type.TensorType.Shape.Dim
            .Select((d, i) => d.HasDimValue && d.DimValue > 0 ? d.DimValue : i == 0 ? options.Batch : options.ImageSize).ToArray();
        var image = new float[imageShape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < image.Length; i++)
        {
            image[i] = (float)Gaussian(random);
        }
        return (imageInput, imageShape, image);
    }

    /// <summary>The model's run on the image: its logits, activations and gradients, and the classes each gradient is of.</summary>
    sealed record Baseline(float[] Logits, float[] Activations, long[] ActivationShape, float[] Gradients, long[] Chosen, int Batch, int Classes)
    {
        public static Baseline Of(IDisposableReadOnlyCollection<OrtValue> run, long[] targets, int batch, int classes)
        {
            var logits = run[0].GetTensorDataAsSpan<float>().ToArray();
            var chosen = new long[batch * 2];
            for (var n = 0; n < batch; n++)
            {
                chosen[2 * n] = ArgMax(logits.AsSpan(n * classes, classes));
                chosen[2 * n + 1] = targets[2 * n + 1];
            }
            return new Baseline(logits, run[1].GetTensorDataAsSpan<float>().ToArray(), run[1].GetTensorTypeAndShape().Shape,
                run[2].GetTensorDataAsSpan<float>().ToArray(), chosen, batch, classes);
        }
    }

    /// <summary>Each image's two targets along one direction: the gradient's derivative, and the finite difference nearest it.</summary>
    static IEnumerable<DirectionalCheck> CheckDirection(Baseline baseline, HeadEvaluator evaluator, float[] direction, int d, double step, double rms)
    {
        var (batch, classes) = (baseline.Batch, baseline.Classes);
        var perImage = baseline.Activations.Length / batch;
        var analytics = Enumerable.Range(0, batch * 2)
            .Select(slot => Dot(baseline.Gradients.AsSpan(slot * perImage, perImage), direction.AsSpan(slot / 2 * perImage, perImage)))
            .ToArray();
        var steps = Steps(step, rms, evaluator.IsDouble).Append(RoundingSafeStep(baseline.Logits, analytics, evaluator.IsDouble));
        var estimates = steps.Select(h =>
        {
            var plus = evaluator.Scores(baseline.Activations, direction, h, baseline.ActivationShape);
            var minus = evaluator.Scores(baseline.Activations, direction, -h, baseline.ActivationShape);
            return (Step: h, Plus: plus, Minus: minus);
        }).ToList();

        var checks = new List<DirectionalCheck>();
        for (var n = 0; n < batch; n++)
        {
            for (var t = 0; t < 2; t++)
            {
                var c = baseline.Chosen[2 * n + t];
                var analytic = analytics[2 * n + t];
                var numeric = estimates
                    .Select(e => (e.Plus[n * classes + c] - e.Minus[n * classes + c]) / (2 * e.Step))
                    .MinBy(estimate => Math.Abs(estimate - analytic));
                checks.Add(new DirectionalCheck(n, c, d, analytic, numeric, 0));
            }
        }
        return checks;
    }

    /// <summary>
    /// Relative to the check's own size, floored at a tenth of the typical size: float32 rounding
    /// leaves the finite differences off by a few 1e-4 of the typical size, so a direction whose
    /// derivative happens to be near zero would fail a correct model against a lower floor (it did
    /// at 1e-2, for the default seed). A wrong gradient still shows in the typical directions.
    /// </summary>
    static VerificationReport Score(List<DirectionalCheck> checks, double tolerance, bool isDouble, string? floatReason)
    {
        var typical = checks.Select(c => Math.Abs(c.Analytic)).Order().ElementAt(checks.Count / 2);
        var scored = checks.Select(c => c with
        {
            RelativeError = Math.Abs(c.Analytic - c.Numeric) / Math.Max(Math.Max(Math.Abs(c.Analytic), Math.Abs(c.Numeric)), Math.Max(typical * 0.1, 1e-12)),
        }).ToList();
        return new VerificationReport(scored, tolerance, isDouble, floatReason);
    }

    /// <summary>
    /// The absolute steps tried along each direction. In float32, the relative step and ten times it (big linear heads round
    /// off more than a small step moves them); in doubles, a ten-thousandth and a hundredth of it: AlexNet's 2 × 4096 ReLUs
    /// still put a kink within a hundredth along one direction in twelve, and doubles round off ~1e-16 of the scores.
    /// </summary>
    static double[] Steps(double relative, double rms, bool doubles)
    {
        var scale = relative * Math.Max(rms, 1e-6);
        return doubles ? [scale / 10000, scale / 100] : [scale, 10 * scale];
    }

    /// <summary>
    /// A step whose score change stands 10⁴ times above the scores' rounding (2⁻²³ of the largest score in float32, 2⁻⁵² in
    /// doubles) for the median directional derivative. Random weights can shrink a deep net's activations to 1e-12 (GoogLeNet's):
    /// steps taken relative to them then move the scores by less than their rounding, and every difference comes out 0.
    /// </summary>
    static double RoundingSafeStep(float[] logits, double[] analytics, bool doubles)
    {
        var rounding = (doubles ? Math.Pow(2, -52) : Math.Pow(2, -23)) * logits.Max(v => Math.Abs((double)v));
        var derivative = analytics.Select(Math.Abs).Order().ElementAt(analytics.Length / 2);
        return derivative > 0 ? 1e4 * rounding / derivative : 1;
    }

    static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }
        return sum;
    }

    static long ArgMax(ReadOnlySpan<float> values) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values);

    static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    static DataType ToDataType(TensorElementType type) => type switch
    {
        TensorElementType.Float => DataType.Float,
        TensorElementType.Double => DataType.Double,
        TensorElementType.Float16 => DataType.Float16,
        TensorElementType.Int64 => DataType.Int64,
        TensorElementType.Int32 => DataType.Int32,
        TensorElementType.Bool => DataType.Bool,
        _ => throw new NotSupportedException($"A head input has element type {type}."),
    };
}
