using CamService.Imaging;
using CamService.Inference.Agreement;

namespace CamService.Cam;

/// <summary>
/// Agreement between a request's models (agreement=true): for each method and target, the models' maps compared
/// on the upright image (<see cref="ProjectedAgreement"/>).
/// </summary>
public static class CamAgreement
{
    /// <summary>One entry per method and target, in the request's order; the consensus and disagreement pictures at <paramref name="rendered"/>.</summary>
    public static List<AgreementResult> Compare(IReadOnlyList<Explanation> explanations, CamRequest request, ImageSize image, ImageSize rendered)
    {
        var (width, height) = ProjectedAgreement.AnalysisView(image.Width, image.Height);
        var models = explanations.Select(e => e.Model).ToList();
        var results = new List<AgreementResult>(request.MapsPerModel);
        for (var m = 0; m < request.Methods.Count; m++)
        {
            for (var t = 0; t < request.Targets.Count; t++)
            {
                // The engine's maps are in method-then-target order.
                var index = m * request.Targets.Count + t;
                var maps = explanations.Select(e => (e.Maps[index].Map, e.Geometry)).ToList();
                var agreement = ProjectedAgreement.Compare(maps, width, height, request.AgreementTopPercent);
                var (consensus, disagreement) = ProjectedAgreement.Pictures(maps, rendered.Width, rendered.Height, request.Colormap);
                results.Add(new AgreementResult(request.Methods[m].Name, request.Targets[t].ToString(), models, agreement.Spearman, agreement.TopPercent,
                    agreement.TopIou, consensus, disagreement, new ImageSize(width, height)));
            }
        }
        return results;
    }
}
