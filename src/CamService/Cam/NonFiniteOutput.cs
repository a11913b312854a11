using System.Numerics.Tensors;
using CamService.Problems;

namespace CamService.Cam;

/// <summary>
/// The check that a model's outputs are finite. A model that yields NaN or an infinity for an
/// image (overflowing weights, a broken export) has no explanation to give: the request gets a
/// 422 problem naming the model and the output, with members "model" and "output" to read it by.
/// </summary>
public static class NonFiniteOutput
{
    public static void Check(string model, string output, ReadOnlySpan<float> values)
    {
        if (values.IsEmpty || TensorPrimitives.IsFiniteAll(values))
        {
            return;
        }
        var what = TensorPrimitives.IsNaNAny(values) ? "NaN" : "infinite values";
        throw new RequestException(StatusCodes.Status422UnprocessableEntity, "Non-finite model output",
            $"Model '{model}' produced {what} in its {output} for this image, so it cannot be explained. Leave the model out of 'models' to explain the image with the others.",
            extensions: new Dictionary<string, object?> { ["model"] = model, ["output"] = output });
    }
}
