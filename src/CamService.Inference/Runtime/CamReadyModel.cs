using System.Runtime.InteropServices;
using CamService.Imaging;
using CamService.Inference.Methods;
using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace CamService.Inference.Runtime;

/// <summary>
/// One CAM-ready model and the ONNX Runtime sessions all callers share (sessions are safe to run
/// concurrently). A run returns logits, activations and gradients for any number of targets.
/// <para>
/// A session's thread pool is sized when it is created, so a model whose fastest thread count is not
/// its most efficient one keeps a second session for when runs queue up (see <see cref="CoreScheduler"/>).
/// </para>
/// </summary>
public sealed class CamReadyModel : ICamModel, IHeadWithSideInputs, IDisposable
{
    readonly InferenceSession session;
    readonly InferenceSession? underLoadSession;
    readonly HeadSession? head;
    readonly HeadSession? underLoadHead;
    readonly string[] outputNames;
    readonly string[] outputNamesWithHeadInputs;

    CamReadyModel(InferenceSession session, InferenceSession? underLoadSession, (HeadSession? Session, string? Unavailable) head, HeadSession? underLoadHead,
        ServingThreads threads, string device, CamModelInfo info, IReadOnlyList<string>? labels, int numClasses, int[] activationShape, long parameters,
        InputPreprocessing preprocessing)
    {
        this.session = session;
        this.underLoadSession = underLoadSession;
        this.head = head.Session;
        this.underLoadHead = underLoadHead;
        HeadUnavailable = head.Unavailable;
        // What the head reads from the backbone comes from the same run, after the contract's three outputs, when asked for.
        outputNames = [CamReadyContract.Logits, CamReadyContract.Activations, CamReadyContract.Gradients];
        outputNamesWithHeadInputs = [.. outputNames, .. head.Session?.SideInputs ?? []];
        Threads = threads;
        Device = device;
        Info = info;
        Labels = labels;
        NumClasses = numClasses;
        ActivationShape = activationShape;
        Parameters = parameters;
        Preprocessing = preprocessing;
        InputName = info.Input ?? throw new CamReadyException("The model's metadata does not name its image input (cam.input).");
    }

    public string Device { get; }

    /// <summary>The thread settings of its sessions and where they came from.</summary>
    public ServingThreads Threads { get; private set; }

    /// <summary>Records a measurement that chose its sessions' settings again (another choice needs new sessions).</summary>
    public void Remeasured(ServingThreads threads) =>
        Threads = threads.SameChoices(Threads) ? threads : throw new ArgumentException("Other thread settings need new sessions.", nameof(threads));

    public CamModelInfo Info { get; }

    /// <summary>How an image becomes this model's input: from its metadata, made once here for every request.</summary>
    public InputPreprocessing Preprocessing { get; }

    public string InputName { get; }

    public IReadOnlyList<string>? Labels { get; }

    /// <summary>The label of a class, or "class N" for a model without labels.</summary>
    public string LabelOf(int index) => Labels is { } labels ? labels[index] : $"class {index}";

    /// <summary>Floats in one preprocessed image.</summary>
    public int ImageLength => 3 * Preprocessing.Height * Preprocessing.Width;

    int ICamModel.Classes => NumClasses;

    IReadOnlyList<int> ICamModel.ActivationShape => ActivationShape;

    IReadOnlyList<int> ICamModel.ImageShape => ModelInput.Shape(Preprocessing, 1).Skip(1).Select(d => (int)d).ToArray();

    public int NumClasses { get; }

    /// <summary>[K, h, w] of the target layer.</summary>
    public int[] ActivationShape { get; }

    /// <summary>Parameters of the source model (<see cref="CamModelInfo.Parameters"/>, else its initializers' elements).</summary>
    public long Parameters { get; }

