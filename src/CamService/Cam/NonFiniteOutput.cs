using CamService.Inference.Explanations;
using CamService.Problems;

namespace CamService.Cam;

/// <summary>
/// A model that yields NaN or an infinity for an image (overflowing weights, a broken export) has no
/// explanation to give: the request gets a 422 problem naming the model and the output, with members
/// "model" and "output" to read it by.
/// </summary>
public static class NonFiniteOutput
{
    public static RequestException Problem(string model, NonFiniteOutputException e) =>
        new(StatusCodes.Status422UnprocessableEntity, "Non-finite model output",
            $"{e.Message} Leave the model out of 'models' to explain the image with the others.",
            extensions: new Dictionary<string, object?> { ["model"] = model, ["output"] = e.Output });
}
