using System.Globalization;
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
/// <param name="Gflops">Multiply–accumulates per image in billions (the papers' GFLOPs).</param>
/// <param name="TargetLayer">The tensor the maps are computed on.</param>
/// <param name="ActivationShape">Its channels, height and width.</param>
/// <param name="NumClasses">Number of classes.</param>
/// <param name="Weights">pretrained, random or custom.</param>
/// <param name="Untrained">True for random weights: its maps mean nothing.</param>
/// <param name="WeightsSource">Where the weights came from.</param>
/// <param name="Device">Where it runs: cpu, cuda:0, …</param>
/// <param name="LatencyMs">Measured time of one image with one target, in milliseconds.</param>
public sealed record ModelDescription(
    string Id,
    string? Family,
    string? Architecture,
    string Status,
    string? Error,
    Size? InputSize,
    long? Parameters,
    double? Gflops,
    string? TargetLayer,
    int[]? ActivationShape,
    int? NumClasses,
    string? Weights,
    bool Untrained,
    string? WeightsSource,
    string? Device,
    double? LatencyMs)
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
            model?.GigaFlops,
            info?.TargetLayer,
            model?.ActivationShape,
            model?.NumClasses,
            info?.Weights.ToString().ToLowerInvariant(),
            info?.Weights == WeightsKind.Random,
            info?.WeightsSource,
            model?.Device,
            entry.LatencyMs is { } ms ? Math.Round(ms, 2) : null);
    }
}

/// <summary>A width and height in pixels.</summary>
public sealed record Size(int Width, int Height)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Width}x{Height}");
}