    /// <summary>Loads a CAM-ready model file (metadata, labels beside it, session).</summary>
    public static CamReadyModel Load(string path, ExecutionSettings settings, Action<string>? warn = null)
    {
        var proto = OnnxModelFile.Load(path);
        return Create(proto, settings, Path.GetDirectoryName(Path.GetFullPath(path)), warn);
    }

    /// <summary>One session with the threads <paramref name="settings"/> name.</summary>
    public static CamReadyModel Create(global::Onnx.ModelProto proto, ExecutionSettings settings, string? directory = null, Action<string>? warn = null) =>
        Create(proto, settings, ServingThreads.Configured(settings), directory, warn);

    /// <summary>
    /// Sessions with the thread settings <paramref name="threads"/> chose (device and optimisation from
    /// <paramref name="settings"/>): one for its fastest setting and, when it differs, one for under load.
    /// <paramref name="serialized"/>: the proto serialised, when the caller has it (a large model's is costly to redo).
    /// </summary>
    public static CamReadyModel Create(global::Onnx.ModelProto proto, ExecutionSettings settings, ServingThreads threads, string? directory = null,
        Action<string>? warn = null, SerializedModel? serialized = null)
    {
        var info = CamModelInfo.Read(proto);
        if (!info.IsCamReady)
        {
            throw new CamReadyException("The model is not CAM-ready; run 'prepare' on it first.");
        }
        CamReadyException Missing(string key) => new($"The model's metadata lacks {key}; prepare it again with this version.");
        var numClasses = info.NumClasses ?? throw Missing(MetadataKeys.NumClasses);
        var activationShape = info.ActivationShape?.ToArray() ?? throw Missing(MetadataKeys.ActivationShape);
        var parameters = info.Parameters ?? proto.Graph.Initializer.Sum(CamService.Onnx.Graph.Tensors.ElementCount);
        var preprocessing = ModelInput.Of(info);
        var labels = info.LoadLabels(directory);
        if (labels is not null && labels.Count != numClasses)
        {
            throw new CamReadyException($"The model has {numClasses} classes but {labels.Count} labels.");
        }
        using var owned = serialized is null ? SerializedModel.Of(proto) : null;
        var bytes = serialized ?? owned!;
        var (session, device) = CreateSession(bytes, threads.Fastest.Apply(settings), warn);
        InferenceSession? underLoad = null;
        (HeadSession? Session, string? Unavailable) head = (null, null);
        HeadSession? underLoadHead = null;
        try
        {
            var cheaper = threads.UnderLoad != threads.Fastest ? threads.UnderLoad : null;
            if (cheaper is not null)
            {
                underLoad = CreateSession(bytes, cheaper.Apply(settings), warn).Item1;
            }
            // On the device the model really got; a model whose head cannot run alone still loads, without head-only methods.
            var headSettings = device.StartsWith("cuda", StringComparison.Ordinal) ? settings : settings with { Device = ExecutionDevice.Cpu };
            head = HeadSession.TryCreate(proto, session.OutputMetadata, activationShape, numClasses, threads.Fastest.Apply(headSettings));
            if (head.Unavailable is { } reason)
            {
                warn?.Invoke($"Methods that evaluate the head alone are unavailable for this model: {reason}.");
            }
            else if (cheaper is not null)
            {
                // Head-only methods (Ablation-CAM's general path) under load run on the run's own cores, as its forward passes do.
                underLoadHead = HeadSession.TryCreate(proto, session.OutputMetadata, activationShape, numClasses, cheaper.Apply(headSettings)).Head;
            }
            return new CamReadyModel(session, underLoad, head, underLoadHead, threads, device, info, labels, numClasses, activationShape, parameters, preprocessing);
        }
        catch
        {
            session.Dispose();
            underLoad?.Dispose();
            head.Session?.Dispose();
            underLoadHead?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The inputs of one run for timing a session of a CAM-ready model: <paramref name="batch"/> images of
    /// uniform grey in its layout, each with the top-1 target.
    /// </summary>
    public static NamedOrtValues TimingInputs(global::Onnx.ModelProto proto, int batch = 1)
    {
        var info = CamModelInfo.Read(proto);
        var p = ModelInput.Of(info);
        var images = new float[batch * 3 * p.Height * p.Width];
        Array.Fill(images, 0.1f);
        var targets = Enumerable.Repeat(CamReadyContract.TopOne, batch).ToArray();
        return new NamedOrtValues(
            [info.Input ?? throw new CamReadyException("The model's metadata does not name its image input (cam.input)."), CamReadyContract.Targets],
            [OrtValue.CreateTensorValueFromMemory(images, ModelInput.Shape(p, batch)), OrtValue.CreateTensorValueFromMemory(targets, [batch, 1])]);
    }

    static (InferenceSession, string) CreateSession(SerializedModel bytes, ExecutionSettings settings, Action<string>? warn)
    {
        try
        {
            return SessionFactory.Create(bytes, settings, warn);
        }
        catch (OnnxRuntimeException e) when (settings.Device == ExecutionDevice.Cuda)
        {
            if (!settings.AllowCpuFallback)
            {
                throw new ExecutionProviderException($"CUDA was requested but the session could not start on it: {e.Message}", e);
            }
            warn?.Invoke($"CUDA session failed ({e.Message}); running on the CPU because AllowCpuFallback is set.");
            return SessionFactory.Create(bytes, settings with { Device = ExecutionDevice.Cpu }, warn);
        }
    }

    /// <summary>
    /// Runs <paramref name="batch"/> preprocessed images (the model's layout, contiguous) with
    /// <paramref name="targetsPerImage"/> targets each (negative = top-1).
    /// </summary>
    /// <param name="underLoad">Run on the session for when runs queue up (its <see cref="ServingThreads.UnderLoad"/> threads), where there is one.</param>
    /// <param name="headInputs">Also fetch what the head reads from the backbone, for methods that evaluate the head (<see cref="ForImage"/>).</param>
    public CamOutputs Run(ReadOnlyMemory<float> images, int batch, Memory<long> targets, int targetsPerImage, RunOptions? runOptions = null, bool underLoad = false,
        bool headInputs = false)
    {
        var outputNames = headInputs ? outputNamesWithHeadInputs : this.outputNames;
        var session = underLoad ? underLoadSession ?? this.session : this.session;
        var p = Preprocessing;
        using var image = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(images[..(batch * 3 * p.Height * p.Width)]), ModelInput.Shape(p, batch));
        using var target = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, targets[..(batch * targetsPerImage)], [batch, targetsPerImage]);
        string[] inputNames = [InputName, CamReadyContract.Targets];
        var results = runOptions is null
            ? session.RunWithOwnOptions(inputNames, [image, target], outputNames)
            : session.Run(runOptions, inputNames, [image, target], outputNames);
        return new CamOutputs(results, batch, targetsPerImage, NumClasses, ActivationShape);
    }

