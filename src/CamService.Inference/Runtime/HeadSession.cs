using System.Runtime.InteropServices;
using CamService.Onnx.CamReady;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Inference.Runtime;

/// <summary>
/// The head of a CAM-ready model (target layer → scores) as a session of its own, for methods that
/// re-evaluate it on changed activations: a few MFLOPs a run instead of a whole forward pass. It takes
/// activations as the model outputs them, [N, K, h, w], whatever the target layer's own layout.
/// </summary>
public sealed class HeadSession : IDisposable
{
    const string Input = "activations";
    readonly InferenceSession session;
    readonly string scores;
    readonly int classes;
    readonly int[] activationShape;

    HeadSession(InferenceSession session, string scores, bool isAffine, int classes, int[] activationShape, int threads)
    {
        this.session = session;
        this.scores = scores;
        this.classes = classes;
        this.activationShape = activationShape;
        IsAffine = isAffine;
        Threads = threads;
    }

    /// <summary>Whether the scores are affine in the activations (see <see cref="HeadExtractor.IsAffine"/>).</summary>
    public bool IsAffine { get; }

    /// <summary>The intra-op threads of its pool (0: ONNX Runtime's default, one per core).</summary>
    public int Threads { get; }

    /// <summary>
    /// The head of <paramref name="camReady"/>, or why there is none: a head that reads other backbone tensors
    /// besides the target layer (a side input) cannot run on activations alone.
    /// </summary>
    public static (HeadSession? Head, string? Unavailable) TryCreate(ModelProto camReady, int[] activationShape, int classes, ExecutionSettings settings)
    {
        HeadExtractor head;
        try
        {
            head = new HeadExtractor(camReady);
        }
        catch (CamReadyException e)
        {
            return (null, $"its head cannot be extracted: {e.Message}");
        }
        if (head.SideInputs.Count > 0)
        {
            return (null, $"its head reads {string.Join(", ", head.SideInputs)} from the backbone besides the target layer");
        }
        var (k, h, w) = (activationShape[0], activationShape[1], activationShape[2]);
        var nhwc = head.TargetLayout == TensorLayout.Nhwc;
        var model = head.BuildModel(new Dictionary<string, (DataType, long[])>
        {
            [head.Target] = (DataType.Float, nhwc ? [1, h, w, k] : [1, k, h, w]),
        });
        // The head's input takes the activations' own layout; a layer that is NHWC gets them transposed in the graph.
        var input = model.Graph.Input[0];
        if (nhwc)
        {
            var transpose = new NodeProto { OpType = "Transpose", Name = "cam_head_to_nhwc" };
            transpose.Input.Add(Input);
            transpose.Output.Add(head.Target);
            transpose.Attribute.Add(new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0, 2, 3, 1 } });
            model.Graph.Node.Insert(0, transpose);
            var dims = input.Type.TensorType.Shape.Dim;
            (dims[1], dims[2], dims[3]) = (new() { DimValue = k }, new() { DimValue = h }, new() { DimValue = w });
        }
        input.Name = Input;
        if (!nhwc)
        {
            foreach (var node in model.Graph.Node)
            {
                for (var i = 0; i < node.Input.Count; i++)
                {
                    if (node.Input[i] == head.Target)
                    {
                        node.Input[i] = Input;
                    }
                }
            }
        }
        try
        {
            var session = SessionFactory.Create(model.ToByteArray(), settings).Session;
            return (new HeadSession(session, head.Scores, head.IsAffine, classes, activationShape, settings.IntraOpThreads), null);
        }
        catch (OnnxRuntimeException e)
        {
            return (null, $"its head does not run on its own: {e.Message}");
        }
    }

    /// <summary>Logits [batch, C] of the head on activations [batch, K, h, w]; stops between operators once cancelled.</summary>
    public void Evaluate(ReadOnlyMemory<float> activations, int batch, Span<float> logits, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (k, h, w) = (activationShape[0], activationShape[1], activationShape[2]);
        var memory = MemoryMarshal.AsMemory(activations[..(batch * k * h * w)]);
        using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, memory, [batch, k, h, w]);
        using var runOptions = new RunOptions();
        using var cancel = cancellationToken.Register(() => runOptions.Terminate = true);
        try
        {
            using var results = session.Run(runOptions, [Input], [value], [scores]);
            results[0].GetTensorDataAsSpan<float>()[..(batch * classes)].CopyTo(logits);
        }
        catch (OnnxRuntimeException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The head run was stopped: its caller cancelled.", e, cancellationToken);
        }
    }

    public void Dispose() => session.Dispose();
}
