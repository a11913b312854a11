using CamService.Imaging;
using CamService.Inference.Agreement;
using CamService.Inference.Explanations;

namespace CamService.Cam;

/// <summary>
/// Agreement between a request's models (agreement=true): for each method and target, the models' maps compared
/// on the upright image (<see cref="ProjectedAgreement"/>).
/// </summary>
public static class CamAgreement
{
    /// <summary>One entry per method and target, in the request's order; the consensus and disagreement pictures at <paramref name="rendered"/>.</summary>
    public static List<AgreementResult> Compare(IReadOnlyList<ModelExplanation> explanations, CamRequest request, ImageSize image, ImageSize rendered)
    {
        var (width, height) = ProjectedAgreement.AnalysisView(image.Width, image.Height);
        var models = explanations.Select(e => e.Model).ToList();
        var spec = request.Spec;
        var results = new List<AgreementResult>(spec.MapsPerModel);
        for (var m = 0; m < request.Methods.Count; m++)
        {
            for (var t = 0; t < request.Targets.Count; t++)
            {
                var index = spec.MapIndex(m, t);
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
