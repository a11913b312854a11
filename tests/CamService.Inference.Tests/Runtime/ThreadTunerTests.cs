using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Testing;
using Google.Protobuf;
using static CamService.Onnx.Graph.Attributes;

namespace CamService.Inference.Tests.Runtime;

/// <summary>Thread settings are chosen by timing the model: which ones are tried, and how the winner is picked.</summary>
public sealed class ThreadTunerTests
{
    [Fact]
    public void Candidates_OnTwoCores_AreOneThread_TwoThreads_AndTwoSpinning()
    {
        Assert.Equal([new(1, false), new(2, false), new(2, true)], ThreadTuner.Candidates(2));
        Assert.Equal([new(1, false), new(2, false)], ThreadTuner.Candidates(2, spinning: false));
        Assert.Equal([new(1, false)], ThreadTuner.Candidates(1));
    }

    [Fact]
    public void Candidates_OnManyCores_AreEveryCountToEight_ThenPowersOfTwo_AndTheCoreCount()
    {
        var counts = ThreadTuner.Candidates(48, spinning: false).Select(c => c.Threads);

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 48], counts);
    }

    [Fact]
    public void Fastest_PrefersFewerThreadsWithinTwoPercent_ThenSpinningWithinFivePercent()
    {
        var tuning = new ThreadTuning([new(1, false, 20.0), new(2, false, 10.0), new(2, true, 10.4), new(4, false, 9.95)]);
        var clearlyFaster = new ThreadTuning([new(2, false, 10.0), new(2, true, 10.6)]);
        var oneThreadClose = new ThreadTuning([new(1, false, 10.15), new(2, false, 10.0), new(2, true, 10.0)]);

        Assert.Equal(new ThreadChoice(2, true), tuning.Fastest.Choice);
        Assert.Equal(new ThreadChoice(2, false), clearlyFaster.Fastest.Choice);
        Assert.Equal(new ThreadChoice(1, false), oneThreadClose.Fastest.Choice);
    }

    [Fact]
    public void Quickest_IsTheLowestMedian_WithoutThePreferences_ForBaselines()
    {
        var tuning = new ThreadTuning([new(1, false, 10.15), new(2, false, 10.0), new(2, true, 10.4)]);

        Assert.Equal(new ThreadChoice(1, false), tuning.Fastest.Choice);
        Assert.Equal(new ThreadChoice(2, false), tuning.Quickest.Choice);
    }

    [Fact]
    public void MostEfficient_IsTheFewestCoreMilliseconds_NeverSpinning()
    {
        var tuning = new ThreadTuning([new(1, false, 44.0), new(2, false, 24.9), new(2, true, 20.0)]);

        Assert.Equal(new ThreadChoice(1, false), tuning.MostEfficient.Choice);
        Assert.Equal(44.0, tuning.MostEfficient.CoreMs);
        Assert.Equal(49.8, tuning.Trials[1].CoreMs, 6);
    }

    [Fact]
    public void BestPass_DropsAPassThatABusySpellSlowed_InsteadOfMixingItIn()
    {
        // Spinning is faster, but its second pass met a busy machine: the median of all eight runs (12.35)
        // would lose to the steady pool without spinning (11).
        double[] spinning1 = [10, 10.2, 9.9, 10.1], spinning2 = [15, 16, 14.5, 15.5];
        double[] steady1 = [11, 11, 11.1, 10.9], steady2 = [11, 11.2, 10.8, 11];

        var tuning = new ThreadTuning([new(2, false, ThreadTuner.BestPass([steady1, steady2])), new(2, true, ThreadTuner.BestPass([spinning1, spinning2]))]);

        Assert.Equal(10.05, tuning.Trials[1].MedianMs, 6);
        Assert.Equal(11.0, tuning.Trials[0].MedianMs, 6);
        Assert.Equal(new ThreadChoice(2, true), tuning.Fastest.Choice);
        Assert.Equal(12.35, ThreadTuner.Median([.. spinning1, .. spinning2]), 6);
    }

    [Fact]
    public void BestPass_IgnoresAnEmptyPass()
    {
        Assert.Equal(7.0, ThreadTuner.BestPass([[], [6, 7, 8]]));
    }

    [Fact]
    public void Measure_TimesEveryCandidate_OnTheCamReadyModel()
    {
        var (tuning, candidates, sessions) = MeasureCountingSessions(runs: 4);

        Assert.Equal(candidates, tuning.Trials.Select(t => t.Choice));
        Assert.All(tuning.Trials, t => Assert.True(t.MedianMs > 0 && double.IsFinite(t.MedianMs)));
        Assert.Contains(tuning.Fastest, tuning.Trials);
        Assert.Equal(ThreadTuner.Passes * candidates.Count, sessions);
    }

    [Fact]
    public void Measure_OfAModelSlowerThanItsBudget_StopsAfterOnePass()
    {
        // Every run outlasts a budget of a few ticks, as a run of a big model outlasts the default one.
        var (tuning, candidates, sessions) = MeasureCountingSessions(budget: TimeSpan.FromTicks(4));

        Assert.Equal(candidates.Count, sessions);
        Assert.Equal(candidates, tuning.Trials.Select(t => t.Choice));
        Assert.All(tuning.Trials, t => Assert.True(t.MedianMs > 0 && double.IsFinite(t.MedianMs)));
    }

    [Fact]
    public void Refine_MeasuresTheContendersOnce_AndAFigureABusySpellInflatedGivesWay()
    {
        // As a sweep that met a busy spell remembers it: one thread and two spinning within 1.5× of each other,
        // both inflated; two threads without spinning far behind, so it cannot win and is not timed again.
        var (refined, sessions) = RefineCountingSessions(new ThreadTuning([new(1, false, 1_000.0), new(2, false, 1_000_000.0), new(2, true, 900.0)]));

        Assert.Equal([new(1, false), new(2, false), new(2, true)], refined.Trials.Select(t => t.Choice));
        Assert.Equal(2, sessions);
        Assert.InRange(refined.Trials[0].MedianMs, double.Epsilon, 999.0);
        Assert.Equal(1_000_000.0, refined.Trials[1].MedianMs);
        Assert.InRange(refined.Trials[2].MedianMs, double.Epsilon, 899.0);
    }

    [Fact]
    public void Refine_KeepsAQuickerEarlierFigure_ASlowerPassNeverReplacesIt()
    {
        var (refined, sessions) = RefineCountingSessions(new ThreadTuning([new(1, false, 1e-9), new(2, false, 1.2e-9), new(2, true, 1.0)]));

        Assert.Equal(2, sessions);
        Assert.Equal([1e-9, 1.2e-9, 1.0], refined.Trials.Select(t => t.MedianMs));
    }

    /// <summary>Refines <paramref name="earlier"/> with the CAM-ready test classifier, counting the sessions made (one a setting timed).</summary>
    static (ThreadTuning Refined, int Sessions) RefineCountingSessions(ThreadTuning earlier)
    {
        var camReady = new CamReadyBuilder().Prepare(Classifier()).Model;
        var sessions = 0;
        var refined = ThreadTuner.Refine(earlier, camReady.ToByteArray(), new ExecutionSettings(), _ =>
        {
            sessions++;
            return CamReadyModel.TimingInputs(camReady);
        });
        return (refined, sessions);
    }

    /// <summary>A sweep of the CAM-ready test classifier on two cores' candidates, counting the sessions it makes (one a candidate a pass).</summary>
    static (ThreadTuning Tuning, IReadOnlyList<ThreadChoice> Candidates, int Sessions) MeasureCountingSessions(int runs = 16, TimeSpan? budget = null)
    {
        var camReady = new CamReadyBuilder().Prepare(Classifier()).Model;
        var candidates = ThreadTuner.Candidates(2);
        var sessions = 0;
        var tuning = ThreadTuner.Measure(camReady.ToByteArray(), new ExecutionSettings(), _ =>
        {
            sessions++;
            return CamReadyModel.TimingInputs(camReady);
        }, candidates, runs, budget: budget);
        return (tuning, candidates, sessions);
    }

    [Fact]
    public void CamReadyModel_WithTwoSettings_RunsBothSessions_ToTheSameAnswer()
    {
        var camReady = new CamReadyBuilder().Prepare(Classifier()).Model;
        var threads = new ServingThreads(new ThreadChoice(2, true), new ThreadChoice(1, false), "test");
        using var model = CamReadyModel.Create(camReady, new ExecutionSettings(), threads);
        var images = new float[3 * 16 * 16];
        for (var i = 0; i < images.Length; i++)
        {
            images[i] = MathF.Sin(i);
        }

        using var alone = model.Run(images, 1, new long[] { -1 }, 1);
        using var underLoad = model.Run(images, 1, new long[] { -1 }, 1, underLoad: true);

        Assert.Same(threads, model.Threads);
        Compare.Close(underLoad.Gradients, alone.Gradients, 1e-5, "gradients");
        Compare.Close(underLoad.Logits, alone.Logits, 1e-5, "logits");
    }

    [Fact]
    public void CamReadyModel_UnderLoad_EvaluatesTheHeadOnAPoolOfTheRunsOwnSize()
    {
        var camReady = new CamReadyBuilder().Prepare(Classifier()).Model;
        using var model = CamReadyModel.Create(camReady, new ExecutionSettings(), new ServingThreads(new ThreadChoice(2, true), new ThreadChoice(1, false), "test"));
        using var same = CamReadyModel.Create(camReady, new ExecutionSettings(), new ServingThreads(new ThreadChoice(2, false), new ThreadChoice(2, false), "test"));
        using var outputs = model.Run(new float[3 * 16 * 16], 1, new long[] { -1 }, 1);
        var activations = outputs.Activations.ToArray();
        var (alone, underLoad) = (new float[model.NumClasses], new float[model.NumClasses]);

        model.Serving(underLoad: false).EvaluateHead(activations, 1, alone, CancellationToken.None);
        model.Serving(underLoad: true).EvaluateHead(activations, 1, underLoad, CancellationToken.None);

        Assert.Equal((2, 1), (model.Head(underLoad: false).Threads, model.Head(underLoad: true).Threads));
        Assert.Same(same.Head(underLoad: false), same.Head(underLoad: true));
        Compare.Close(underLoad, alone, 1e-5, "head logits");
        Compare.Close(alone, outputs.Logits.ToArray(), 1e-4, "head against the whole model");
    }

    /// <summary>image [N, 3, 16, 16] → Conv → Relu → pooled head.</summary>
    static global::Onnx.ModelProto Classifier()
    {
        var g = new TestGraph();
        var image = g.Input("image", 1, 3, 16, 16);
        var features = g.Node("Relu", [g.Node("Conv", [image, g.Random([8, 3, 3, 3], -0.3f, 0.3f), g.Random([8])], Ints("pads", [1, 1, 1, 1]))]);
        return g.Output(SmallClassifiers.PooledHead(g, features, 8)).Build();
    }
}
