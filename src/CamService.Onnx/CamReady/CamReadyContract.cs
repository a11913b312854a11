namespace CamService.Onnx.CamReady;

/// <summary>
/// The names a CAM-ready model adds to its source model; onnx/README.md documents the contract.
/// One ONNX Runtime run with the image(s) and <see cref="Targets"/> returns all three outputs.
/// </summary>
public static class CamReadyContract
{
    /// <summary>Input, int64 [N, T]: the classes whose gradients are wanted per image; negative = top-1.</summary>
    public const string Targets = "targets";

    /// <summary>The <see cref="Targets"/> value that stands for each image's own top-1 class.</summary>
    public const long TopOne = -1;

    /// <summary>Output [N, C]: class scores before any final Softmax/LogSoftmax.</summary>
    public const string Logits = "logits";

    /// <summary>Output [N, K, h, w]: the target layer.</summary>
    public const string Activations = "activations";

    /// <summary>Output [N, T, K, h, w]: ∂ logits[n, targets[n, t]] / ∂ activations[n].</summary>
    public const string Gradients = "gradients";

    /// <summary>The contract version written to <see cref="MetadataKeys.Version"/>.</summary>
    public const string Version = "1";

    public static readonly IReadOnlyList<string> ReservedNames = [Targets, Logits, Activations, Gradients];
}

/// <summary>The <c>metadata_props</c> keys of CAM-ready (and exported plain) models.</summary>
public static class MetadataKeys
{
    public const string Version = "cam.version";
    public const string Producer = "cam.producer";
    public const string TargetLayer = "cam.target_layer";
    public const string TargetLayout = "cam.target_layout";
    public const string Logits = "cam.logits";
    public const string Input = "cam.input";
    public const string InputSize = "cam.input_size";
    public const string ResizeSize = "cam.resize_size";
    public const string Interpolation = "cam.interpolation";
    public const string Mean = "cam.mean";
    public const string Std = "cam.std";
    public const string ChannelOrder = "cam.channel_order";
    public const string PixelScale = "cam.pixel_scale";
    public const string Layout = "cam.layout";
    public const string Weights = "cam.weights";
    public const string WeightsSource = "cam.weights_source";
    public const string Labels = "cam.labels";
    public const string LabelsFile = "cam.labels_file";
    public const string Architecture = "cam.architecture";
    public const string Family = "cam.family";
    public const string NumClasses = "cam.num_classes";
    public const string ActivationShape = "cam.activation_shape";
    public const string ExtraTokens = "cam.extra_tokens";
    public const string GigaMacs = "cam.gmacs";
    /// <summary>What <see cref="GigaMacs"/> was called before: read when that is absent, never written (it counts MACs, not FLOPs).</summary>
    public const string LegacyGigaFlops = "cam.gflops";
    public const string Parameters = "cam.parameters";
    public const string WeightsName = "cam.weights_name";
    public const string AccuracyTop1 = "cam.accuracy_top1";
    public const string AccuracyTop5 = "cam.accuracy_top5";
}
