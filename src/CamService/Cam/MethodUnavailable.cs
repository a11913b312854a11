using CamService.Problems;

namespace CamService.Cam;

/// <summary>
/// A method the model cannot serve (Ablation-CAM needs the head from the target layer to the logits, and
/// a model may have none): the request gets a 422 problem naming the model, with member "model" to read it
/// by, rather than a 500 — the request was sound, this model just cannot answer it this way.
/// </summary>
public static class MethodUnavailable
{
    public static RequestException Problem(string model, Exception e) =>
        new(StatusCodes.Status422UnprocessableEntity, "Method unavailable for this model",
            $"{e.Message} Leave the method out of 'method', or the model out of 'models'.",
            extensions: new Dictionary<string, object?> { ["model"] = model });
}
