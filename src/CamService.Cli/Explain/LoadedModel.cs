using CamService.Inference.Runtime;

namespace CamService.Cli.Explain;

/// <summary>A model of the run: its name (file name), file, the model itself, and each --target resolved against it (null: its top-1).</summary>
public sealed record LoadedModel(string Name, string Path, CamReadyModel Model, IReadOnlyList<int?> Targets)
{
    public bool Untrained => Model.Info.Weights == Onnx.CamReady.WeightsKind.Random;
}
