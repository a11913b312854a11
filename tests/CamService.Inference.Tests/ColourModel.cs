using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Testing;

namespace CamService.Inference.Tests;

/// <summary>The hand-made colour model (activations: R, G, B and darkness at a quarter of the input), CAM-ready, as the engine's and methods' tests use it.</summary>
public static class ColourModel
{
    public static CamReadyModel Load(int size) =>
        CamReadyModel.Create(new CamReadyBuilder().Prepare(TestModels.ColourClassifier(size)).Model, new ExecutionSettings());
}
