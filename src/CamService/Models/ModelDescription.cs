using System.Globalization;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;

namespace CamService.Models;

/// <summary>What GET /models says about one model: what it is, how big and how fast, and its state.</summary>
/// <param name="Id">The model's file name without extension.</param>
/// <param name="Family">EfficientNet, DenseNet, ResNet, …</param>
/// <param name="Architecture">resnet50, efficientnet_b0, …</param>
/// <param name="Status">loading, ready or failed.</param>
/// <param name="Error">Why it failed, when it did.</param>
/// <param name="InputSize">The model's input in pixels.</param>
/// <param name="Parameters">Trainable parameters.</param>
/// <param name="GigaMacs">Multiply–accumulates per image in billions (what the papers' "GFLOPs" columns count).</param>
/// <param name="TargetLayer">The tensor the maps are computed on.</param>
/// <param name="TargetLayout">Its layout: NCHW (a CNN's feature map), NHWC (a token grid, Swin) or TOKENS (a token sequence, ViT).</param>
/// <param name="Grid">The grid the maps have, in cells: the feature map's, or the patches' a token sequence folds into (14x14 for ViT-B/16).</param>
/// <param name="ExtraTokens">Tokens of a sequence that have no place on the image (ViT's class token), left out of the maps.</param>
/// <param name="ActivationShape">Its channels, height and width.</param>
/// <param name="NumClasses">Number of classes.</param>
/// <param name="Weights">pretrained, random or custom.</param>
/// <param name="Untrained">True for random weights: its maps mean nothing.</param>
/// <param name="WeightsSource">Where the weights came from.</param>
/// <param name="AccuracyTop1">The published ImageNet-1K top-1 accuracy of its pretrained weights, in percent; null for other weights.</param>
/// <param name="AccuracyTop5">The same, top-5.</param>
/// <param name="Device">Where it runs: cpu, cuda:0, …</param>
/// <param name="LatencyMs">Measured time of one image with one target, in milliseconds.</param>
/// <param name="Threads">The ONNX Runtime thread settings it runs with, and the measurements they were chosen by.</param>
public sealed record ModelDescription(
    string Id,
    string? Family,
    string? Architecture,
    string Status,
    string? Error,
    Size? InputSize,
    long? Parameters,
    double? GigaMacs,
    string? TargetLayer,
    string? TargetLayout,
    Size? Grid,
    int? ExtraTokens,
    int[]? ActivationShape,
    int? NumClasses,
    string? Weights,
    bool Untrained,
    string? WeightsSource,
    double? AccuracyTop1,
    double? AccuracyTop5,
    string? Device,
    double? LatencyMs,
    ThreadsDescription? Threads)
{
    public static ModelDescription Of(ModelEntry entry)
    {
        var model = entry.Model;
        var info = model?.Info;
        return new ModelDescription(
            entry.Id,
            info?.Family,
            info?.Architecture,
            entry.Status.ToString().ToLowerInvariant(),
            entry.Error,
            model is null ? null : new Size(model.Preprocessing.Width, model.Preprocessing.Height),
            model?.Parameters,
            info?.GigaMacs,
            info?.TargetLayer,
            (info?.TargetLayout ?? (info is null ? null : TensorLayout.Nchw))?.ToMetadata(),
            model is null ? null : new Size(model.ActivationShape[2], model.ActivationShape[1]),
            info?.ExtraTokens,
            model?.ActivationShape,
            model?.NumClasses,
            info?.Weights.ToString().ToLowerInvariant(),
            info?.Weights == WeightsKind.Random,
            info?.WeightsSource,
            // An accuracy belongs to the published weights: never shown for others, whatever the metadata says.
            info?.Weights == WeightsKind.Pretrained ? info.AccuracyTop1 : null,
            info?.Weights == WeightsKind.Pretrained ? info.AccuracyTop5 : null,
            model?.Device,
            entry.LatencyMs is { } ms ? Math.Round(ms, 2) : null,
            model is null ? null : ThreadsDescription.Of(model.Threads));
    }
}

/// <summary>How a model uses the cores.</summary>
/// <param name="IntraOp">Threads of a run that has the cores to itself (0: ONNX Runtime's default).</param>
/// <param name="Spinning">Whether that run's idle threads spin.</param>
/// <param name="UnderLoad">Threads of a run made while other work waits for cores: the fewest core-milliseconds per image.</param>
/// <param name="Source">guessed (every core, until measured), remembered (an earlier start's measurement on this machine, until refined), measured (since this start), refined (measured at earlier starts, and its contenders again since this one) or configured (Inference:Threads).</param>
/// <param name="Trials">The measurements, batch 1: threads, spinning and median milliseconds.</param>
public sealed record ThreadsDescription(int IntraOp, bool Spinning, int UnderLoad, string Source, IReadOnlyList<ThreadTrial>? Trials)
{
    public static ThreadsDescription Of(ServingThreads threads) => new(
        threads.Fastest.Threads, threads.Fastest.Spinning, threads.UnderLoad.Threads, threads.Source,
        threads.Tuning?.Trials.Select(t => t with { MedianMs = Math.Round(t.MedianMs, 2) }).ToList());
}

/// <summary>A width and height in pixels.</summary>
public sealed record Size(int Width, int Height)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Width}x{Height}");
}