    /// <summary>Why the head cannot be evaluated alone (<see cref="HeadSession.TryCreate"/>), or null when it can.</summary>
    public string? HeadUnavailable { get; }

    public bool HeadIsLinear => head?.IsAffine ?? false;

    /// <exception cref="NotSupportedException">The model has no head session (<see cref="HeadUnavailable"/> says why).</exception>
    public void EvaluateHead(ReadOnlyMemory<float> activations, int batch, Span<float> logits, CancellationToken cancellationToken) =>
        Head(underLoad: false).Evaluate(activations, batch, logits, cancellationToken);

    /// <summary>The head on activations with one image's side inputs (<see cref="HeadSession.SideInputs"/>).</summary>
    public void EvaluateHead(ReadOnlyMemory<float> activations, int batch, Span<float> logits, CancellationToken cancellationToken,
        IReadOnlyList<OrtValue> sideInputs) =>
        Head(underLoad: false).Evaluate(activations, batch, logits, cancellationToken, sideInputs);

    /// <summary>
    /// The head session a run of <paramref name="underLoad"/> evaluates the head on: under load, one with the
    /// under-load setting's threads, where that differs from the fastest.
    /// </summary>
    /// <exception cref="NotSupportedException">The model has no head session (<see cref="HeadUnavailable"/> says why).</exception>
    public HeadSession Head(bool underLoad) =>
        (underLoad ? underLoadHead ?? head : head) ?? throw new NotSupportedException($"The model's head cannot be evaluated alone: {HeadUnavailable}.");

