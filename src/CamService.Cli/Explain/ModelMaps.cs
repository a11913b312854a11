using CamService.Inference.Explanations;

namespace CamService.Cli.Explain;

/// <summary>
/// One image's maps by one model, kept until every model has run on the image's batch, for --agreement and --gif:
/// the raw maps are small (7×7 to 14×14 cells), the pictures are drawn from them.
/// </summary>
/// <param name="Column">The model's position in the run (its grids' column).</param>
/// <param name="Explanation">Its maps (<see cref="ExplanationSpec.MapIndex"/>) and how the model's input lies on the image.</param>
/// <param name="LatencyMs">The model's inference time per image in this run: its batch's run divided by the batch's images.</param>
public sealed record ModelMaps(int Column, ModelExplanation Explanation, double LatencyMs);
