using System.Net;
using System.Text.Json;
using CamService.Models;
using CamService.Onnx.Model;
using CamService.Testing;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Tests;

/// <summary>
/// The models folder changed while the service serves four clients back to back: a new file is prepared and
/// served, a replaced one swapped in, a deleted one no longer offered, and no request fails in any case. The
/// rescans are called by the tests (the watcher is off), so each change happens at a known point; a model
/// "in flight" is a lease the test holds, as a request does.
/// </summary>
public sealed class LiveModelsTests
{
    const int Clients = 4;

    static ConfiguredFactory Factory(int settleMilliseconds = 0, bool watch = false) => new(new Dictionary<string, string?>
    {
        ["Models:WatchFolder"] = watch ? "true" : "false",
        ["Models:RescanSeconds"] = "1",
        ["Models:SettleMilliseconds"] = settleMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Inference:Threads"] = "1",
    });

    [Fact]
    public async Task DroppingANewModel_UnderSteadyLoad_ServesItOncePrepared_AndNoRequestFails()
    {
        using var factory = Factory();
        var client = await factory.ReadyClientAsync();
        var load = SteadyLoad.Start(client, Clients);
        await load.Running.WaitAsync(Wait.ForModels);

        // A plain model: it is made CAM-ready, loaded and warmed up before it is offered.
        TestModels.WritePlain(factory.ModelsDirectory, "fresh32", 32);
        var changes = await factory.Services.GetRequiredService<ModelFolder>().RescanAsync(CancellationToken.None);
        Assert.Equal(["fresh32"], changes.Added);
        load.MarkChanged();
        await load.AnsweredAfterChange.WaitAsync(Wait.ForModels);
        var answers = await load.StopAsync();

        AssertNoneFailed(answers);
        Assert.All(answers.Where(a => a.Phase == 1), a => Assert.Contains("fresh32", a.Models));
        Assert.Equal("ready", await StatusAsync(client, "fresh32"));
    }

    [Fact]
    public async Task ReplacingAModel_UnderSteadyLoad_SwapsItIn_TheOneInFlightFinishes_AndLaterRequestsUseTheNewOne()
    {
        using var factory = Factory();
        var client = await factory.ReadyClientAsync();
        var registry = factory.Services.GetRequiredService<ModelRegistry>();
        var load = SteadyLoad.Start(client, Clients, ("models", "plain32"));
        await load.Running.WaitAsync(Wait.ForModels);
        using var inFlight = registry.Find("plain32")!.Lease()!;
        var old = load.AnswersSoFar.Select(a => a.TopProbability).ToList();

        // The same plain model with other weights, written beside and renamed over the old file, as a pipeline does;
        // a CAM-ready graph prepared and cached for the old file must not be served for it.
        var path = Path.Combine(factory.ModelsDirectory, "plain32.onnx");
        OnnxModelFile.Save(TestModels.ColourClassifier(32, logitScale: 5), path + ".tmp");
        File.Move(path + ".tmp", path, overwrite: true);
        var changes = await factory.Services.GetRequiredService<ModelFolder>().RescanAsync(CancellationToken.None);
        Assert.Equal(["plain32"], changes.Replaced);

        // The request in flight keeps the old model open and can still run it; the model is disposed once it lets go.
        Assert.NotSame(inFlight.Model, registry.Find("plain32")!.Model);
        Assert.False(inFlight.Served.Disposed);
        var p = inFlight.Model.Preprocessing;
        using (inFlight.Model.Run(new float[3 * p.Height * p.Width], 1, new long[] { -1 }, 1))
        {
        }
        inFlight.Dispose();

        load.MarkChanged();
        await load.AnsweredAfterChange.WaitAsync(Wait.ForModels);
        var answers = await load.StopAsync();
        AssertNoneFailed(answers);
        // The clients' requests that were in flight at the swap held it too; with every request answered, it is disposed.
        Assert.True(inFlight.Served.Disposed);
        // Five times the logits: the top class's probability is higher on every later answer than on any before the change.
        Assert.All(answers.Where(a => a.Phase == 1), a => Assert.True(a.TopProbability > old.Max() + 0.01f,
            $"The new weights are sharper: {a.TopProbability} after, {string.Join(", ", old)} before."));
    }

