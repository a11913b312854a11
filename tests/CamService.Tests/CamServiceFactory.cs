using CamService.Cam;
using CamService.Models;
using CamService.Onnx.CamReady;
using CamService.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Tests;

/// <summary>
/// The service over a models folder of small colour classifiers: two CAM-ready ones (32 and 48
/// pixels, the second with random weights), a plain one the service prepares at start-up, and a
/// broken file that must fail alone.
/// </summary>
public class CamServiceFactory : WebApplicationFactory<Program>
{
    readonly Dictionary<string, string?> settings;

    public CamServiceFactory() : this(new Dictionary<string, string?>())
    {
    }

    /// <param name="settings">Configuration on top of the test defaults.</param>
    /// <param name="writeModels">Writes further models into the models folder.</param>
    protected CamServiceFactory(Dictionary<string, string?> settings, Action<string>? writeModels = null)
    {
        ModelsDirectory = Path.Combine(Path.GetTempPath(), $"camservice-models-{Guid.NewGuid():N}");
        Directory.CreateDirectory(ModelsDirectory);
        TestModels.WriteCamReady(ModelsDirectory, "colour32", 32);
        TestModels.WriteCamReady(ModelsDirectory, "colour48", 48, family: "OtherNet", weights: WeightsKind.Random);
        TestModels.WritePlain(ModelsDirectory, "plain32", 32);
        TestModels.WriteBroken(ModelsDirectory, "broken");
        writeModels?.Invoke(ModelsDirectory);
        this.settings = settings;
    }

    public string ModelsDirectory { get; }

    public static readonly string[] ReadyModels = ["colour32", "colour48", "plain32"];

    /// <summary>A client whose models have all finished loading and warmed up (a generous wait: CI runs heavy test classes beside this one).</summary>
    public async Task<HttpClient> ReadyClientAsync()
    {
        var client = CreateClient();
        await Services.GetRequiredService<ModelRegistry>().Loaded.WaitAsync(Wait.ForModels);
        // Ready, as /health/ready says, once the explanation path is warm too.
        await Services.GetRequiredService<CamWarmUp>().Done.WaitAsync(Wait.ForModels);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Models:Directory", ModelsDirectory);
        builder.UseSetting("Models:WarmupRuns", "1");
        // Models serve on the first guess unless a test measures them: a sweep after readiness would swap sessions mid-test.
        builder.UseSetting("Inference:MeasureThreads", "false");
        // Room in the queue for the tests that send many requests at once; the admission tests set their own limits.
        builder.UseSetting("Cam:QueueLimit", "64");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(ModelsDirectory, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans its temporary folder.
        }
    }
}

/// <summary>The same service with other settings (limits, device) and, if asked, more models.</summary>
public sealed class ConfiguredFactory(Dictionary<string, string?> settings, Action<string>? writeModels = null) : CamServiceFactory(settings, writeModels);
