using CamService.Inference.Runtime;

namespace CamService.Inference.Tests.Runtime;

/// <summary>A request's model runs go one after another at their fastest settings, or side by side at their cheapest, whichever the measured times say ends first.</summary>
public sealed class RunPlanTests
{
    /// <summary>Threads measured at one and two threads: the fastest and the most efficient follow from the times.</summary>
    static ServingThreads Measured(double oneThreadMs, double twoThreadsMs) =>
        ServingThreads.From(new ThreadTuning([new(1, false, oneThreadMs), new(2, false, twoThreadsMs)]), "measured");

    [Fact]
    public void ModelsThatUseTheirSecondThreadPoorly_GoSideBySide_LongestFirst()
    {
        // The 2-core figures of resnet50, densenet121 and efficientnet_b0.
        var runs = new[] { Measured(44.0, 24.9), Measured(33.0, 29.0), Measured(7.8, 11.5) };

        var plan = RunPlan.For(runs, cores: 2);

        Assert.True(plan.SideBySide);
        Assert.Equal([0, 1, 2], plan.Order);
        Assert.Equal(24.9 + 29.0 + 7.8, plan.SequentialMs, 6);
        // resnet50 on one core; densenet121, then efficientnet_b0, on the other.
        Assert.Equal(44.0 * RunPlan.SharedMachineSlowdown, plan.EstimatedMs, 6);
    }

    [Fact]
    public void ModelsThatScaleWell_RunOneAfterAnother_InTheRequestedOrder()
    {
        var runs = new[] { Measured(40.0, 20.5), Measured(30.0, 15.5) };

        var plan = RunPlan.For(runs, cores: 2);

        Assert.False(plan.SideBySide);
        Assert.Equal([0, 1], plan.Order);
        Assert.Equal(36.0, plan.EstimatedMs, 6);
    }

    [Fact]
    public void OrderIsLongestFirst_WhateverTheRequestOrder()
    {
        var runs = new[] { Measured(8.0, 11.0), Measured(30.0, 28.0), Measured(40.0, 38.0) };

        var plan = RunPlan.For(runs, cores: 2);

        Assert.True(plan.SideBySide);
        Assert.Equal([2, 1, 0], plan.Order);
    }

    [Fact]
    public void OneAfterAnother_RunsThatLeaveCoresFreeGoLast_ForThePicturesBeforeThem()
    {
        // efficientnet_b0 runs fastest on one of two cores; resnet50 and densenet121 on both.
        var runs = new[] { Measured(7.8, 8.5), Measured(44.0, 22.0), Measured(40.0, 20.5) };

        var plan = RunPlan.For(runs, cores: 2);

        Assert.False(plan.SideBySide);
        Assert.Equal([1, 2, 0], plan.Order);
        Assert.True(RunPlan.LeavesCoresFree(runs[0], cores: 2));
        Assert.False(RunPlan.LeavesCoresFree(runs[1], cores: 2));
    }

    [Fact]
    public void ConfiguredThreads_WithoutMeasuredTimes_RunOneAfterAnother()
    {
        var configured = ServingThreads.Configured(new ExecutionSettings { IntraOpThreads = 1 });
        var runs = new[] { configured, Measured(44.0, 24.9) };

        var plan = RunPlan.For(runs, cores: 2);

        Assert.False(plan.SideBySide);
        Assert.Equal([1, 0], plan.Order);
        Assert.True(double.IsNaN(plan.EstimatedMs));
        Assert.Equal([0, 1], RunPlan.For([configured, configured], cores: 2).Order);
    }

    [Fact]
    public void OneModel_RunsAlone()
    {
        Assert.False(RunPlan.For([Measured(44.0, 24.9)], cores: 2).SideBySide);
    }

    [Fact]
    public void Makespan_StartsEachRunWhenItsCoresAreFree_FirstComeFirstServed()
    {
        // Two single-core runs fill both cores; the two-core run waits for both; the last waits its turn.
        var makespan = RunPlan.Makespan([(1, 10.0), (1, 4.0), (2, 5.0), (1, 1.0)], cores: 2);

        Assert.Equal(16.0, makespan, 6);
    }
}
