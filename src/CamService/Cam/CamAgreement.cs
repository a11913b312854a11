using System.Numerics.Tensors;
using CamService.Imaging;
using CamService.Inference.Agreement;

namespace CamService.Cam;

/// <summary>
/// Agreement between a request's models (agreement=true): for each method and target, every model's map is
/// projected onto the upright image through its own resize or crop, so that maps of different input sizes and
/// crops line up pixel for pixel, and compared there (<see cref="MapAgreement"/>).
/// </summary>
public static class CamAgreement
{
    /// <summary>
    /// The long side of the grid the numbers are computed on: the maps hold 7×7 to 14×14 cells, so 256 px resolves
    /// them fully, and the cost (ranking every pixel of every map) does not grow with the photo.
    /// </summary>
    public const int AnalysisSize = 256;

    /// <summary>One entry per method and target, in the request's order; the consensus and disagreement pictures at <paramref name="rendered"/>.</summary>
    public static List<AgreementResult> Compare(IReadOnlyList<Explanation> explanations, CamRequest request, ImageSize image, ImageSize rendered)
    {
        var (width, height) = DecodeHint.PictureSize(image.Width, image.Height, AnalysisSize);
        var models = explanations.Select(e => e.Model).ToList();
        var results = new List<AgreementResult>(request.MapsPerModel);
        for (var m = 0; m < request.Methods.Count; m++)
        {
            for (var t = 0; t < request.Targets.Count; t++)
            {
                // The engine's maps are in method-then-target order.
                var index = m * request.Targets.Count + t;
                var agreement = MapAgreement.Compare(Project(explanations, index, width, height), request.AgreementTopPercent);

                var pixels = rendered.Width * rendered.Height;
                var consensus = new float[pixels];
                var disagreement = new float[pixels];
                MapAgreement.Combine(Project(explanations, index, rendered.Width, rendered.Height), consensus, disagreement);
                // A deviation of two maps in [0, 1] is at most ½: doubled, the colormap's top is the most they can differ.
                TensorPrimitives.Multiply(disagreement, 2, disagreement);

                results.Add(new AgreementResult(request.Methods[m].Name, request.Targets[t].ToString(), models, agreement.Spearman, agreement.TopPercent,
                    agreement.TopIou, CamRenderer.HeatmapPng(consensus, rendered.Width, rendered.Height, request.Colormap),
                    CamRenderer.HeatmapPng(disagreement, rendered.Width, rendered.Height, request.Colormap), new ImageSize(width, height)));
            }
        }
        return results;
    }

    /// <summary>Each model's map <paramref name="index"/> on a <paramref name="width"/>×<paramref name="height"/> view of the image, NaN outside its crop.</summary>
    static List<float[]> Project(IReadOnlyList<Explanation> explanations, int index, int width, int height) =>
        explanations.Select(e =>
        {
            var cam = e.Maps[index].Map;
            return CamRenderer.Project(cam.Data, cam.Height, cam.Width, e.Geometry, width, height);
        }).ToList();
}
