namespace CamService.Inference.Methods;

/// <summary>
/// Everything a <see cref="CamMethod"/> may use for one image and one target: the target layer's
/// activations, the gradient of the target's score with respect to them, the image as the model saw it,
/// and the model itself for methods that evaluate the head or run forward passes.
/// </summary>
public readonly ref struct CamContext(
    ReadOnlySpan<float> activations,
    ReadOnlySpan<float> gradients,
    int channels,
    int height,
    int width,
    int target,
    ReadOnlySpan<float> logits,
    ReadOnlySpan<float> image,
    ICamModel? model = null,
    MethodOptions? options = null,
    CancellationToken cancellationToken = default)
{
    /// <summary>[K, h, w].</summary>
    public ReadOnlySpan<float> Activations { get; } = activations;

    /// <summary>[K, h, w], ∂logits[target]/∂activations; empty for methods that do not use gradients.</summary>
    public ReadOnlySpan<float> Gradients { get; } = gradients;

    public int Channels { get; } = channels;

    public int Height { get; } = height;

    public int Width { get; } = width;

    public int Positions => Height * Width;

    /// <summary>The class explained.</summary>
    public int Target { get; } = target;

    /// <summary>The image's logits [C].</summary>
    public ReadOnlySpan<float> Logits { get; } = logits;

    /// <summary>The preprocessed image in the model's layout (<see cref="ICamModel.ImageShape"/> less the batch).</summary>
    public ReadOnlySpan<float> Image { get; } = image;

    /// <summary>The model, for head-only evaluations and forward passes; null where the caller offers neither.</summary>
    public ICamModel? Model { get; } = model;

    public MethodOptions Options { get; } = options ?? MethodOptions.Default;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public ReadOnlySpan<float> ActivationChannel(int k) => Activations.Slice(k * Positions, Positions);

    public ReadOnlySpan<float> GradientChannel(int k) => Gradients.Slice(k * Positions, Positions);

    /// <summary>The model, or a clear error for a method that needs one.</summary>
    public ICamModel RequireModel(string method) =>
        Model ?? throw new InvalidOperationException($"{method} needs the model to run, and this caller gave none.");
}

/// <summary>Settings of the methods that have any; one record shared by all, defaults documented here.</summary>
public sealed record MethodOptions
{
    public static readonly MethodOptions Default = new();

    /// <summary>
    /// The default of <see cref="ScoreCamChannels"/>: all channels, because a top N keeps the map on some
    /// models and not on others. On the bench models (random weights, one image, bench/methods.sh) the top 16
    /// and 64 channels gave maps correlated with the full map at 0.995 and 0.999 on densenet121 (of 1024),
    /// 0.972 and 0.991 on resnet50 (of 2048), but |r| &lt; 0.23 for any N from 16 to 256 on efficientnet_b0
    /// (of 1280): there the softmax puts nearly all the weight on the one best-scoring channel, and that one
    /// need not be among the most active.
    /// </summary>
    public const int DefaultScoreCamChannels = 0;

    /// <summary>
    /// Score-CAM: how many channels, those with the highest mean activation, get a forward pass each;
    /// 0 = all (the method as published). The rest weigh nothing.
    /// </summary>
    public int ScoreCamChannels { get; init; } = DefaultScoreCamChannels;

    /// <summary>
    /// Ablation-CAM: take the score drops from the gradients where the head is linear (exact there, and free);
    /// false re-evaluates the head for every channel anyway, to check one against the other.
    /// </summary>
    public bool AblationClosedForm { get; init; } = true;

    /// <summary>Images per batched run of the head or the whole model.</summary>
    public int BatchSize { get; init; } = 32;
}
