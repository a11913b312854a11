using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CamService.Testing;
using Google.Protobuf;

namespace CamService.Tests;

/// <summary>
/// PUT, POST .../reload and DELETE /models/{id}: off unless enabled, under the write API's access rules, ids that
/// stay file names, limits and failures as problems, and the folder changed with the service.
/// </summary>
public sealed class ModelManagementTests
{
    static ConfiguredFactory Factory(bool enabled = true, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Models:WatchFolder"] = "false",
            ["Models:Management:Enabled"] = enabled ? "true" : "false",
            ["Models:Management:MaxUploadMegabytes"] = "1",
            ["Inference:Threads"] = "1",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }
        return new ConfiguredFactory(settings);
    }

    static ByteArrayContent Model(float logitScale = 1) => Body(TestModels.ColourClassifier(32, logitScale: logitScale).ToByteArray());

    static ByteArrayContent Body(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    [Fact]
    public async Task Management_IsOffUnlessEnabled()
    {
        using var factory = Factory(enabled: false);
        var client = await factory.ReadyClientAsync();

        await Api.ProblemAsync(await client.PutAsync("/models/pushed", Model()), 403);
        await Api.ProblemAsync(await client.DeleteAsync("/models/colour32"), 403);
        await Api.ProblemAsync(await client.PostAsync("/models/colour32/reload", null), 403);
        Assert.False(File.Exists(Path.Combine(factory.ModelsDirectory, "pushed.onnx")));
        Assert.True(File.Exists(Path.Combine(factory.ModelsDirectory, "colour32.onnx")));
    }

    [Fact]
    public async Task PutReplaceReloadDelete_ChangeTheFolderAndWhatIsServed()
    {
        using var factory = Factory();
        var client = await factory.ReadyClientAsync();
        var photo = TestImages.RedTopLeftPng(64);

        using var created = await client.PutAsync("/models/pushed", Model());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/models/pushed", created.Headers.Location?.OriginalString);
        Assert.Equal("ready", JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        Assert.True(File.Exists(Path.Combine(factory.ModelsDirectory, "pushed.onnx")));
        var before = (await client.CamAsync(photo, ("models", "pushed"))).Results[0].Predictions[0].Probability;

        using var replaced = await client.PutAsync("/models/pushed", Model(logitScale: 5));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var after = (await client.CamAsync(photo, ("models", "pushed"))).Results[0].Predictions[0].Probability;
        Assert.True(after > before + 0.01f, $"{after} after the replacement, {before} before");

        using var reloaded = await client.PostAsync("/models/pushed/reload", null);
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);

        using var deleted = await client.DeleteAsync("/models/pushed");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.False(File.Exists(Path.Combine(factory.ModelsDirectory, "pushed.onnx")));
        await Api.ProblemAsync(await client.GetAsync("/models/pushed"), 404);
        await Api.ProblemAsync(await client.PostAsync("/cam", Api.Form(photo, fields: ("models", "pushed"))), 404);
        await Api.ProblemAsync(await client.DeleteAsync("/models/pushed"), 404);
        await Api.ProblemAsync(await client.PostAsync("/models/pushed/reload", null), 404);
        // Nothing staged is left behind.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(factory.ModelsDirectory, ".uploads"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task AModelThatFailsToLoad_Is422_AndChangesNothing()
    {
        using var factory = Factory();
        var client = await factory.ReadyClientAsync();

        var problem = await Api.ProblemAsync(await client.PutAsync("/models/colour32", Body("not a model"u8.ToArray())), 422);
        Assert.Contains("colour32", problem.GetProperty("detail").GetString());
        await Api.ProblemAsync(await client.PutAsync("/models/junk", Body("not a model"u8.ToArray())), 422);

        Assert.False(File.Exists(Path.Combine(factory.ModelsDirectory, "junk.onnx")));
        await Api.ProblemAsync(await client.GetAsync("/models/junk"), 404);
        Assert.Equal("colour32", (await client.CamAsync(TestImages.RedTopLeftPng(64), ("models", "colour32"))).Results[0].Model);
    }

    [Theory]
    [InlineData(".hidden")]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("a%20b")]
    [InlineData("x%5Cy")]
    public async Task AnIdThatIsNotAPlainFileName_Is400(string id)
    {
        using var factory = Factory();
        var client = factory.CreateClient();

        var problem = await Api.ProblemAsync(await client.PutAsync($"/models/{id}", Model()), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("id", out _));
        Assert.Equal(["broken.onnx", "colour32.onnx", "colour48.onnx", "plain32.onnx"],
            Directory.EnumerateFiles(factory.ModelsDirectory, "*.onnx").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ABodyOverTheLimit_Is413_AndAnEmptyOne400()
    {
        using var factory = Factory();
        var client = factory.CreateClient();

        await Api.ProblemAsync(await client.PutAsync("/models/big", Body(new byte[1024 * 1024 + 1])), 413);
        await Api.ProblemAsync(await client.PutAsync("/models/empty", Body([])), 400);
        Assert.False(File.Exists(Path.Combine(factory.ModelsDirectory, "big.onnx")));
    }

    [Fact]
    public async Task WithAccessOn_WritingAModelNeedsAKey()
    {
        using var factory = Factory(true, ("Auth:Enabled", "true"), ("Auth:ApiKeys:0:Name", "alice"), ("Auth:ApiKeys:0:Sha256", AuthTests.Sha256(AuthTests.AliceKey)));
        var client = await factory.ReadyClientAsync();

        await Api.ProblemAsync(await client.PutAsync("/models/pushed", Model()), 401);
        await Api.ProblemAsync(await client.DeleteAsync("/models/colour32"), 401);

        client.DefaultRequestHeaders.Add("X-Api-Key", AuthTests.AliceKey);
        using var created = await client.PutAsync("/models/pushed", Model());
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }
}
