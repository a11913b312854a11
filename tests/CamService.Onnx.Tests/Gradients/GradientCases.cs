using CamService.Onnx.Graph;
using CamService.Testing;
using static CamService.Onnx.Graph.Attributes;
using static CamService.Testing.SmallClassifiers;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Onnx.Tests.Gradients;

/// <summary>The graph input a case builds on: x, [N, K, H, W].</summary>
public sealed record FeatureMap(string Name, int K, int H, int W)
{
    public static implicit operator string(FeatureMap x) => x.Name;
}

/// <summary>How a case draws its input, so that x ± h never crosses a kink of the op under test.</summary>
public sealed record InputValues(string Description, Func<int, Random, float[]> Draw)
{
    /// <summary>Uniform in [-range, range], at least <paramref name="margin"/> from every point in <paramref name="kinks"/>.</summary>
    public static InputValues Uniform(float range, float margin = 0f, params float[] kinks) => new(
        $"uniform ±{range} away from [{string.Join(", ", kinks)}]",
        (count, random) =>
        {
            var values = new float[count];
            for (var i = 0; i < count; i++)
            {
                do
                {
                    values[i] = range * (2 * random.NextSingle() - 1);
                }
                while (kinks.Any(k => Math.Abs(values[i] - k) < margin));
            }
            return values;
        });

    /// <summary>
    /// Every value distinct, <paramref name="spacing"/> apart, in random order: a maximum stays the
    /// maximum under a perturbation smaller than half the spacing (no MaxPool ties).
    /// </summary>
    public static InputValues Distinct(float spacing) => new(
        $"distinct, {spacing} apart",
        (count, random) =>
        {
            var values = Enumerable.Range(0, count).Select(i => (i - count / 2f) * spacing).ToArray();
            random.Shuffle(values);
            return values;
        });
}

/// <summary>
/// One finite-difference case: x [N, K, H, W] is (or directly feeds) the operator under test,
/// followed by a head that ends in [N, <see cref="SmallClassifiers.Classes"/>] scores.
/// </summary>
/// <param name="Op">The operator under test; it must be on the gradient path.</param>
/// <param name="Variant">What this case exercises of it.</param>
/// <param name="Build">Adds the operator and a head after x and returns the scores.</param>
public sealed record GradientCase(string Op, string Variant, Func<TestGraph, FeatureMap, string> Build)
{
    public string Name => $"{Op}: {Variant}";

    public int Opset { get; init; } = 17;

    public InputValues Values { get; init; } = InputValues.Uniform(1f);
}

/// <summary>
/// The registry of finite-difference cases, at least one per derivative rule
/// (<see cref="GradientRuleTests.EveryRule_HasAFiniteDifferenceCase"/> enforces it).
/// </summary>
public static class GradientCases
{
    /// <summary>K of x: even, for two convolution groups, and neither 1 nor 3, so x is never mistaken for an image's colours.</summary>
    public const int Channels = 4;

    /// <summary>Margin around kinks: five steps of <see cref="GradientRuleTests.Step"/>, so x ± h stays on one side.</summary>
    const float Margin = 0.05f;

