using System.Numerics.Tensors;
using CamService.Imaging;
using CamService.Inference.Explanations;

namespace CamService.Inference.Agreement;

/// <summary>
/// Several models' maps of one image compared where they land on the upright image: each raw map is projected
/// through its own model's resize or crop (<see cref="InputGeometry"/>), so that maps of different input sizes and
/// crops line up pixel for pixel, then compared (<see cref="MapAgreement"/>) or combined into consensus and
/// disagreement pictures. The service's agreement and the command line's share it.
/// </summary>
public static class ProjectedAgreement
{
    /// <summary>
    /// The long side of the view the numbers are computed on: the maps hold 7×7 to 14×14 cells, so 256 px resolves
    /// them fully, and the cost (ranking every pixel of every map) does not grow with the photo.
    /// </summary>
    public const int AnalysisSize = 256;

    /// <summary>The view of a <paramref name="width"/>×<paramref name="height"/> image that the numbers are computed on.</summary>
    public static (int Width, int Height) AnalysisView(int width, int height) => DecodeHint.PictureSize(width, height, AnalysisSize);

    /// <summary>Every pair of <paramref name="maps"/> compared on a <paramref name="width"/>×<paramref name="height"/> view.</summary>
    public static MapAgreement Compare(IReadOnlyList<(CamMap Map, InputGeometry Geometry)> maps, int width, int height, double topPercent) =>
        MapAgreement.Compare(Project(maps, width, height), topPercent);

    /// <summary>
    /// The consensus and disagreement of <paramref name="maps"/> as coloured PNGs of <paramref name="width"/>×<paramref name="height"/>
    /// (transparent where a model's crop ends); the disagreement doubled, so that the colormap's top is the most two maps can differ.
    /// </summary>
    public static (byte[] Consensus, byte[] Disagreement) Pictures(IReadOnlyList<(CamMap Map, InputGeometry Geometry)> maps, int width, int height,
        Colormap colormap)
    {
        var consensus = new float[width * height];
        var disagreement = new float[width * height];
        MapAgreement.Combine(Project(maps, width, height), consensus, disagreement);
        // A deviation of two maps in [0, 1] is at most ½: doubled, the colormap's top is the most they can differ.
        TensorPrimitives.Multiply(disagreement, 2, disagreement);
        return (CamRenderer.HeatmapPng(consensus, width, height, colormap), CamRenderer.HeatmapPng(disagreement, width, height, colormap));
    }

    /// <summary>Each map on a <paramref name="width"/>×<paramref name="height"/> view of the image, NaN outside its crop.</summary>
    static List<float[]> Project(IReadOnlyList<(CamMap Map, InputGeometry Geometry)> maps, int width, int height) =>
        maps.Select(m => CamRenderer.Project(m.Map.Data, m.Map.Height, m.Map.Width, m.Geometry, width, height)).ToList();
}
