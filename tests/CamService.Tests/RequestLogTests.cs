using CamService.Cam;
using CamService.Models;
using CamService.Testing;
using CamService.Traffic;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace CamService.Tests;

/// <summary>The request log records what the client got: a rejected upload is a 4xx in the log too, not a 500.</summary>
public sealed class RequestLogTests
{
    [Fact]
    public async Task RejectedUpload_IsLoggedWithItsProblemStatus()
    {
        var sink = new CollectingSink();
        using var factory = new CamServiceFactory().WithWebHostBuilder(builder =>
            builder.ConfigureTestServices(services => services.AddSingleton<ILogEventSink>(sink)));
        var client = factory.CreateClient();
        await factory.Services.GetRequiredService<Models.ModelRegistry>().Loaded;

        var png = TestImages.RedTopLeftPng(64);
        var corrupt = png[..(png.Length / 2)];
        await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(corrupt, fields: ("models", "colour32"))), 422);

        var request = sink.Events.Single(e => e.Properties.TryGetValue("RequestPath", out var path) && path.ToString() == "\"/cam\"" && e.Properties.ContainsKey("StatusCode"));
        Assert.Equal("422", request.Properties["StatusCode"].ToString());
        Assert.True(request.Level < LogEventLevel.Error);
    }

    [Fact]
    public async Task RefusalUnderLoad_IsAWarning_NotAnError()
    {
        var sink = new CollectingSink();
        using var factory = new ConfiguredFactory(new() { ["Cam:MaxConcurrentRequests"] = "1", ["Cam:QueueLimit"] = "0" }).WithWebHostBuilder(builder =>
            builder.ConfigureTestServices(services => services.AddSingleton<ILogEventSink>(sink)));
        await factory.Services.GetRequiredService<Models.ModelRegistry>().Loaded;
        var client = factory.Server.CreateClient();
        using (await factory.Services.GetRequiredService<ExplainAdmission>().EnterAsync(CancellationToken.None))
        {
            await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32"))), 503);
        }

        static bool Refused(LogEvent e) => e.Properties.TryGetValue("StatusCode", out var status) && status.ToString() == "503";
        // The log has the request once its answer is sent, which may be after the client has it.
        await Wait.Until(() => sink.Events.Any(Refused));
        var refusal = sink.Events.Single(Refused);
        Assert.Equal(LogEventLevel.Warning, refusal.Level);
    }

    [Fact]
    public async Task ScrapesAndPassingProbes_AreLeftOutOfTheLog()
    {
        var sink = new CollectingSink();
        using var factory = new CamServiceFactory().WithWebHostBuilder(builder =>
            builder.ConfigureTestServices(services => services.AddSingleton<ILogEventSink>(sink)));
        var client = factory.CreateClient();
        await factory.Services.GetRequiredService<ModelRegistry>().Loaded.WaitAsync(Wait.ForModels);
        // /health/ready passes once the explanation path is warm too.
        await factory.Services.GetRequiredService<CamWarmUp>().Done.WaitAsync(Wait.ForModels);

        (await client.GetAsync("/metrics")).EnsureSuccessStatusCode();
        (await client.GetAsync("/health/live")).EnsureSuccessStatusCode();
        (await client.GetAsync("/health/ready")).EnsureSuccessStatusCode();
        (await client.GetAsync("/models")).EnsureSuccessStatusCode();

        bool Logged(string path) => sink.Events.Any(e => e.Properties.TryGetValue("RequestPath", out var logged) && logged.ToString() == $"\"{path}\"");
        await Wait.Until(() => Logged("/models"));
        Assert.False(Logged("/metrics"));
        Assert.False(Logged("/health/live"));
        Assert.False(Logged("/health/ready"));
    }
}
