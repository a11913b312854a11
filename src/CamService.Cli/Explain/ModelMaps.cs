using CamService.Imaging;
using CamService.Inference.Explanations;

namespace CamService.Cli.Explain;

/// <summary>
/// One image's maps by one model, kept until every model has run on the image's batch, for --agreement and --gif:
/// the raw maps are small (7×7 to 14×14 cells), the pictures are drawn from them.
/// </summary>
/// <param name="Model">The model's position in the run.</param>
/// <param name="Geometry">How the model's input lies on the image.</param>
/// <param name="Explanation">Its maps, in method-then-target order.</param>
/// <param name="LatencyMs">The model's inference time per image in this run: its batch's run divided by the batch's images.</param>
public sealed record ModelMaps(int Model, InputGeometry Geometry, ImageExplanation Explanation, double LatencyMs);