    [Fact]
    public async Task DeletingAModel_UnderSteadyLoad_StopsOfferingIt_TheOneInFlightFinishes_AndNoRequestFails()
    {
        using var factory = Factory();
        var client = await factory.ReadyClientAsync();
        var registry = factory.Services.GetRequiredService<ModelRegistry>();
        var load = SteadyLoad.Start(client, Clients);
        await load.Running.WaitAsync(Wait.ForModels);
        var inFlight = registry.Find("colour48")!.Lease()!;

        File.Delete(Path.Combine(factory.ModelsDirectory, "colour48.onnx"));
        var changes = await factory.Services.GetRequiredService<ModelFolder>().RescanAsync(CancellationToken.None);
        Assert.Equal(["colour48"], changes.Removed);

        Assert.False(inFlight.Served.Disposed);
        inFlight.Dispose();
        load.MarkChanged();
        await load.AnsweredAfterChange.WaitAsync(Wait.ForModels);
        var answers = await load.StopAsync();
        Assert.True(inFlight.Served.Disposed);

        AssertNoneFailed(answers);
        Assert.Contains(answers, a => a.Phase == 0 && a.Models.Contains("colour48"));
        Assert.All(answers.Where(a => a.Phase == 1), a => Assert.DoesNotContain("colour48", a.Models));
        var listed = JsonDocument.Parse(await client.GetStringAsync("/models")).RootElement.EnumerateArray().Select(m => m.GetProperty("id").GetString());
        Assert.DoesNotContain("colour48", listed);
        await Api.ProblemAsync(await client.GetAsync("/models/colour48"), 404);
        await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(64), fields: ("models", "colour48"))), 404);
        var ready = JsonDocument.Parse(await client.GetStringAsync("/health/ready")).RootElement.GetProperty("checks").GetProperty("models").GetProperty("data");
        Assert.False(ready.TryGetProperty("colour48", out _));
    }

    [Fact]
    public async Task AFileStillBeingWritten_IsReadOnceItKeepsItsSizeAndTime_AndHiddenNamesAreSkipped()
    {
        using var factory = Factory(settleMilliseconds: 60_000);
        await factory.ReadyClientAsync();
        var folder = factory.Services.GetRequiredService<ModelFolder>();
        var registry = factory.Services.GetRequiredService<ModelRegistry>();
        var bytes = TestModels.ColourClassifier(32).ToByteArray();
        var path = Path.Combine(factory.ModelsDirectory, "late32.onnx");
        await File.WriteAllBytesAsync(Path.Combine(factory.ModelsDirectory, ".late32.onnx"), bytes);

        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);
        Assert.True((await folder.RescanAsync(CancellationToken.None)).Unsettled);
        await using (var file = new FileStream(path, FileMode.Append))
        {
            await file.WriteAsync(bytes.AsMemory(bytes.Length / 2));
        }
        // Longer than at the last look: still being written.
        Assert.True((await folder.RescanAsync(CancellationToken.None)).Unsettled);
        Assert.Null(registry.Find("late32"));

        var settled = await folder.RescanAsync(CancellationToken.None);
        Assert.Equal(["late32"], settled.Added);
        Assert.False(settled.Unsettled);
        Assert.Equal(ModelStatus.Ready, registry.Find("late32")!.Status);
        Assert.DoesNotContain(registry.Entries, e => e.Id.StartsWith('.'));
    }

    [Fact]
    public async Task AReplacementThatFailsToLoad_LeavesTheServingModelInPlace()
    {
        using var factory = Factory();
        var client = await factory.ReadyClientAsync();
        var registry = factory.Services.GetRequiredService<ModelRegistry>();
        var serving = registry.Find("colour32")!.Model;

        TestModels.WriteBroken(factory.ModelsDirectory, "colour32");
        var changes = await factory.Services.GetRequiredService<ModelFolder>().RescanAsync(CancellationToken.None);

        Assert.Empty(changes.Replaced);
        Assert.Same(serving, registry.Find("colour32")!.Model);
        Assert.Equal("colour32", (await client.CamAsync(TestImages.RedTopLeftPng(64), ("models", "colour32"))).Results[0].Model);
        // The broken file is not read again until it changes.
        Assert.Empty((await factory.Services.GetRequiredService<ModelFolder>().RescanAsync(CancellationToken.None)).Replaced);
    }

    [Fact]
    public async Task TheWatcher_PicksUpANewFile_WithoutATestCallingARescan()
    {
        using var factory = Factory(watch: true);
        var client = await factory.ReadyClientAsync();

        TestModels.WriteCamReady(factory.ModelsDirectory, "watched32", 32);

        await Wait.Until(async () => (await client.GetAsync("/models/watched32")).StatusCode == HttpStatusCode.OK, Wait.ForModels);
        Assert.Equal("ready", await StatusAsync(client, "watched32"));
    }

    static void AssertNoneFailed(IReadOnlyList<SteadyLoad.Answer> answers)
    {
        var failed = answers.Where(a => a.Status != HttpStatusCode.OK).Select(a => $"{(int)a.Status} {a.Body}").ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {answers.Count} requests failed; first: {failed.FirstOrDefault()}");
        Assert.All(answers, a => Assert.NotEmpty(a.Models));
    }

    static async Task<string?> StatusAsync(HttpClient client, string id) =>
        JsonDocument.Parse(await client.GetStringAsync($"/models/{id}")).RootElement.GetProperty("status").GetString();
}
