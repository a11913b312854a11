using CamService.Inference.Explanations;
using System.Numerics.Tensors;
using CamService.Cam;

namespace CamService.Tests;

public sealed class TopKTests
{
    static string Label(int index) => $"class {index}";

    [Fact]
    public void NearEqualLogits_TopOneIsTheArgmaxThatIsExplained()
    {
        // An untrained model: 1000 logits whose probabilities all round to the same float.
        var logits = new float[1000];
        logits[996] = 4e-14f;
        logits[3] = 2e-14f;

        var top = CamEngine.TopK(logits, 5, Label);

        Assert.Equal(TensorPrimitives.IndexOfMax(logits), top[0].Index);
        Assert.Equal([996, 3, 0, 1, 2], top.Select(p => p.Index));
        Assert.All(top, p => Assert.Equal(0.001f, p.Probability, 6));
    }

    [Fact]
    public void EqualLogits_ComeInIndexOrder()
    {
        var top = CamEngine.TopK(new float[1000], 4, Label);
        Assert.Equal([0, 1, 2, 3], top.Select(p => p.Index));
        Assert.Equal(["class 0", "class 1", "class 2", "class 3"], top.Select(p => p.Label));
    }

    [Fact]
    public void DistinctLogits_MostProbableFirst()
    {
        float[] logits = [0.5f, 2f, -1f, 1f];
        var top = CamEngine.TopK(logits, 4, Label);
        Assert.Equal([1, 3, 0, 2], top.Select(p => p.Index));
        Assert.Equal(1f, top.Sum(p => p.Probability), 5);
    }
}
