using CamService.Models;
using CamService.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Fuzzing;

/// <summary>
/// The whole service in-process, over one tiny model (colour32, 32 px), so that a request that gets through the
/// readers is explained in milliseconds. Only warnings and errors are logged: a 500 writes one.
/// </summary>
public sealed class FuzzHost : WebApplicationFactory<Program>
{
    readonly string modelsDirectory = Path.Combine(Path.GetTempPath(), $"camservice-fuzz-{Guid.NewGuid():N}");

    public FuzzHost()
    {
        Directory.CreateDirectory(modelsDirectory);
        TestModels.WriteCamReady(modelsDirectory, "colour32", 32);
    }

    /// <summary>A client of the service once its model has loaded.</summary>
    public HttpClient ReadyClient()
    {
        var client = CreateClient();
        Services.GetRequiredService<ModelRegistry>().Loaded.Wait(TimeSpan.FromMinutes(5));
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // The service's own folder, wherever the campaign is started from (the factory guesses it from the working directory).
        builder.UseContentRoot(RepositoryFolder.PathOf("src", "CamService"));
        builder.UseSetting("Models:Directory", modelsDirectory);
        builder.UseSetting("Models:WarmupRuns", "1");
        builder.UseSetting("Cam:MaxPixels", DecoderTarget.MaxPixels.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
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
