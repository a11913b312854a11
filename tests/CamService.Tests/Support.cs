using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CamService.Cam;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamService.Tests;

/// <summary>Requests and answers of POST /cam, as a client writes them.</summary>
public static class Api
{
    public static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    public static MultipartFormDataContent Form(byte[] image, string contentType = "image/png", params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(file, "image", "photo");
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }
        return form;
    }

    public static async Task<CamResponse> CamAsync(this HttpClient client, byte[] image, params (string Name, string Value)[] fields)
    {
        using var response = await client.PostAsync("/cam", Form(image, fields: fields));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST /cam answered {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<CamResponse>(body, Json)!;
    }

    /// <summary>Asserts an application/problem+json answer with the status, and returns its body.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }

    public static Image<Rgba32> Decode(byte[] png) => Image.Load<Rgba32>(png);
}
