using System.Text.Json;
using System.Text.Json.Serialization;
using CamService.Cam;
using CamService.Testing;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Tests;

/// <summary>A failure while the answer is put together is a whole problem+json, never a 200 cut off mid-body.</summary>
public sealed class CompleteAnswerTests
{
    [Fact]
    public async Task FailureWhileWritingTheAnswer_IsACompleteProblem_NotATruncated200()
    {
        using var factory = new CamServiceFactory().WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.Configure<JsonOptions>(options => options.SerializerOptions.Converters.Add(new FailingOn("colour48")))));
        var client = factory.CreateClient();
        await factory.Services.GetRequiredService<Models.ModelRegistry>().Loaded;

        // colour32's PNGs of a noisy photo come first: far more than a serializer's buffer
        // (the old streaming writer had sent them, and a 200, before colour48 failed).
        using var photo = TestImages.Noise(400, 400);
        using var response = await client.PostAsync("/cam", Api.Form(TestImages.Png(photo), fields: ("models", "colour32,colour48")));
        var problem = await Api.ProblemAsync(response, 500);
        Assert.Equal(response.Content.Headers.ContentLength, (await response.Content.ReadAsByteArrayAsync()).Length);
        Assert.False(problem.TryGetProperty("results", out _));
    }

    [Fact]
    public async Task Answer_HasItsLengthUpFront()
    {
        using var factory = new CamServiceFactory();
        var client = await factory.ReadyClientAsync();
        using var response = await client.PostAsync("/cam", Api.Form(TestImages.RedTopLeftPng(), fields: ("models", "colour32,colour48")));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, JsonDocument.Parse(body).RootElement.GetProperty("results").GetArrayLength());
    }

    /// <summary>Writes results as usual, but throws on one model's: a bug or a fault in result assembly.</summary>
    sealed class FailingOn(string model) : JsonConverter<CamResult>
    {
        static readonly JsonSerializerOptions Plain = new(JsonSerializerDefaults.Web);

        public override CamResult Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, CamResult value, JsonSerializerOptions options)
        {
            if (value.Model == model)
            {
                throw new InvalidOperationException($"Injected failure while writing {model}'s result.");
            }
            JsonSerializer.Serialize(writer, value, Plain);
        }
    }
}
