using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Tests.Support;
using CamService.Testing;
using Onnx;
using static CamService.Onnx.Graph.Attributes;

namespace CamService.Onnx.Tests.CamReady;

/// <summary>
/// <see cref="HeadPruning"/> on small token heads: a pick of one token moves up through nodes that treat tokens one at a
/// time, stops at the target, at a tensor something else reads whole and at a node that mixes tokens, and never changes
/// what the head computes.
/// </summary>
public sealed class HeadPruningTests
{
    const int Tokens = 5;

    /// <summary>
    /// x [N, 5, 4] → target: LayerNormalization → MatMul → Add bias → Erf → Mul by a [1, 5, 1] scale → Transpose to
    /// [5, N, 6] → pick token <paramref name="token"/> → [N, 6]. Returns the model, the target and the MatMul's output.
    /// </summary>
    static (TestGraph Graph, string Target, string Projected, string Picked) TokenHead(long token)
    {
        var g = new TestGraph();
        var x = g.Input("x", 2, Tokens, 4);
        var target = g.Node("LayerNormalization", [x, g.Random([4]), g.Random([4])], Int("axis", -1));
        var projected = g.Node("MatMul", [target, g.Random([4, 6])]);
        var activated = g.Node("Erf", [g.Node("Add", [projected, g.Random([6])])]);
        var scaled = g.Node("Mul", [activated, g.Random([1, Tokens, 1])]);
        var tokensFirst = g.Node("Transpose", [scaled], Ints("perm", [1, 0, 2]));
        return (g, target, projected, g.Node("Gather", [tokensFirst, g.Int(token)], Int("axis", 0)));
    }

    static int Prune(ModelProto model, string target)
    {
        var graph = new GraphIndex(model);
        return HeadPruning.Apply(model, target, ShapeProbe.Run(graph, HeadPruning.TensorsToProbe(graph, target), Tokens));
    }

    static float[] Evaluate(ModelProto model, string output) =>
        Ort.Run(model, [("x", SmallClassifiers.RandomImage([2, Tokens, 4], seed: 4), [2, Tokens, 4])], output)[0].Values;

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-1)]
    public void Pick_MovesUpToTheTarget_AndTheHeadComputesTheSame(long token)
    {
        var (g, target, projected, picked) = TokenHead(token);
        var model = g.Output(picked).Build();
        var before = Evaluate(model, picked);

        var moves = Prune(model, target);

        // Transpose, Mul, Erf, Add and MatMul: the pick now reads the target.
        Assert.Equal(5, moves);
        var graph = new GraphIndex(model);
        var matMul = model.Graph.Node.Single(n => n.OpType == "MatMul");
        Assert.Equal("Gather", graph.Producer(matMul.Input[0])!.OpType);
        Assert.Equal(target, graph.Producer(matMul.Input[0])!.Input[0]);
        Assert.Equal(graph.TopologicalOrder(), model.Graph.Node);
        Compare.Close(Evaluate(model, picked), before, 1e-6, "the picked token");
    }

    [Fact]
    public void Pick_StopsBelowATensorReadWhole()
    {
        var (g, target, projected, picked) = TokenHead(0);
        var whole = g.Node("ReduceSum", [projected, g.Ints(1)], Int("keepdims", 0));
        var model = g.Output(picked).Output(whole).Build();
        var before = Evaluate(model, picked);

        // Transpose, Mul, Erf and Add: the MatMul's output is summed over every token too.
        Assert.Equal(4, Prune(model, target));
        Assert.Equal("MatMul", new GraphIndex(model).Producer(projected)!.OpType);
        Compare.Close(Evaluate(model, picked), before, 1e-6, "the picked token");
    }

    [Fact]
    public void Pick_StopsAtANodeThatMixesTokens()
    {
        var g = new TestGraph();
        var x = g.Input("x", 2, Tokens, 4);
        var target = g.Node("Relu", [x]);
        var mixed = g.Node("Softmax", [target], Int("axis", 1));
        var picked = g.Node("Gather", [g.Node("Neg", [mixed]), g.Int(0)], Int("axis", 1));
        var model = g.Output(picked).Build();
        var before = Evaluate(model, picked);

        Assert.Equal(1, Prune(model, target));
        Assert.Equal(mixed, model.Graph.Node.Single(n => n.OpType == "Gather").Input[0]);
        Compare.Close(Evaluate(model, picked), before, 1e-6, "the picked token");
    }
}
