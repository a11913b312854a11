using CamService.Onnx.Graph;

namespace CamService.Onnx.Gradients.Rules.Structure;

/// <summary>
/// Y = X[start : end : step] along some axes: dX is g put back at the positions it was taken from,
/// zeros elsewhere. Axes with step 1 are one Pad of g; other steps, negative ones included, a
/// product with the 0/1 matrix of taken positions (as <see cref="GatherRule"/>). Starts are clamped
/// as ONNX does; the count per axis is the output's size.
/// </summary>
public sealed class SliceRule : UnaryGradientRule
{
    public override string OpType => "Slice";

    public override void Backward(GradientContext context)
    {
        var emit = context.Emit;
        var shape = context.StaticShape(context.Input(0));
        var outputShape = context.StaticShape(context.Output());
        var (starts, ends, axes, steps) = Parameters(context);
        var (begins, endPads) = (new long[shape.Length], new long[shape.Length]);
        var gradient = context.OutputGradient()!;
        var current = outputShape.ToArray();
        for (var i = 0; i < axes.Length; i++)
        {
            var axis = (int)GradientContext.NormalizeAxis(axes[i], shape.Length);
            var step = steps[i];
            if (axis == 0)
            {
                // An exporter's whole-batch slice is a no-op at any batch size; any other would mix images.
                if (step == 1 && starts[i] == 0 && ends[i] >= int.MaxValue)
                {
                    continue;
                }
                throw context.Unsupported("it slices the batch axis");
            }
            var (size, count) = (shape[axis], outputShape[axis]);
            var start = starts[i] < 0 ? starts[i] + size : starts[i];
            start = step > 0 ? Math.Clamp(start, 0, size) : Math.Clamp(start, 0, size - 1);
            if (step == 1)
            {
                (begins[axis], endPads[axis]) = (start, size - start - count);
                continue;
            }
            var taken = new float[size * count];
            for (var q = 0; q < count; q++)
            {
                taken[(start + q * step) * count + q] = 1f;
            }
            gradient = GatherRule.Spread(context, gradient, current, axis, 1, emit.Floats([size, count], taken), size);
            current[axis] = size;
        }
        if (begins.Concat(endPads).Any(p => p != 0))
        {
            gradient = PadRule.Padded(context, gradient, begins, endPads);
        }
        context.AddInputGradient(0, gradient);
    }

    /// <summary>Starts, ends, axes and steps: constant inputs from opset 10, attributes before.</summary>
    static (long[] Starts, long[] Ends, long[] Axes, long[] Steps) Parameters(GradientContext context)
    {
        var fromInputs = context.Opset >= 10;
        long[]? Read(int input, string attribute)
        {
            if (!fromInputs)
            {
                return context.Node.GetInts(attribute);
            }
            var present = input < context.InputCount && context.Input(input).Length > 0;
            return present ? context.ConstantInts(input) ?? throw context.Unsupported($"its {attribute} are not a constant") : null;
        }
        var starts = Read(1, "starts") ?? throw context.Unsupported("it has no starts");
        var ends = Read(2, "ends") ?? throw context.Unsupported("it has no ends");
        var axes = Read(3, "axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var steps = Read(4, "steps") ?? Enumerable.Repeat(1L, starts.Length).ToArray();
        if (steps.Contains(0))
        {
            throw context.Unsupported("a step of 0 is not an ONNX value");
        }
        return (starts, ends, axes, steps);
    }
}
