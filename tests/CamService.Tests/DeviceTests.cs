using System.Net.Http.Json;
using CamService.Models;

namespace CamService.Tests;

/// <summary>
/// CUDA asked for on a machine (or build) without it must fail loudly: no model ready, the reason
/// in readiness and GET /models — unless CPU fallback is allowed explicitly.
/// </summary>
public sealed class DeviceTests
{
    [Fact]
    public async Task Cuda_WithoutCuda_FailsReadinessWithTheReason()
    {
        using var factory = new ConfiguredFactory(new() { ["Inference:Device"] = "cuda" });
        var client = await factory.ReadyClientAsync();

        var models = await client.GetFromJsonAsync<ModelDescription[]>("/models", Api.Json);
        Assert.All(models!, m => Assert.Equal("failed", m.Status));
        Assert.All(models!.Where(m => m.Id != "broken"), m => Assert.Contains("CUDA", m.Error));

        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("CUDA", await ready.Content.ReadAsStringAsync());

        await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(Testing.TestImages.RedTopLeftPng())), 503);
    }

    [Fact]
    public async Task Cuda_WithFallbackAllowed_ServesOnTheCpu_AndSaysSo()
    {
        using var factory = new ConfiguredFactory(new() { ["Inference:Device"] = "cuda", ["Inference:AllowCpuFallback"] = "true" });
        var client = await factory.ReadyClientAsync();
        var model = await client.GetFromJsonAsync<ModelDescription>("/models/colour32", Api.Json);
        Assert.Equal("ready", model!.Status);
        Assert.Equal("cpu (CUDA fallback)", model.Device);
    }
}
