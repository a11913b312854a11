using CamService.Models;
using CamService.Onnx.CamReady;
using CamService.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Browser.Tests;

/// <summary>
/// The real service, page included, listening on a free loopback port (Kestrel, in process) over
/// a temporary models folder: three ready colour classifiers of different sizes (the 48-pixel one
/// with random weights, so "untrained") and a broken file that fails to load.
/// </summary>
public sealed class PageServer : WebApplicationFactory<Program>
{
    /// <summary>The ready models in the order GET /models lists them (by file name).</summary>
    public static readonly string[] ReadyModels = ["colour32", "colour48", "colour64"];

    public const string UntrainedModel = "colour48";

    public const string BrokenModel = "broken";

    readonly string modelsDirectory = Path.Combine(Path.GetTempPath(), $"camservice-page-{Guid.NewGuid():N}");

    public PageServer()
    {
        Directory.CreateDirectory(modelsDirectory);
        TestModels.WriteCamReady(modelsDirectory, "colour32", 32, family: "SmallNet");
        TestModels.WriteCamReady(modelsDirectory, "colour48", 48, family: "MiddleNet", weights: WeightsKind.Random);
        TestModels.WriteCamReady(modelsDirectory, "colour64", 64, family: "LargeNet");
        TestModels.WriteBroken(modelsDirectory, BrokenModel);
        UseKestrel(0);
    }

    /// <summary>Where the page is served, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address => ClientOptions.BaseAddress;

    /// <summary>Starts listening and waits until every model has loaded or failed.</summary>
    public async Task StartAsync()
    {
        StartServer();
        await Services.GetRequiredService<ModelRegistry>().Loaded.WaitAsync(TimeSpan.FromMinutes(1));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Models:Directory", modelsDirectory);
        builder.UseSetting("Models:WarmupRuns", "1");
        // The page asks for each cell on its own; these tests are about the page, not about
        // admission control, so every cell of a grid finds a place in the queue.
        builder.UseSetting("Cam:QueueLimit", "64");
        // A line per request would bury the test results.
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(modelsDirectory, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans its temporary folder.
        }
    }
}
