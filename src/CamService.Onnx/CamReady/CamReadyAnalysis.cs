using CamService.Onnx.Gradients;

namespace CamService.Onnx.CamReady;

/// <summary>What a plain model's CAM-ready version would be built from.</summary>
/// <param name="Image">The image input.</param>
/// <param name="Output">The classifier output explained.</param>
/// <param name="Scores">The scores tensor (a final Softmax stepped over), as named in the working copy.</param>
/// <param name="SourceScores">The scores tensor's name in the source graph.</param>
/// <param name="Target">The target layer, as named in the working copy.</param>
/// <param name="SourceTarget">The target layer's name in the source graph.</param>
/// <param name="Folding">How the target becomes the [N, K, h, w] activations.</param>
/// <param name="Path">The nodes between target and scores.</param>
/// <param name="Shapes">Probed shapes of the tensors on the path (batch 2).</param>
/// <param name="StructuralValues">Probed values of the path's computed structural inputs (a Slice's starts from a Shape).</param>
/// <param name="NumClasses">C.</param>
/// <param name="GigaMacs">Multiply–accumulates per image in convolutions and matrix products, in billions.</param>
public sealed record CamReadyAnalysis(
    ImageInput Image,
    string Output,
    string Scores,
    string SourceScores,
    TargetLayer Target,
    string SourceTarget,
    TargetFolding Folding,
    GradientPath Path,
    IReadOnlyDictionary<string, long[]> Shapes,
    IReadOnlyDictionary<string, long[]> StructuralValues,
    int NumClasses,
    double GigaMacs);
