using System.Text;
using CamService.Imaging;
using CamService.Inference.Agreement;

namespace CamService.Cli.Explain;

/// <summary>
/// --agreement: for each image, method and target, the models' maps compared on the upright image as the service
/// compares them (<see cref="ProjectedAgreement"/>), and the consensus and disagreement pictures written at the
/// overlays' size to agreement/&lt;image id&gt;/consensus.&lt;method&gt;.&lt;target&gt;.png and disagreement.….png.
/// </summary>
/// <param name="write">Writes a file, by its path inside the output folder.</param>
public sealed class AgreementWriter(ExplainOptions options, IReadOnlyList<LoadedModel> models, Action<string, byte[]> write)
{
    readonly List<AgreementSummary> results = [];

    /// <summary>What was compared so far, in the run's order.</summary>
    public IReadOnlyList<AgreementSummary> Results => results;

    /// <summary>
    /// Compares one image's maps. An image that fewer than two models explained (the others' outputs were not
    /// finite) has nothing to compare and is left out.
    /// </summary>
    public void Add(ImageInput input, LoadedImage image, IReadOnlyList<ModelMaps> maps)
    {
        if (maps.Count < 2)
        {
            return;
        }
        var (width, height) = ProjectedAgreement.AnalysisView(image.Width, image.Height);
        var (pictureWidth, pictureHeight) = DecodeHint.PictureSize(image.Width, image.Height, options.MaxSize);
        var names = maps.Select(m => models[m.Column].Name).ToList();
        for (var m = 0; m < options.Methods.Count; m++)
        {
            for (var t = 0; t < options.Targets.Count; t++)
            {
                // The engine's maps are in method-then-target order.
                var index = options.Spec.MapIndex(m, t);
                var projected = maps.Select(x => (x.Explanation.Maps[index].Map, x.Explanation.Geometry)).ToList();
                var agreement = ProjectedAgreement.Compare(projected, width, height, options.AgreementTopPercent);
                var (consensus, disagreement) = ProjectedAgreement.Pictures(projected, pictureWidth, pictureHeight, options.Colormap);
                var (method, target) = (options.Methods[m].Name, options.Targets[t].Key);
                var consensusFile = $"{Inputs.AgreementFolder}/{input.Id}/consensus.{method}.{target}.png";
                var disagreementFile = $"{Inputs.AgreementFolder}/{input.Id}/disagreement.{method}.{target}.png";
                write(consensusFile, consensus);
                write(disagreementFile, disagreement);
                results.Add(new AgreementSummary(input.Id, method, target, names, agreement.Spearman, agreement.TopPercent, agreement.TopIou,
                    consensusFile, disagreementFile));
            }
        }
    }

    /// <summary>agreement.csv: one row per pair of models (A before B in the run's order) of each image, method and target.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder();
        Csv.AppendRow(csv, ["image", "method", "target", "model_a", "model_b", "spearman", "top_percent_iou"]);
        foreach (var r in results)
        {
            for (var a = 0; a < r.Models.Count; a++)
            {
                for (var b = a + 1; b < r.Models.Count; b++)
                {
                    Csv.AppendRow(csv, [r.Image, r.Method, r.Target, r.Models[a], r.Models[b], Csv.Number(r.Spearman[a][b]), Csv.Number(r.TopPercentIou[a][b])]);
                }
            }
        }
        return csv.ToString();
    }
}
