using CamService.Onnx.Graph;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Inference.Verification;

/// <summary>
/// Stand-ins, for the finite-difference head, for operators ONNX Runtime runs in float32 only.
/// <list type="bullet">
/// <item>Erf (GELU's, in every transformer MLP): erf(x) = 2/√π · x · e^(−x²) · Σₙ (2x²)ⁿ / (2n+1)!!, a series of positive
/// terms (no cancellation), summed by Horner's rule to <see cref="Terms"/> terms with x clamped to ±<see cref="Bound"/>; within
/// 2e-15 of erf everywhere (erfc(6) = 2e-17 is below a double's rounding of 1).</item>
/// <item>GlobalAveragePool and GlobalMaxPool (every CNN's and Swin's pooling): ReduceMean and ReduceMax over height and width,
/// keeping them, as the pools do on the 4-D maps they take in every torchvision classifier.</item>
/// </list>
/// The head then keeps ~15 digits where float32 keeps 7. <see cref="HeadEvaluator"/> checks the double head against the
/// model's own logits before using it.
/// </summary>
internal static class DoubleStandIns
{
    const int Terms = 100;
    const double Bound = 6;

    /// <summary>Replaces every Erf, GlobalAveragePool and GlobalMaxPool node of <paramref name="graph"/> in place.</summary>
    public static void Replace(GraphProto graph, long opset)
    {
        for (var i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            var standIn = node.OpType switch
            {
                "Erf" => Series(graph, node.Input[0], node.Output[0], $"{node.Output[0]}/double_erf").ToList(),
                "GlobalAveragePool" => [Reduce(graph, "ReduceMean", node, opset)],
                "GlobalMaxPool" => [Reduce(graph, "ReduceMax", node, opset)],
                _ => null,
            };
            if (standIn is null)
            {
                continue;
            }
            graph.Node.RemoveAt(i);
            for (var n = 0; n < standIn.Count; n++)
            {
                graph.Node.Insert(i + n, standIn[n]);
            }
            i += standIn.Count - 1;
        }
    }

    /// <summary>A reduction over axes 2 and 3 that keeps them: the axes an attribute before opset 18, an input from 18 on.</summary>
    static NodeProto Reduce(GraphProto graph, string opType, NodeProto pool, long opset)
    {
        var node = new NodeProto { OpType = opType, Name = $"{pool.Name}/double_{opType}" };
        node.Input.Add(pool.Input[0]);
        node.Output.Add(pool.Output[0]);
        node.Attribute.Add(Attributes.Int("keepdims", 1));
        if (opset >= 18)
        {
            var axes = Tensors.Int64($"{pool.Output[0]}/double_axes", [2], [2, 3]);
            graph.Initializer.Add(axes);
            node.Input.Add(axes.Name);
        }
        else
        {
            node.Attribute.Add(Attributes.Ints("axes", [2, 3]));
        }
        return node;
    }

    static IEnumerable<NodeProto> Series(GraphProto graph, string x, string output, string prefix)
    {
        string Constant(string name, double value)
        {
            var tensor = new TensorProto { Name = $"{prefix}/{name}", DataType = (int)DataType.Double };
            tensor.DoubleData.Add(value);
            graph.Initializer.Add(tensor);
            return tensor.Name;
        }
        var count = 0;
        NodeProto Op(string opType, string a, string b, string? result = null)
        {
            var node = new NodeProto { OpType = opType, Name = $"{prefix}/{opType}_{count++}" };
            node.Input.AddRange([a, b]);
            node.Output.Add(result ?? $"{prefix}/{opType}_{count}_output");
            return node;
        }

        var clamp = Op("Max", x, Constant("lower", -Bound));
        yield return clamp;
        var clamped = Op("Min", clamp.Output[0], Constant("upper", Bound));
        yield return clamped;
        var xc = clamped.Output[0];
        var square = Op("Mul", xc, xc);
        yield return square;
        var y = Op("Mul", square.Output[0], Constant("two", 2));
        yield return y;

        // c[n] = 1 / (2n+1)!!, and P = c[0] + y (c[1] + y (c[2] + …)).
        var coefficients = new double[Terms + 1];
        coefficients[0] = 1;
        for (var n = 1; n <= Terms; n++)
        {
            coefficients[n] = coefficients[n - 1] / (2 * n + 1);
        }
        var sum = Constant($"c{Terms}", coefficients[Terms]);
        for (var n = Terms - 1; n >= 0; n--)
        {
            var times = Op("Mul", sum, y.Output[0]);
            yield return times;
            var plus = Op("Add", times.Output[0], Constant($"c{n}", coefficients[n]));
            yield return plus;
            sum = plus.Output[0];
        }

        var negated = Op("Mul", square.Output[0], Constant("minus_one", -1));
        yield return negated;
        var decay = new NodeProto { OpType = "Exp", Name = $"{prefix}/Exp" };
        decay.Input.Add(negated.Output[0]);
        decay.Output.Add($"{prefix}/Exp_output");
        yield return decay;
        var scaled = Op("Mul", xc, Constant("two_over_root_pi", 2 / Math.Sqrt(Math.PI)));
        yield return scaled;
        var front = Op("Mul", scaled.Output[0], decay.Output[0]);
        yield return front;
        yield return Op("Mul", front.Output[0], sum, output);
    }
}
