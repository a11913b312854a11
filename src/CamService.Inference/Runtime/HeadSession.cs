using System.Runtime.InteropServices;
using CamService.Onnx.CamReady;
using CamService.Onnx.Model;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamService.Inference.Runtime;

/// <summary>
/// The head of a CAM-ready model (target layer → scores) as a session of its own, for methods that
/// re-evaluate it on changed activations: a few MFLOPs a run instead of a whole forward pass. It takes
/// activations as the model outputs them, [N, K, h, w], whatever the target layer's own layout, and the
/// tensors it reads from the backbone as the model's run output them for one image.
/// </summary>
public sealed class HeadSession : IDisposable
{
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
    /// Model tensors the head reads besides the activations (a transformer block's residual, the target's extra tokens): the
    /// CAM-ready model outputs them, and <see cref="Evaluate"/> takes one image's values of each, in this order.
    /// </summary>
    public IReadOnlyList<string> SideInputs { get; private init; } = [];

    /// <summary>
    /// The head of <paramref name="camReady"/>, or why there is none. A head that reads backbone tensors besides the target
    /// layer (a side input) takes them from the model's run, which must output them (prepare declares them as outputs).
    /// </summary>
    /// <param name="modelOutputs">The outputs of a session of <paramref name="camReady"/>: where the side inputs come from.</param>
    public static (HeadSession? Head, string? Unavailable) TryCreate(ModelProto camReady, IReadOnlyDictionary<string, NodeMetadata> modelOutputs,
        int[] activationShape, int classes, ExecutionSettings settings)
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
        if (head.SideInputs.Where(s => !modelOutputs.ContainsKey(s)).ToList() is [_, ..] missing)
        {
            return (null, $"its head reads {string.Join(", ", missing)} from the backbone, which the model does not output; prepare it again with this version");
        }
        var types = new Dictionary<string, (DataType, long[])>();
        foreach (var side in head.SideInputs)
        {
            var metadata = modelOutputs[side];
            if (metadata.ElementDataType != TensorElementType.Float || metadata.Dimensions.Length == 0)
            {
                return (null, $"its head reads {side} from the backbone, which is not a batch of float tensors");
            }
            types[side] = (DataType.Float, metadata.Dimensions.Select(d => (long)d).ToArray());
        }
        try
        {
            using var serialized = SerializedModel.Of(head.BuildModel(types));
            var session = SessionFactory.Create(serialized, settings).Session;
            return (new HeadSession(session, head.Scores, head.IsAffine, classes, activationShape, settings.IntraOpThreads) { SideInputs = head.SideInputs }, null);
        }
        catch (OnnxRuntimeException e)
        {
            return (null, $"its head does not run on its own: {e.Message}");
        }
    }

    /// <summary>
    /// Logits [batch, C] of the head on activations [batch, K, h, w], with one image's <paramref name="sideInputs"/> (batch 1, in
    /// <see cref="SideInputs"/>' order) for every item; stops between operators once cancelled.
    /// </summary>
    public void Evaluate(ReadOnlyMemory<float> activations, int batch, Span<float> logits, CancellationToken cancellationToken,
        IReadOnlyList<OrtValue>? sideInputs = null)
    {
        if ((sideInputs?.Count ?? 0) != SideInputs.Count)
        {
            throw new ArgumentException($"The head reads {SideInputs.Count} tensors from the model's run besides the activations; {sideInputs?.Count ?? 0} were given.");
        }
        var (k, h, w) = (activationShape[0], activationShape[1], activationShape[2]);
        var memory = MemoryMarshal.AsMemory(activations[..(batch * k * h * w)]);
        using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, memory, [batch, k, h, w]);
        using var results = CancellableRun.Run("head run",
            runOptions => session.Run(runOptions, [HeadExtractor.ActivationsInput, .. SideInputs], [value, .. sideInputs ?? []], [scores]), cancellationToken);
        results[0].GetTensorDataAsSpan<float>()[..(batch * classes)].CopyTo(logits);
    }

    public void Dispose() => session.Dispose();
}