    public static IReadOnlyList<GradientCase> All { get; } =
    [
        // ---- Shape: elements move, values do not change ----
        new("Identity", "before the pooled head", (g, x) => PooledHead(g, g.Node("Identity", [x]), x.K)),
        new("Dropout", "opset 9, ratio attribute", (g, x) => FlatHead(g, g.Node("Dropout", [x], Float("ratio", 0.3f)), x.K * x.H * x.W))
        {
            Opset = 9,
        },
        new("Dropout", "opset 13, ratio input and unused mask output",
            (g, x) => FlatHead(g, g.Nodes("Dropout", [x, g.Scalar(0.3f)], 2)[0], x.K * x.H * x.W)) { Opset = 13 },
        new("Dropout", "opset 13, training mode with ratio 0 (torchvision 0.14's Swin)",
            (g, x) => FlatHead(g, g.Nodes("Dropout", [x, g.Scalar(0f), g.Node("Constant", [], Tensor("value", TrainingMode))], 2)[0],
                x.K * x.H * x.W)) { Opset = 13 },
        new("Flatten", "the whole feature map", (g, x) => FlatHead(g, x, x.K * x.H * x.W)),
        new("Reshape", "to [0, W, -1] (copy and inferred dims)",
            (g, x) => FlatHead(g, g.Node("Reshape", [x, g.Ints(0, x.W, -1)]), x.K * x.H * x.W)),
        new("Reshape", "torch's view(N, -1), the shape computed from Shape, Gather, Unsqueeze and Concat", (g, x) =>
        {
            var batch = g.Node("Unsqueeze", [g.Node("Gather", [g.Node("Shape", [x]), g.Int(0)]), g.Ints(0)]);
            return FlatHead(g, g.Node("Reshape", [x, g.Node("Concat", [batch, g.Ints(-1)], Int("axis", 0))]), x.K * x.H * x.W);
        }) { Opset = 13 },
        new("Squeeze", "opset 11, axes attribute",
            (g, x) => Classifier(g, g.Node("Squeeze", [g.Node("GlobalAveragePool", [x])], Ints("axes", [3, 2])), x.K)) { Opset = 11 },
        new("Squeeze", "opset 13, negative axes input",
            (g, x) => Classifier(g, g.Node("Squeeze", [g.Node("GlobalAveragePool", [x]), g.Ints(-1, -2)]), x.K)) { Opset = 13 },
        new("Unsqueeze", "opset 11, axes attribute",
            (g, x) => FlatHead(g, g.Node("Unsqueeze", [x], Ints("axes", [1])), x.K * x.H * x.W)) { Opset = 11 },
        new("Unsqueeze", "opset 13, axes input",
            (g, x) => FlatHead(g, g.Node("Unsqueeze", [x, g.Ints(4)]), x.K * x.H * x.W)) { Opset = 13 },
        new("Transpose", "swapping H and W", (g, x) => FlatHead(g, g.Node("Transpose", [x], Ints("perm", [0, 1, 3, 2])), x.K * x.H * x.W)),
        new("Transpose", "to NHWC, then ReduceMean over H and W and MatMul + Add", (g, x) =>
        {
            var nhwc = g.Node("Transpose", [x], Ints("perm", [0, 2, 3, 1]));
            var pooled = g.Node("ReduceMean", [nhwc], Ints("axes", [1, 2]), Int("keepdims", 0));
            return g.Node("Add", [g.Node("MatMul", [pooled, g.Random([x.K, Classes])]), g.Random([Classes])]);
        }),
        new("Expand", "a pooled [N, K, 1, 1] map to [1, 1, H, W]", (g, x) =>
            FlatHead(g, g.Node("Expand", [g.Node("GlobalAveragePool", [x]), g.Ints(1, 1, x.H, x.W)]), x.K * x.H * x.W)),
        new("Expand", "row means by a shape of lower rank, [W]", (g, x) =>
            FlatHead(g, g.Node("Expand", [g.Node("ReduceMean", [x], Ints("axes", [3])), g.Ints(x.W)]), x.K * x.H * x.W)),
        new("Cast", "float to float, CastLike from opset 15",
            (g, x) => FlatHead(g, g.Node("Cast", [x], Int("to", (long)DataType.Float)), x.K * x.H * x.W)),
        new("Cast", "opset 13, float to double and back", (g, x) =>
        {
            var wide = g.Node("Cast", [x], Int("to", (long)DataType.Double));
            return FlatHead(g, g.Node("Cast", [wide], Int("to", (long)DataType.Float)), x.K * x.H * x.W);
        }) { Opset = 13 },
        new("Cast", "beside a cast to int64, which carries no gradient", (g, x) =>
        {
            var truncated = g.Node("Cast", [g.Node("Cast", [x], Int("to", (long)DataType.Int64))], Int("to", (long)DataType.Float));
            // Scaled, so that a gradient wrongly sent through the int64 cast would not round to 0 there.
            var branch = g.Node("Mul", [truncated, g.Scalar(4f)]);
            return FlatHead(g, g.Node("Add", [g.Node("Cast", [x], Int("to", (long)DataType.Float)), branch]), x.K * x.H * x.W);
        })
        {
            Values = InputValues.Uniform(1.5f, Margin, -1f, 0f, 1f),
        },

        // ---- Pooling ----
        new("GlobalAveragePool", "the standard head", (g, x) => PooledHead(g, x, x.K)),
        new("GlobalMaxPool", "distinct values", (g, x) => Classifier(g, g.Node("Flatten", [g.Node("GlobalMaxPool", [x])]), x.K))
        {
            Values = InputValues.Distinct(Margin),
        },
        new("AveragePool", "kernel 2, stride 2, no pads", (g, x) =>
            FlatHead(g, g.Node("AveragePool", [x], Ints("kernel_shape", [2, 2]), Ints("strides", [2, 2])),
                x.K * Out(x.H, 2, 2, 0) * Out(x.W, 2, 2, 0))),
        new("AveragePool", "kernel 3, stride 2, pads 1, padding not counted", (g, x) =>
            FlatHead(g, g.Node("AveragePool", [x], Ints("kernel_shape", [3, 3]), Ints("strides", [2, 2]), Ints("pads", [1, 1, 1, 1])),
                x.K * Out(x.H, 3, 2, 2) * Out(x.W, 3, 2, 2))),
        new("AveragePool", "kernel 3, stride 2, pads 1, padding counted", (g, x) =>
            FlatHead(g, g.Node("AveragePool", [x], Ints("kernel_shape", [3, 3]), Ints("strides", [2, 2]), Ints("pads", [1, 1, 1, 1]),
                Int("count_include_pad", 1)), x.K * Out(x.H, 3, 2, 2) * Out(x.W, 3, 2, 2))),
        new("AveragePool", "kernel 3, stride 1, asymmetric pads, padding not counted", (g, x) =>
            FlatHead(g, g.Node("AveragePool", [x], Ints("kernel_shape", [3, 3]), Ints("pads", [0, 1, 1, 0])),
                x.K * Out(x.H, 3, 1, 1) * Out(x.W, 3, 1, 1))),
        new("AveragePool", "kernel 2, stride 3, rows skipped between windows", (g, x) =>
            FlatHead(g, g.Node("AveragePool", [x], Ints("kernel_shape", [2, 2]), Ints("strides", [3, 3])),
                x.K * Out(x.H, 2, 3, 0) * Out(x.W, 2, 3, 0))),
        new("MaxPool", "opset 17, overlapping kernel 3, stride 2, pads 1", (g, x) =>
            FlatHead(g, g.Node("MaxPool", [x], Ints("kernel_shape", [3, 3]), Ints("strides", [2, 2]), Ints("pads", [1, 1, 1, 1])),
                x.K * Out(x.H, 3, 2, 2) * Out(x.W, 3, 2, 2)))
        {
            Values = InputValues.Distinct(Margin),
        },
        new("MaxPool", "opset 13, kernel 2, stride 2", (g, x) =>
            FlatHead(g, g.Node("MaxPool", [x], Ints("kernel_shape", [2, 2]), Ints("strides", [2, 2])),
                x.K * Out(x.H, 2, 2, 0) * Out(x.W, 2, 2, 0)))
        {
            Opset = 13,
            Values = InputValues.Distinct(Margin),
        },
        new("MaxPool", "opset 11, kernel 2, stride 2 (ScatterElements without reduction)", (g, x) =>
            FlatHead(g, g.Node("MaxPool", [x], Ints("kernel_shape", [2, 2]), Ints("strides", [2, 2])),
                x.K * Out(x.H, 2, 2, 0) * Out(x.W, 2, 2, 0)))
        {
            Opset = 11,
            Values = InputValues.Distinct(Margin),
        },
        new("MaxPool", "opset 9, kernel 2, stride 2 (Scatter)", (g, x) =>
            FlatHead(g, g.Node("MaxPool", [x], Ints("kernel_shape", [2, 2]), Ints("strides", [2, 2])),
                x.K * Out(x.H, 2, 2, 0) * Out(x.W, 2, 2, 0)))
        {
            Opset = 9,
            Values = InputValues.Distinct(Margin),
        },
        new("MaxPool", "kernel 2, stride 2, ceil_mode", (g, x) =>
            FlatHead(g, g.Node("MaxPool", [x], Ints("kernel_shape", [2, 2]), Ints("strides", [2, 2]), Int("ceil_mode", 1)),
                x.K * ((x.H + 1) / 2) * ((x.W + 1) / 2)))
        {
            Values = InputValues.Distinct(Margin),
        },
        new("MaxPool", "kernel 2, dilation 2", (g, x) =>
            FlatHead(g, g.Node("MaxPool", [x], Ints("kernel_shape", [2, 2]), Ints("dilations", [2, 2])),
                x.K * Out(x.H, 2, 1, 0, 2) * Out(x.W, 2, 1, 0, 2)))
        {
            Values = InputValues.Distinct(Margin),
        },
        new("ReduceMean", "opset 13, axes attribute, keepdims 1",
            (g, x) => Classifier(g, g.Node("Flatten", [g.Node("ReduceMean", [x], Ints("axes", [2, 3]))]), x.K)) { Opset = 13 },
        new("ReduceMean", "opset 13, axes attribute, keepdims 0",
            (g, x) => Classifier(g, g.Node("ReduceMean", [x], Ints("axes", [-1, 2]), Int("keepdims", 0)), x.K)) { Opset = 13 },
        new("ReduceMean", "opset 18, axes input, keepdims 1",
            (g, x) => Classifier(g, g.Node("Flatten", [g.Node("ReduceMean", [x, g.Ints(2, 3)])]), x.K)) { Opset = 18 },
        new("ReduceMean", "opset 18, axes input, keepdims 0",
            (g, x) => Classifier(g, g.Node("ReduceMean", [x, g.Ints(2, -1)], Int("keepdims", 0)), x.K)) { Opset = 18 },
        new("ReduceMean", "opset 18, axes from a Constant node", (g, x) =>
        {
            var axes = g.Node("Constant", [], Tensor("value", Tensors.Int64("axes", [2], [2, 3])));
            return Classifier(g, g.Node("ReduceMean", [x, axes], Int("keepdims", 0)), x.K);
        }) { Opset = 18 },
        new("ReduceMean", "over channels, keepdims 1", (g, x) => FlatHead(g, g.Node("ReduceMean", [x], Ints("axes", [1])), x.H * x.W)),
        new("ReduceMean", "opset 18, empty axes input with noop_with_empty_axes (the identity)",
            (g, x) => FlatHead(g, g.Node("ReduceMean", [x, g.Ints()], Int("noop_with_empty_axes", 1)), x.K * x.H * x.W)) { Opset = 18 },
        new("ReduceL2", "F.normalize over tokens' channels, as Swin V2's cosine attention: keepdims 1, clamped, divided", (g, x) =>
        {
            var tokens = Tokens(g, x);
            var norm = g.Node("Clip", [g.Node("ReduceL2", [tokens], Ints("axes", [-1]), Int("keepdims", 1)), g.Scalar(1e-12f)]);
            return FlatHead(g, g.Node("Div", [tokens, norm]), x.H * x.W * x.K);
        }),
        new("ReduceL2", "opset 18, axes input, keepdims 0, over H and W", (g, x) =>
            Classifier(g, g.Node("ReduceL2", [x, g.Ints(2, 3)], Int("keepdims", 0)), x.K)) { Opset = 18 },
        new("ReduceSum", "opset 11, axes attribute, keepdims 1",
            (g, x) => Classifier(g, g.Node("Flatten", [g.Node("ReduceSum", [x], Ints("axes", [2, 3]))]), x.K)) { Opset = 11 },
        new("ReduceSum", "opset 11, negative axes attribute, keepdims 0",
            (g, x) => Classifier(g, g.Node("ReduceSum", [x], Ints("axes", [-1, 2]), Int("keepdims", 0)), x.K)) { Opset = 11 },
        new("ReduceSum", "opset 13, axes input, keepdims 0",
            (g, x) => Classifier(g, g.Node("ReduceSum", [x, g.Ints(2, -1)], Int("keepdims", 0)), x.K)) { Opset = 13 },
        new("ReduceSum", "opset 13, over channels, keepdims 1",
            (g, x) => FlatHead(g, g.Node("ReduceSum", [x, g.Ints(1)]), x.H * x.W)) { Opset = 13 },
        new("ReduceSum", "opset 13, empty axes input with noop_with_empty_axes (the identity)",
            (g, x) => FlatHead(g, g.Node("ReduceSum", [x, g.Ints()], Int("noop_with_empty_axes", 1)), x.K * x.H * x.W)) { Opset = 13 },

        // ---- Linear maps ----
        new("Gemm", "transB, alpha and beta", (g, x) =>
            g.Node("Gemm", [Features(g, x), g.Random([Classes, x.K]), g.Random([Classes])],
                Int("transB", 1), Float("alpha", 0.7f), Float("beta", 1.3f))),
        new("Gemm", "transA, and a gradient to C", (g, x) =>
        {
            var features = Features(g, x);
            var transposed = g.Node("Transpose", [features], Ints("perm", [1, 0]));
            var inner = g.Node("Gemm", [features, g.Random([x.K, Classes]), g.Random([Classes])]);
            return g.Node("Gemm", [transposed, g.Random([x.K, Classes]), inner], Int("transA", 1), Float("alpha", 0.5f), Float("beta", 2f));
        }),
        new("Gemm", "a gradient to B with transB", (g, x) =>
            g.Node("Transpose", [g.Node("Gemm", [g.Random([Classes, x.K]), Features(g, x)], Int("transB", 1))], Ints("perm", [1, 0]))),
        new("Gemm", "a gradient to B with transA, transB and alpha", (g, x) =>
        {
            var scores = g.Node("Gemm", [g.Random([x.K, Classes]), Features(g, x)], Int("transA", 1), Int("transB", 1), Float("alpha", 0.5f));
            return g.Node("Transpose", [scores], Ints("perm", [1, 0]));
        }),
        new("Gemm", "C broadcast from [N, 1]", (g, x) =>
        {
            var features = Features(g, x);
            var offset = g.Node("ReduceMean", [features], Ints("axes", [1]));
            return g.Node("Gemm", [features, g.Random([Classes, x.K]), offset], Int("transB", 1), Float("beta", 0.5f));
        }),
        new("MatMul", "by a constant on the right, broadcast over N and K",
            (g, x) => FlatHead(g, g.Node("MatMul", [x, g.Random([x.W, 3])]), x.K * x.H * 3)),
        new("MatMul", "by a constant on the left, broadcast over N and K",
            (g, x) => FlatHead(g, g.Node("MatMul", [g.Random([3, x.H]), x]), x.K * 3 * x.W)),
        new("MatMul", "both operands tracked, the right one broadcast over K", (g, x) =>
        {
            var mean = g.Node("ReduceMean", [x], Ints("axes", [1]));
            return FlatHead(g, g.Node("MatMul", [x, g.Node("Transpose", [mean], Ints("perm", [0, 1, 3, 2]))]), x.K * x.H * x.H);
        }),
        new("MatMul", "both operands tracked, the left one broadcast over K", (g, x) =>
        {
            var mean = g.Node("ReduceMean", [x], Ints("axes", [1]));
            return FlatHead(g, g.Node("MatMul", [mean, g.Node("Transpose", [x], Ints("perm", [0, 1, 3, 2]))]), x.K * x.H * x.H);
        }),
        new("MatMul", "tokens [N, L, K] by a constant [K, D]",
            (g, x) => FlatHead(g, g.Node("MatMul", [Tokens(g, x), g.Random([x.K, 3])]), x.H * x.W * 3)),
        new("MatMul", "attention scores of two heads, [N, 2, L, d] @ [N, 2, d, L], both operands tracked", (g, x) =>
        {
            var tokens = Tokens(g, x);
            string Heads(string projected) =>
                g.Node("Transpose", [g.Node("Reshape", [projected, g.Ints(0, -1, 2, 2)])], Ints("perm", [0, 2, 1, 3]));
            var queries = Heads(g.Node("MatMul", [tokens, g.Random([x.K, 4])]));
            var keys = Heads(g.Node("MatMul", [tokens, g.Random([x.K, 4])]));
            var scores = g.Node("MatMul", [queries, g.Node("Transpose", [keys], Ints("perm", [0, 1, 3, 2]))]);
            return FlatHead(g, scores, 2L * x.H * x.W * x.H * x.W);
        }),
        new("Conv", "1x1 classifier after global pooling",
            (g, x) => g.Node("Flatten", [g.Node("Conv", [g.Node("GlobalAveragePool", [x]), g.Random([Classes, x.K, 1, 1]), g.Random([Classes])])])),
        new("Conv", "1x1 classifier whose [N, C, 1, 1] scores are never flattened",
            (g, x) => g.Node("Conv", [g.Node("GlobalAveragePool", [x]), g.Random([Classes, x.K, 1, 1]), g.Random([Classes])])),
        new("Conv", "3x3, pads 1, stride 2", (g, x) =>
            FlatHead(g, g.Node("Conv", [x, g.Random([3, x.K, 3, 3]), g.Random([3])],
                Ints("kernel_shape", [3, 3]), Ints("pads", [1, 1, 1, 1]), Ints("strides", [2, 2])), 3 * Out(x.H, 3, 2, 2) * Out(x.W, 3, 2, 2))),
        new("Conv", "3x3, dilation 2, no bias, no kernel_shape", (g, x) =>
            FlatHead(g, g.Node("Conv", [x, g.Random([3, x.K, 3, 3])], Ints("dilations", [2, 2]), Ints("pads", [2, 1, 1, 2])),
                3 * Out(x.H, 3, 1, 3, 2) * Out(x.W, 3, 1, 3, 2))),
        new("Conv", "3x3, stride 2, asymmetric pads", (g, x) =>
            FlatHead(g, g.Node("Conv", [x, g.Random([3, x.K, 3, 3])], Ints("pads", [0, 1, 1, 0]), Ints("strides", [2, 2])),
                3 * Out(x.H, 3, 2, 1) * Out(x.W, 3, 2, 1))),
        new("Conv", "3x3, stride 3, trailing rows uncovered", (g, x) =>
            FlatHead(g, g.Node("Conv", [x, g.Random([3, x.K, 3, 3])], Ints("strides", [3, 3])),
                3 * Out(x.H, 3, 3, 0) * Out(x.W, 3, 3, 0))),
        new("Conv", "grouped, 2 groups", (g, x) =>
            FlatHead(g, g.Node("Conv", [x, g.Random([6, x.K / 2, 3, 3]), g.Random([6])], Int("group", 2), Ints("pads", [1, 1, 1, 1])),
                6 * x.H * x.W)),
        new("Conv", "depthwise, stride 2", (g, x) =>
            FlatHead(g, g.Node("Conv", [x, g.Random([x.K, 1, 3, 3])], Int("group", x.K), Ints("pads", [1, 1, 1, 1]), Ints("strides", [2, 2])),
                x.K * Out(x.H, 3, 2, 2) * Out(x.W, 3, 2, 2))),
        new("Conv", "auto_pad SAME_UPPER, stride 2", (g, x) =>
            FlatHead(g, g.Node("Conv", [x, g.Random([3, x.K, 3, 3])], String("auto_pad", "SAME_UPPER"), Ints("strides", [2, 2])),
                3 * ((x.H + 1) / 2) * ((x.W + 1) / 2))),
        new("Conv", "auto_pad SAME_LOWER, kernel 2", (g, x) =>
            FlatHead(g, g.Node("Conv", [x, g.Random([3, x.K, 2, 2])], String("auto_pad", "SAME_LOWER")), 3 * x.H * x.W)),
        new("BatchNormalization", "opset 9", (g, x) => FlatHead(g, BatchNorm(g, x), x.K * x.H * x.W)) { Opset = 9 },
        new("BatchNormalization", "opset 15", (g, x) => FlatHead(g, BatchNorm(g, x), x.K * x.H * x.W)) { Opset = 15 },
        new("BatchNormalization", "on flattened [N, K·H·W] features (BatchNorm1d)", (g, x) =>
        {
            var count = x.K * x.H * x.W;
            var features = g.Node("Flatten", [x]);
            return Classifier(g, g.Node("BatchNormalization",
                [features, g.Random([count]), g.Random([count]), g.Random([count]), g.Random([count], 0.5f, 1.5f)]), count);
        }),

        // ---- Normalization over features ----
        new("LayerNormalization", "last axis of tokens, scale and bias", (g, x) =>
            FlatHead(g, g.Node("LayerNormalization", [Tokens(g, x), g.Random([x.K]), g.Random([x.K])]), x.H * x.W * x.K))
        {
            Values = InputValues.Uniform(2f),
        },
        new("LayerNormalization", "last two axes of tokens, no bias", (g, x) =>
            FlatHead(g, g.Node("LayerNormalization", [Tokens(g, x), g.Random([x.H * x.W, x.K])], Int("axis", -2)), x.H * x.W * x.K)),
        new("LayerNormalization", "axis 1 of x, epsilon 0.1, Mean and InvStdDev outputs unused", (g, x) =>
            FlatHead(g, g.Nodes("LayerNormalization", [x, g.Random([x.K, x.H, x.W]), g.Random([x.K, x.H, x.W])], 3,
                Int("axis", 1), Float("epsilon", 0.1f))[0], x.K * x.H * x.W)),
        new("Sqrt", "LayerNorm decomposed as torch exports it below opset 17", (g, x) =>
        {
            var tokens = Tokens(g, x);
            var centred = g.Node("Sub", [tokens, g.Node("ReduceMean", [tokens], Ints("axes", [-1]))]);
            var variance = g.Node("ReduceMean", [g.Node("Pow", [centred, g.Scalar(2f)])], Ints("axes", [-1]));
            var normalised = g.Node("Div", [centred, g.Node("Sqrt", [g.Node("Add", [variance, g.Scalar(1e-5f)])])]);
            var affine = g.Node("Add", [g.Node("Mul", [normalised, g.Random([x.K])]), g.Random([x.K])]);
            return FlatHead(g, affine, x.H * x.W * x.K);
        })
        {
            Opset = 13,
            Values = InputValues.Uniform(2f),
        },

        // ---- Elementwise arithmetic, broadcasting both ways ----
        new("Add", "a per-channel constant", (g, x) => FlatHead(g, g.Node("Add", [x, g.Random([x.K, 1, 1])]), x.K * x.H * x.W)),
        new("Add", "the pooled input, broadcast, on the left", (g, x) =>
            FlatHead(g, g.Node("Add", [g.Node("GlobalAveragePool", [x]), x]), x.K * x.H * x.W)),
        new("Sub", "x from a per-channel constant", (g, x) => FlatHead(g, g.Node("Sub", [g.Random([x.K, 1, 1]), x]), x.K * x.H * x.W)),
        new("Sub", "the pooled input from x", (g, x) =>
            FlatHead(g, g.Node("Sub", [x, g.Node("GlobalAveragePool", [x])]), x.K * x.H * x.W)),
        new("Mul", "a per-row constant on the left", (g, x) => FlatHead(g, g.Node("Mul", [g.Random([x.H, 1]), x]), x.K * x.H * x.W)),
        new("Mul", "x by its own global average (both operands)", (g, x) =>
            FlatHead(g, g.Node("Mul", [x, g.Node("GlobalAveragePool", [x])]), x.K * x.H * x.W)),
        new("Mul", "x by itself (one tensor in both slots)", (g, x) => FlatHead(g, g.Node("Mul", [x, x]), x.K * x.H * x.W)),
        new("Mul", "squeeze-and-excitation block", (g, x) =>
        {
            var squeezed = g.Node("Relu", [g.Node("Conv", [g.Node("GlobalAveragePool", [x]), g.Random([2, x.K, 1, 1]), g.Random([2])])]);
            var excitation = g.Node("Sigmoid", [g.Node("Conv", [squeezed, g.Random([x.K, 2, 1, 1]), g.Random([x.K])])]);
            return PooledHead(g, g.Node("Mul", [x, excitation]), x.K);
        }),
        new("Mul", "SiLU exported as x * Sigmoid(x)", (g, x) =>
            FlatHead(g, g.Node("Mul", [x, g.Node("Sigmoid", [x])]), x.K * x.H * x.W)) { Values = InputValues.Uniform(3f) },
        new("Div", "x by a positive per-channel constant", (g, x) =>
            FlatHead(g, g.Node("Div", [x, g.Random([x.K, 1, 1], 0.5f, 1.5f)]), x.K * x.H * x.W)),
        new("Div", "a per-channel constant by x", (g, x) =>
            FlatHead(g, g.Node("Div", [g.Random([x.K, 1, 1]), x]), x.K * x.H * x.W))
        {
            // 1/x is steep near 0: |x| ≥ 0.5 keeps the central difference's h²/x² error below 1e-3.
            Values = InputValues.Uniform(1.5f, 0.5f, 0f),
        },
        new("Div", "x by a function of its own average (both operands, broadcast divisor)", (g, x) =>
        {
            var divisor = g.Node("Add", [g.Node("Sigmoid", [g.Node("GlobalAveragePool", [x])]), g.Scalar(0.5f)]);
            return FlatHead(g, g.Node("Div", [x, divisor]), x.K * x.H * x.W);
        }),
        new("Sum", "three inputs, two broadcast", (g, x) =>
            FlatHead(g, g.Node("Sum", [x, g.Node("GlobalAveragePool", [x]), g.Random([x.K, 1, 1])]), x.K * x.H * x.W)),
        new("Neg", "of x", (g, x) => FlatHead(g, g.Node("Neg", [x]), x.K * x.H * x.W)),
        new("Exp", "inputs up to ±1", (g, x) => FlatHead(g, g.Node("Exp", [x]), x.K * x.H * x.W)),
        new("Sqrt", "of x² + 1/4", (g, x) =>
            FlatHead(g, g.Node("Sqrt", [g.Node("Add", [g.Node("Mul", [x, x]), g.Scalar(0.25f)])]), x.K * x.H * x.W)),
        new("Reciprocal", "inputs away from 0", (g, x) => FlatHead(g, g.Node("Reciprocal", [x]), x.K * x.H * x.W))
        {
            Values = InputValues.Uniform(1.5f, 0.5f, 0f),
        },
        new("Pow", "x cubed, an int64 exponent", (g, x) => FlatHead(g, g.Node("Pow", [x, g.Int(3)]), x.K * x.H * x.W)),
        new("Pow", "a positive per-channel constant to the power x (the exponent's gradient)", (g, x) =>
            FlatHead(g, g.Node("Pow", [g.Random([x.K, 1, 1], 0.5f, 2f), x]), x.K * x.H * x.W)),
        new("Pow", "both operands: (sigmoid(x) + 1/2) to the power 2 + x's pooled map, broadcast", (g, x) =>
        {
            // An exponent near 2, not 0, keeps the base's gradient well above the scores' rounding.
            var positive = g.Node("Add", [g.Node("Sigmoid", [x]), g.Scalar(0.5f)]);
            var exponent = g.Node("Add", [g.Node("GlobalAveragePool", [x]), g.Scalar(2f)]);
            return FlatHead(g, g.Node("Pow", [positive, exponent]), x.K * x.H * x.W);
        }),
        new("Where", "a constant condition, both branches from x", (g, x) =>
        {
            var condition = g.Node("Greater", [g.Random([x.H, x.W]), g.Scalar(0f)]);
            return FlatHead(g, g.Node("Where", [condition, x, g.Node("Tanh", [x])]), x.K * x.H * x.W);
        }),
        new("Where", "a condition from x itself, the other branch a broadcast constant", (g, x) =>
        {
            var condition = g.Node("Greater", [x, g.Scalar(0f)]);
            return FlatHead(g, g.Node("Where", [condition, g.Random([x.K, 1, 1]), x]), x.K * x.H * x.W);
        })
        {
            Values = InputValues.Uniform(1f, Margin, 0f),
        },

        // ---- Activations (inputs kept away from their kinks) ----
        new("Relu", "inputs away from 0", (g, x) => FlatHead(g, g.Node("Relu", [x]), x.K * x.H * x.W)) { Values = InputValues.Uniform(1f, Margin, 0f) },
        new("LeakyRelu", "alpha 0.1", (g, x) => FlatHead(g, g.Node("LeakyRelu", [x], Float("alpha", 0.1f)), x.K * x.H * x.W))
        {
            Values = InputValues.Uniform(1f, Margin, 0f),
        },
        new("LeakyRelu", "default alpha", (g, x) => FlatHead(g, g.Node("LeakyRelu", [x]), x.K * x.H * x.W))
        {
            Values = InputValues.Uniform(1f, Margin, 0f),
        },
        new("Sigmoid", "inputs up to ±3", (g, x) => FlatHead(g, g.Node("Sigmoid", [x]), x.K * x.H * x.W)) { Values = InputValues.Uniform(3f) },
        new("Tanh", "inputs up to ±2", (g, x) => FlatHead(g, g.Node("Tanh", [x]), x.K * x.H * x.W)) { Values = InputValues.Uniform(2f) },
        new("HardSigmoid", "default alpha and beta", (g, x) => FlatHead(g, g.Node("HardSigmoid", [x]), x.K * x.H * x.W))
        {
            Values = InputValues.Uniform(4f, Margin, -2.5f, 2.5f),
        },
        new("HardSigmoid", "alpha 0.3, beta 0.4", (g, x) =>
            FlatHead(g, g.Node("HardSigmoid", [x], Float("alpha", 0.3f), Float("beta", 0.4f)), x.K * x.H * x.W))
        {
            Values = InputValues.Uniform(3f, Margin, -4f / 3, 2f),
        },
        new("HardSwish", "opset 14", (g, x) => FlatHead(g, g.Node("HardSwish", [x]), x.K * x.H * x.W))
        {
            Opset = 14,
            Values = InputValues.Uniform(4.5f, Margin, -3f, 3f),
        },
        new("Clip", "opset 9, min and max attributes", (g, x) =>
            FlatHead(g, g.Node("Clip", [x], Float("min", -0.5f), Float("max", 0.5f)), x.K * x.H * x.W))
        {
            Opset = 9,
            Values = InputValues.Uniform(1f, Margin, -0.5f, 0.5f),
        },
        new("Clip", "opset 13, min and max inputs", (g, x) =>
            FlatHead(g, g.Node("Clip", [x, g.Scalar(-0.5f), g.Scalar(0.5f)]), x.K * x.H * x.W))
        {
            Opset = 13,
            Values = InputValues.Uniform(1f, Margin, -0.5f, 0.5f),
        },
        new("Clip", "opset 13, min input only (ReLU)", (g, x) =>
            FlatHead(g, g.Node("Clip", [x, g.Scalar(0f)]), x.K * x.H * x.W))
        {
            Opset = 13,
            Values = InputValues.Uniform(1f, Margin, 0f),
        },
        new("Clip", "opset 13, max input only", (g, x) =>
            FlatHead(g, g.Node("Clip", [x, "", g.Scalar(0.25f)]), x.K * x.H * x.W))
        {
            Opset = 13,
            Values = InputValues.Uniform(1f, Margin, 0.25f),
        },
        new("Erf", "inputs up to ±2", (g, x) => FlatHead(g, g.Node("Erf", [x]), x.K * x.H * x.W)) { Values = InputValues.Uniform(2f) },
        new("Erf", "GELU as torch 1.13 exports it: x * (erf(x / √2) + 1) * 0.5", (g, x) =>
        {
            var erf = g.Node("Erf", [g.Node("Div", [x, g.Scalar(MathF.Sqrt(2f))])]);
            var gelu = g.Node("Mul", [g.Node("Mul", [x, g.Node("Add", [erf, g.Scalar(1f)])]), g.Scalar(0.5f)]);
            return FlatHead(g, gelu, x.K * x.H * x.W);
        }) { Values = InputValues.Uniform(3f) },
        new("Gelu", "opset 20, exact", (g, x) => FlatHead(g, g.Node("Gelu", [x]), x.K * x.H * x.W))
        {
            Opset = 20,
            Values = InputValues.Uniform(3f),
        },
        new("Gelu", "opset 20, tanh approximation", (g, x) =>
            FlatHead(g, g.Node("Gelu", [x], String("approximate", "tanh")), x.K * x.H * x.W))
        {
            Opset = 20,
            Values = InputValues.Uniform(3f),
        },
        new("Softmax", "opset 13, last axis of tokens", (g, x) =>
            FlatHead(g, g.Node("Softmax", [Tokens(g, x)]), x.H * x.W * x.K)) { Opset = 13, Values = InputValues.Uniform(2f) },
        new("Softmax", "opset 13, axis 2 of x: over H alone", (g, x) =>
            FlatHead(g, g.Node("Softmax", [x], Int("axis", 2)), x.K * x.H * x.W)) { Opset = 13, Values = InputValues.Uniform(2f) },
        new("Softmax", "opset 11, axis 2 of x, coerced to 2-D: over H and W together", (g, x) =>
            FlatHead(g, g.Node("Softmax", [x], Int("axis", 2)), x.K * x.H * x.W)) { Opset = 11, Values = InputValues.Uniform(2f) },
        new("Softmax", "opset 11, default axis 1: over K, H and W together", (g, x) =>
            FlatHead(g, g.Node("Softmax", [x]), x.K * x.H * x.W)) { Opset = 11, Values = InputValues.Uniform(2f) },
        new("Softmax", "single-head self-attention with a residual", (g, x) =>
            FlatHead(g, SelfAttention(g, Tokens(g, x), x.K), x.H * x.W * x.K)),
        new("LogSoftmax", "opset 13, last axis of tokens", (g, x) =>
            FlatHead(g, g.Node("LogSoftmax", [Tokens(g, x)]), x.H * x.W * x.K)) { Opset = 13, Values = InputValues.Uniform(2f) },
        new("LogSoftmax", "opset 11, axis 2 of [N, L, 2, 2] tokens, coerced to 2-D: over the last two axes", (g, x) =>
        {
            // Short rows: ONNX Runtime's log-sum-exp rounds by about 1e-6 per row, which a row of H·W would
            // spread over the whole row's weights.
            var blocks = g.Node("Reshape", [Tokens(g, x), g.Ints(0, -1, 2, 2)]);
            return FlatHead(g, g.Node("LogSoftmax", [blocks], Int("axis", 2)), x.H * x.W * x.K);
        }) { Opset = 11, Values = InputValues.Uniform(2f) },

        // ---- Structure ----
        new("Concat", "along channels, both pieces from x",
            (g, x) => FlatHead(g, g.Node("Concat", [x, g.Node("Tanh", [x])], Int("axis", 1)), 2 * x.K * x.H * x.W)),
        new("Concat", "along width, negative axis",
            (g, x) => FlatHead(g, g.Node("Concat", [g.Node("Sigmoid", [x]), x], Int("axis", -1)), 2 * x.K * x.H * x.W)),
        new("Concat", "x with itself along height", (g, x) => FlatHead(g, g.Node("Concat", [x, x], Int("axis", 2)), 2 * x.K * x.H * x.W)),
        new("Concat", "with an input that carries no gradient (Floor)",
            (g, x) => FlatHead(g, g.Node("Concat", [g.Node("Floor", [x]), x], Int("axis", 1)), 2 * x.K * x.H * x.W))
        {
            Values = InputValues.Uniform(1f, Margin, -1f, 0f, 1f),
        },
        new("Split", "opset 11, split attribute, first output unused", (g, x) =>
            FlatHead(g, g.Nodes("Split", [x], 2, Int("axis", 1), Ints("split", [1, 3]))[1], 3 * x.H * x.W)) { Opset = 11 },
        new("Split", "opset 13, split input, second output unused", (g, x) =>
            FlatHead(g, g.Nodes("Split", [x, g.Ints(3, 1)], 2, Int("axis", 1))[0], 3 * x.H * x.W)) { Opset = 13 },
        new("Split", "opset 18, num_outputs along height, one output unused", (g, x) =>
            FlatHead(g, g.Nodes("Split", [x], 2, Int("axis", 2), Int("num_outputs", 2))[0], x.K * ((x.H + 1) / 2) * x.W)) { Opset = 18 },
        new("Gather", "axis 1 of tokens, a scalar index", (g, x) =>
            Classifier(g, g.Node("Gather", [Tokens(g, x), g.Int(1)], Int("axis", 1)), x.K)),
        new("Gather", "ViT's class token: patch Conv, Concat of a constant class token, attention, LayerNorm, index 0 on axis 1", (g, x) =>
        {
            // 2x2 patches: few tokens, so the class token's share of each (1 / tokens) stays well above
            // rounding; 8 channels, as LayerNorm leaves C - 2 directions for the scores to depend on.
            const int channels = 8;
            var patches = g.Node("Conv", [x, g.Random([channels, x.K, 2, 2])], Ints("strides", [2, 2]));
            var length = Out(x.H, 2, 2, 0) * Out(x.W, 2, 2, 0);
            var tokens = Tokens(g, patches, channels);
            var batch = g.Node("Gather", [g.Node("Shape", [tokens]), g.Ints(0)]);
            var classToken = g.Node("Expand", [g.Random([1, 1, channels]), g.Node("Concat", [batch, g.Ints(1, channels)], Int("axis", 0))]);
            var sequence = g.Node("Add", [g.Node("Concat", [classToken, tokens], Int("axis", 1)), g.Random([1, length + 1, channels])]);
            var encoded = g.Node("LayerNormalization", [SelfAttention(g, sequence, channels), g.Random([channels]), g.Random([channels])]);
            return Classifier(g, g.Node("Gather", [encoded, g.Int(0)], Int("axis", 1)), channels);
        }),
        new("Gather", "axis 2 of x, 1-D indices with a repeat and a negative one", (g, x) =>
            FlatHead(g, g.Node("Gather", [x, g.Ints(0, -1, 2, 0)], Int("axis", 2)), x.K * 4 * x.W)),
        new("Gather", "axis -1, 2-D indices computed by a Reshape", (g, x) =>
        {
            var indices = g.Node("Reshape", [g.Ints(1, 0, -2, 1), g.Ints(2, 2)]);
            return FlatHead(g, g.Node("Gather", [x, indices], Int("axis", -1)), x.K * x.H * 4);
        }),
        new("Gather", "axis 0 after a permute (Swin's q, k, v = qkv[0], qkv[1], qkv[2]), attention between them", (g, x) =>
        {
            // [N, L, 2·K] → [N, L, 2, K] → [2, N, L, K]: axis 0 is the stack of projections, not the batch.
            var projected = g.Node("MatMul", [Tokens(g, x), g.Random([x.K, 2 * x.K])]);
            var stacked = g.Node("Transpose", [g.Node("Reshape", [projected, g.Ints(0, 0, 2, x.K)])], Ints("perm", [2, 0, 1, 3]));
            var (queries, keys) = (g.Node("Gather", [stacked, g.Int(0)], Int("axis", 0)), g.Node("Gather", [stacked, g.Int(1)], Int("axis", 0)));
            var attention = g.Node("Softmax", [g.Node("MatMul", [queries, g.Node("Transpose", [keys], Ints("perm", [0, 2, 1]))])], Int("axis", -1));
            return FlatHead(g, g.Node("MatMul", [attention, queries]), x.H * x.W * x.K);
        }),
        new("Slice", "x[:, 1:] of tokens, ends INT64_MAX", (g, x) =>
            FlatHead(g, g.Node("Slice", [Tokens(g, x), g.Ints(1), g.Ints(long.MaxValue), g.Ints(1)]), (x.H * x.W - 1) * x.K)),
        new("Slice", "opset 9, attributes, negative start and end", (g, x) =>
            FlatHead(g, g.Node("Slice", [x], Ints("starts", [-4]), Ints("ends", [-1]), Ints("axes", [3])), x.K * x.H * 3)) { Opset = 9 },
        new("Slice", "steps 2 along H and W (Swin's patch merging)", (g, x) =>
            FlatHead(g, g.Node("Slice", [x, g.Ints(0, 1), g.Ints(long.MaxValue, long.MaxValue), g.Ints(2, 3), g.Ints(2, 2)]),
                x.K * ((x.H + 1) / 2) * (x.W / 2))),
        new("Slice", "step -1 reverses W, beside a step-1 axis", (g, x) =>
            FlatHead(g, g.Node("Slice", [x, g.Ints(-1, 1), g.Ints(long.MinValue, 4), g.Ints(3, 1), g.Ints(-1, 1)]), 3 * x.H * x.W)),
        new("Slice", "step -2 from a start past the end", (g, x) =>
            FlatHead(g, g.Node("Slice", [x, g.Ints(100), g.Ints(0), g.Ints(2), g.Ints(-2)]), x.K * (x.H / 2) * x.W)),
        new("Slice", "opset 10, starts and ends from Constant nodes, the whole batch on axis 0", (g, x) =>
        {
            string Constant(params long[] values) => g.Node("Constant", [], Tensor("value", Tensors.Int64("value", [values.Length], values)));
            return FlatHead(g, g.Node("Slice", [x, Constant(0, 1), Constant(long.MaxValue, 3), Constant(0, 2)]), x.K * 2 * x.W);
        }) { Opset = 10 },
        new("Slice", "two overlapping windows of a padded map", (g, x) =>
        {
            var padded = g.Node("Pad", [x, g.Ints(0, 0, 1, 2, 0, 0, 2, 1)]);
            var first = g.Node("Slice", [padded, g.Ints(1, 2), g.Ints(5, 6), g.Ints(2, 3)]);
            var second = g.Node("Slice", [padded, g.Ints(3, 0), g.Ints(7, 4), g.Ints(2, 3)]);
            return FlatHead(g, g.Node("Concat", [first, second], Int("axis", 1)), 2 * x.K * 4 * 4);
        }),
        new("Pad", "opset 13, pads input", (g, x) =>
            FlatHead(g, g.Node("Pad", [x, g.Ints(0, 0, 1, 2, 0, 0, 2, 1)]), x.K * (x.H + 3) * (x.W + 3))) { Opset = 13 },
        new("Pad", "opset 9, pads attribute and value 0.5", (g, x) =>
            FlatHead(g, g.Node("Pad", [x], Ints("pads", [0, 0, 2, 1, 0, 0, 0, 1]), Float("value", 0.5f)), x.K * (x.H + 2) * (x.W + 2)))
        {
            Opset = 9,
        },
        new("Pad", "negative pads crop", (g, x) =>
            FlatHead(g, g.Node("Pad", [x, g.Ints(0, 0, -1, 1, 0, 0, 1, -2)]), x.K * x.H * (x.W - 1))),
        new("Pad", "opset 18, axes input and a constant value", (g, x) =>
            FlatHead(g, g.Node("Pad", [x, g.Ints(1, 2, 2, 0), g.Scalar(0.5f), g.Ints(-1, 2)]), x.K * (x.H + 2) * (x.W + 3))) { Opset = 18 },
    ];

