namespace CamService.Inference.Faithfulness;

/// <summary>
/// How faithful one map is to its model for one image and target; a metric that was not asked for is null.
/// Probabilities are the target's softmax probability.
/// </summary>
/// <param name="AverageDrop">max(0, Y − O) / Y × 100, in percent: Y on the image, O on the image times the normalised map. Lower is better.</param>
/// <param name="Increase">O &gt; Y: the map alone made the model more confident (averaged over images, the "increase in confidence").</param>
/// <param name="DeletionAuc">Area under the deletion curve, x from 0 to 1. Lower is better.</param>
/// <param name="InsertionAuc">Area under the insertion curve, x from 0 to 1. Higher is better.</param>
/// <param name="DeletionCurve">steps + 1 probabilities: point i with the top i/steps of pixels set to the baseline.</param>
/// <param name="InsertionCurve">steps + 1 probabilities: point i with the top i/steps of pixels put back into the blurred image.</param>
/// <param name="Forwards">Forward passes of the whole model the metrics took.</param>
/// <param name="Ms">Milliseconds the metrics took, forward passes included.</param>
public sealed record FaithfulnessScores(
    double? AverageDrop,
    bool? Increase,
    double? DeletionAuc,
    double? InsertionAuc,
    float[]? DeletionCurve,
    float[]? InsertionCurve,
    int Forwards,
    double Ms);
