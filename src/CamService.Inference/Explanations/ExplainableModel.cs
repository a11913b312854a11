using CamService.Inference.Methods;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;

namespace CamService.Inference.Explanations;

/// <summary>
/// A model checked against what it is to explain before any image is read: its name, the model, and each
/// target resolved against it (null: its own top-1).
/// </summary>
public sealed record ExplainableModel(string Name, CamReadyModel Model, IReadOnlyList<int?> Targets)
{
    /// <summary>Whether the model has random weights: its predictions and maps mean nothing.</summary>
    public bool Untrained => Model.Info.Weights == WeightsKind.Random;

    /// <summary>Resolves <paramref name="targets"/> and checks that the model serves every method: once per request or run.</summary>
    /// <exception cref="MethodUnavailableException">A method needs the model's head alone, which it lacks.</exception>
    /// <exception cref="TargetException">A target the model does not have.</exception>
    public static ExplainableModel Resolve(string name, CamReadyModel model, IReadOnlyList<ExplanationTarget> targets, IReadOnlyList<CamMethod> methods)
    {
        if (model.HeadUnavailable is { } reason && methods.FirstOrDefault(m => m.Cost == CostClass.HeadOnly) is { } needsHead)
        {
            throw new MethodUnavailableException(needsHead.Name, name, reason);
        }
        return new ExplainableModel(name, model, targets.Select(t => t.Resolve(model, name)).ToList());
    }
}
