using System.Text.Json;
using CamService.Imaging;
using Microsoft.Extensions.DependencyInjection;

namespace CamService.Fuzzing;

/// <summary>
/// One of POST /cam's body readers (multipart/form-data or JSON), through the real HTTP pipeline in-process. Every
/// input must be answered 200, or 4xx as application/problem+json carrying a traceId. A 5xx, another 4xx body,
/// or an exception out of the pipeline is a finding.
/// </summary>
public sealed class RequestTarget(string name, FuzzFormat format, HttpClient client, ImageLoader serviceLoader, SeedImages images) : FuzzTarget
{
    /// <summary>The images requests carry: the smaller half of the seeds, so that an accepted request stays cheap.</summary>
    readonly IReadOnlyList<byte[]> seeds = images.All.Take(images.All.Count / 2).ToList();

    public override string Name { get; } = name;

    /// <summary>Both readers of <paramref name="host"/>'s POST /cam, sent through <paramref name="client"/>.</summary>
    public static IReadOnlyList<RequestTarget> All(FuzzHost host, HttpClient client, SeedImages images)
    {
        var loader = host.Services.GetRequiredService<ImageLoader>();
        return
        [
            new("multipart", FuzzFormat.Multipart, client, loader, images),
            new("json", FuzzFormat.Json, client, loader, images),
        ];
    }

    public override void ReleaseRetainedMemory() => serviceLoader.ReleaseRetainedMemory();

    public override byte[] Input(Random random, List<string>? log = null) => RequestInputs.Create(random, format, seeds, log);

    public override FuzzOutcome Run(byte[] input)
    {
        var (contentType, body) = RequestInputs.Split(input);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/cam") { Content = new ByteArrayContent(body) };
        if (!request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType))
        {
            request.Content.Headers.ContentType = null;
        }
        HttpResponseMessage response;
        try
        {
            // TestServer answers only asynchronously; the campaign sends one request at a time.
            response = client.SendAsync(request).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            return FuzzOutcome.Found($"the pipeline threw {e.GetType().FullName}: {e.Message}");
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (status == 200)
            {
                return new("200");
            }
            if (status is < 400 or >= 500)
            {
                return FuzzOutcome.Found($"{status}: {Shorten(text)}");
            }
            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                return FuzzOutcome.Found($"{status} as {response.Content.Headers.ContentType}: {Shorten(text)}");
            }
            using var problem = JsonDocument.Parse(text);
            return problem.RootElement.TryGetProperty("traceId", out _)
                ? new(status.ToString(System.Globalization.CultureInfo.InvariantCulture))
                : FuzzOutcome.Found($"{status} without a traceId: {Shorten(text)}");
        }
    }

    static string Shorten(string text) => text.Length > 400 ? text[..400] + "…" : text;
}