    /// <summary>x as [N, H·W, K] tokens, as a vision transformer's patch embedding lays them out.</summary>
    static string Tokens(TestGraph g, FeatureMap x) => Tokens(g, x, x.K);

    /// <summary>Dropout's training_mode input set: a bool scalar true.</summary>
    static global::Onnx.TensorProto TrainingMode => new() { Name = "training_mode", DataType = (int)global::Onnx.TensorProto.Types.DataType.Bool, Int32Data = { 1 } };

    /// <summary>A [N, C, h, w] map as [N, h·w, C] tokens.</summary>
    static string Tokens(TestGraph g, string map, int channels) =>
        g.Node("Transpose", [g.Node("Reshape", [map, g.Ints(0, channels, -1)])], Ints("perm", [0, 2, 1]));

    /// <summary>One head of self-attention over [N, L, C] tokens, with its output projection and the residual.</summary>
    static string SelfAttention(TestGraph g, string tokens, int channels)
    {
        string Project(string input) => g.Node("MatMul", [input, g.Random([channels, channels])]);
        var (queries, keys, values) = (Project(tokens), Project(tokens), Project(tokens));
        var scores = g.Node("MatMul", [queries, g.Node("Transpose", [keys], Ints("perm", [0, 2, 1]))]);
        var weights = g.Node("Softmax", [g.Node("Mul", [scores, g.Scalar(1 / MathF.Sqrt(channels))])], Int("axis", -1));
        return g.Node("Add", [tokens, Project(g.Node("MatMul", [weights, values]))]);
    }

    /// <summary>The output size of a window along one axis.</summary>
    static int Out(int size, int kernel, int stride, int pads, int dilation = 1) =>
        (size + pads - ((kernel - 1) * dilation + 1)) / stride + 1;

    /// <summary>[N, K] globally pooled features.</summary>
    static string Features(TestGraph g, FeatureMap x) => g.Node("Flatten", [g.Node("GlobalAveragePool", [x])]);

    static string BatchNorm(TestGraph g, FeatureMap x) =>
        g.Node("BatchNormalization", [x, g.Random([x.K]), g.Random([x.K]), g.Random([x.K]), g.Random([x.K], 0.5f, 1.5f)]);
}
