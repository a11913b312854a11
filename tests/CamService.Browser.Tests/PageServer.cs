using CamService.Inference.Methods;
using CamService.Models;
using CamService.Onnx.CamReady;
using CamService.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Browser.Tests;

/// <summary>
/// The real service, page included, listening on a free loopback port (Kestrel, in process) over
/// a temporary models folder: three ready colour classifiers of different sizes (the 48-pixel one
/// with random weights, so "untrained") and a broken file that fails to load. Beside the registered
/// CAM methods it serves <see cref="MeanActivationCam"/>, so that the page always has two methods to compare.
/// </summary>
public sealed class PageServer : WebApplicationFactory<Program>
{
    /// <summary>The ready models in the order GET /models lists them (by file name).</summary>
    public static readonly string[] ReadyModels = ["colour32", "colour48", "colour64"];

    public const string UntrainedModel = "colour48";

    public const string BrokenModel = "broken";

    /// <summary>colour64's published top-1 accuracy: it alone has pretrained weights.</summary>
    public const double PublishedTop1 = 77.7;

    /// <summary>The methods the service offers, in GET /methods order.</summary>
    public static readonly CamMethods Methods = new([.. CamMethods.Default.All, new MeanActivationCam()]);

    readonly string modelsDirectory = Path.Combine(Path.GetTempPath(), $"camservice-page-{Guid.NewGuid():N}");
    readonly Dictionary<string, string?> settings;

    /// <param name="settings">Configuration on top of the page tests' own (keys, say).</param>
    public PageServer(Dictionary<string, string?>? settings = null)
    {
        this.settings = settings ?? [];
        Directory.CreateDirectory(modelsDirectory);
        TestModels.WriteCamReady(modelsDirectory, "colour32", 32, family: "SmallNet");
        TestModels.WriteCamReady(modelsDirectory, "colour48", 48, family: "MiddleNet", weights: WeightsKind.Random);
        TestModels.SetPublishedAccuracy(TestModels.WriteCamReady(modelsDirectory, "colour64", 64, family: "LargeNet"), WeightsKind.Pretrained,
            PublishedTop1, 93.5);
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
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services => services.AddSingleton(Methods));
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

/// <summary>A test method, one pass without gradients: the activations' mean over channels.</summary>
public sealed class MeanActivationCam : CamMethod
{
    public const string Id = "meancam";

    public override string Name => Id;

    public override string Description => "Test method: the mean of the target layer's activations over channels.";

    public override bool UsesGradients => false;

    public override void Compute(in CamContext context, Span<float> map)
    {
        map.Clear();
        for (var k = 0; k < context.Channels; k++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(map, context.ActivationChannel(k), map);
        }
        System.Numerics.Tensors.TensorPrimitives.Divide(map, context.Channels, map);
    }
}