    /// <summary>
    /// Whole forward passes through the CAM-ready session, logits only: with the top-1 as each image's one
    /// target, what the gradient part of the graph adds is the head's backward, a few MFLOPs (ONNX Runtime's
    /// inference builds run every node whatever is fetched: microsoft/onnxruntime#16483).
    /// </summary>
    public void Forward(ReadOnlyMemory<float> images, int batch, Span<float> logits, CancellationToken cancellationToken) =>
        Forward(session, images, batch, logits, cancellationToken);

    /// <summary>
    /// This model as methods and metrics use it in a run of <paramref name="underLoad"/>: their forward passes on
    /// the same session as the run, and the head on a session with as many threads. A lease under load holds fewer
    /// cores than the fastest setting's pool has threads, and work on that pool would crowd the other models' runs
    /// off their cores.
    /// </summary>
    public ICamModel Serving(bool underLoad) => underLoad && underLoadSession is not null ? new UnderLoadView(this, underLoadSession) : this;

    void Forward(InferenceSession session, ReadOnlyMemory<float> images, int batch, Span<float> logits, CancellationToken cancellationToken)
    {
        var targets = new long[batch];
        Array.Fill(targets, CamReadyContract.TopOne);
        var p = Preprocessing;
        using var image = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(images[..(batch * ImageLength)]), ModelInput.Shape(p, batch));
        using var target = OrtValue.CreateTensorValueFromMemory(targets, [batch, 1]);
        using var results = CancellableRun.Run("forward pass",
            runOptions => session.Run(runOptions, [InputName, CamReadyContract.Targets], [image, target], [CamReadyContract.Logits]), cancellationToken);
        results[0].GetTensorDataAsSpan<float>().CopyTo(logits);
    }

    /// <summary>
    /// <paramref name="serving"/> with its head evaluated on image <paramref name="image"/>'s side inputs from <paramref name="outputs"/>
    /// (a run with <c>headInputs</c>), where the head reads any; dispose it once the image's methods are done.
    /// </summary>
    public ImageModel ForImage(ICamModel serving, CamOutputs outputs, int image) => new(serving, () => outputs.SideInputsOf(image));

    /// <summary>The model with its forward passes on the session for when runs queue up.</summary>
    sealed class UnderLoadView(CamReadyModel model, InferenceSession session) : ICamModel, IHeadWithSideInputs
    {
        public int Classes => model.NumClasses;

        public IReadOnlyList<int> ActivationShape => model.ActivationShape;

        public IReadOnlyList<int> ImageShape => ((ICamModel)model).ImageShape;

        public bool HeadIsLinear => model.HeadIsLinear;

        public void EvaluateHead(ReadOnlyMemory<float> activations, int batch, Span<float> logits, CancellationToken cancellationToken) =>
            EvaluateHead(activations, batch, logits, cancellationToken, []);

        public void EvaluateHead(ReadOnlyMemory<float> activations, int batch, Span<float> logits, CancellationToken cancellationToken,
            IReadOnlyList<OrtValue> sideInputs) =>
            model.Head(underLoad: true).Evaluate(activations, batch, logits, cancellationToken, sideInputs);

        public void Forward(ReadOnlyMemory<float> images, int batch, Span<float> logits, CancellationToken cancellationToken) =>
            model.Forward(session, images, batch, logits, cancellationToken);
    }

    public void Dispose()
    {
        session.Dispose();
        underLoadSession?.Dispose();
        head?.Dispose();
        underLoadHead?.Dispose();
    }
}
