using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Inference.Verification;

/// <summary>
/// Evaluates a CAM-ready model's head on perturbed activations for the finite-difference check, in double precision where
/// ONNX Runtime runs every operator of the head in doubles, else in the model's float32.
/// <para>
/// Doubles matter for heads with kinks. AlexNet's and VGG's heads have two ReLU layers of 4096 units: along a random
/// direction some unit's kink is closer than any step float32 can resolve (a step below about 1e-4 of the activations drowns
/// in the scores' rounding), so a float32 difference straddles kinks and misses the derivative by 40 %. In doubles a step of
/// 1e-7 of the activations rounds off by about 1e-9 of the derivative and crosses kinks a hundred times more rarely.
/// </para>
/// </summary>
internal sealed class HeadEvaluator(InferenceSession session, bool isDouble, List<string> names, List<OrtValue> sideValues, string scores,
    string? floatReason = null) : IDisposable
{
    readonly List<OrtValue> sideValues = sideValues;
    readonly List<OrtValue> owned = [];

    /// <summary>Whether the head runs in double precision.</summary>
    public bool IsDouble { get; } = isDouble;

    /// <summary>Why the head runs in float32 (ONNX Runtime's refusal of the double head), or null when it runs in doubles.</summary>
    public string? FloatReason { get; } = floatReason;

    /// <summary>
    /// The head of <paramref name="head"/> built with <paramref name="sideTypes"/>, fed with the side inputs of
    /// <paramref name="run"/> (its outputs from index <paramref name="firstSide"/> on).
    /// </summary>
    public static HeadEvaluator Create(HeadExtractor head, IReadOnlyDictionary<string, (DataType Type, long[] Shape)> sideTypes,
        IDisposableReadOnlyCollection<OrtValue> run, int firstSide, ExecutionSettings settings)
    {
        var model = head.BuildModel(sideTypes);
        var names = new List<string> { HeadExtractor.ActivationsInput };
        names.AddRange(head.SideInputs);
        var reason = "the head holds a node whose floats must stay float (Resize, Upsample, a random one or EyeLike)";
        if (ToDouble(model) is { } doubles)
        {
            HeadEvaluator? evaluator = null;
            try
            {
                using var serialized = SerializedModel.Of(doubles);
                var session = SessionFactory.Create(serialized, settings).Session;
                evaluator = new HeadEvaluator(session, isDouble: true, names, [], head.Scores);
                for (var i = 0; i < head.SideInputs.Count; i++)
                {
                    evaluator.sideValues.Add(evaluator.Own(AsDouble(run[firstSide + i])));
                }
                // A kernel missing for doubles shows at the first run, not when the session is made; and the double head
                // (with its stand-ins) must compute the model's own logits.
                var shape = run[1].GetTensorTypeAndShape().Shape;
                var scores = evaluator.Scores(run[1].GetTensorDataAsSpan<float>().ToArray(), new float[run[1].GetTensorDataAsSpan<float>().Length], 0, shape);
                var logits = run[0].GetTensorDataAsSpan<float>().ToArray();
                var largest = Math.Max(scores.Max(Math.Abs), 1e-30);
                var worst = scores.Select((s, i) => Math.Abs(s - logits[i])).Max() / largest;
                if (worst > 1e-3)
                {
                    throw new NotSupportedException($"the double head's scores differ from the model's logits by {worst:E1} of the largest");
                }
                return evaluator;
            }
            catch (Exception e) when (e is OnnxRuntimeException or NotSupportedException)
            {
                evaluator?.Dispose();
                reason = e.Message;
            }
        }
        using var floatModel = SerializedModel.Of(model);
        var floats = SessionFactory.Create(floatModel, settings).Session;
        return new HeadEvaluator(floats, isDouble: false, names, [.. Enumerable.Range(0, head.SideInputs.Count).Select(i => run[firstSide + i])], head.Scores,
            reason);
    }

    /// <summary>The head's scores on <paramref name="activations"/> + <paramref name="step"/> · <paramref name="direction"/>, the sum taken in the head's precision.</summary>
    public double[] Scores(float[] activations, float[] direction, double step, long[] shape)
    {
        OrtValue input;
        if (IsDouble)
        {
            var values = new double[activations.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = activations[i] + step * direction[i];
            }
            input = OrtValue.CreateTensorValueFromMemory(values, shape);
        }
        else
        {
            var values = new float[activations.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)(activations[i] + step * direction[i]);
            }
            input = OrtValue.CreateTensorValueFromMemory(values, shape);
        }
        using (input)
        {
            using var results = session.RunWithOwnOptions(names, [input, .. sideValues], [scores]);
            return IsDouble
                ? results[0].GetTensorDataAsSpan<double>().ToArray()
                : results[0].GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v).ToArray();
        }
    }

    OrtValue Own(OrtValue value)
    {
        owned.Add(value);
        return value;
    }

    /// <summary>A float tensor's copy in doubles; any other tensor copied as it is.</summary>
    static OrtValue AsDouble(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        return info.ElementDataType switch
        {
            TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v).ToArray(), info.Shape),
            TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<long>().ToArray(), info.Shape),
            _ => throw new NotSupportedException($"A side input of type {info.ElementDataType} is not converted."),
        };
    }

    /// <summary>
    /// The head with every float tensor made double: inputs, initializers, constants, casts to float and ConstantOfShape's
    /// value. Null where a float must stay float (a Resize's scales); ONNX Runtime's kernels decide the rest.
    /// </summary>
    static ModelProto? ToDouble(ModelProto head)
    {
        var model = head.Clone();
        var graph = model.Graph;
        if (graph.Node.Any(n => n.OpType is "Resize" or "Upsample" or "RandomNormal" or "RandomUniform" or "EyeLike"))
        {
            return null;
        }
        foreach (var value in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            if (value.Type?.TensorType is { ElemType: (int)DataType.Float } tensor)
            {
                tensor.ElemType = (int)DataType.Double;
            }
        }
        for (var i = 0; i < graph.Initializer.Count; i++)
        {
            graph.Initializer[i] = Widen(graph.Initializer[i]);
        }
        foreach (var node in graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                if (attribute.Type == AttributeProto.Types.AttributeType.Tensor)
                {
                    attribute.T = Widen(attribute.T);
                }
                else if (node.OpType == "Cast" && attribute.Name == "to" && attribute.I == (long)DataType.Float)
                {
                    attribute.I = (long)DataType.Double;
                }
            }
            if (node.OpType == "Constant" && node.Attribute.FirstOrDefault(a => a.Name == "value_float") is { } scalar)
            {
                node.Attribute.Remove(scalar);
                node.Attribute.Add(new AttributeProto
                {
                    Name = "value",
                    Type = AttributeProto.Types.AttributeType.Tensor,
                    T = Tensors.Floating("value", DataType.Double, [], [scalar.F]),
                });
            }
        }
        DoubleStandIns.Replace(graph, GraphIndex.DefaultOpset(model));
        return model;
    }

    static TensorProto Widen(TensorProto tensor)
    {
        if ((DataType)tensor.DataType != DataType.Float)
        {
            return tensor;
        }
        var values = Tensors.ReadFloats(tensor)!;
        var widened = Tensors.Floating(tensor.Name, DataType.Double, [.. tensor.Dims], values);
        return widened;
    }

    public void Dispose()
    {
        session.Dispose();
        foreach (var value in owned)
        {
            value.Dispose();
        }
    }
}
