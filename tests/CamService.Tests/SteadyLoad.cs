using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using CamService.Testing;

namespace CamService.Tests;

/// <summary>
/// Clients that POST /cam back to back until stopped, each answer kept with the phase it was sent in: 0 before a
/// change of the models, 1 once the test marks the change done. Waits are on answers counted, never on time.
/// </summary>
public sealed class SteadyLoad
{
    readonly HttpClient client;
    readonly (string Name, string Value)[] fields;
    readonly ConcurrentQueue<Answer> answers = new();
    readonly int[][] counts;
    readonly TaskCompletionSource running = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly List<Task> loops;
    volatile bool stopping;
    volatile int phase;

    /// <summary>One answer: the phase it was sent in, its status, and the models that answered (empty unless 200).</summary>
    public sealed record Answer(int Phase, HttpStatusCode Status, string Body, IReadOnlyList<string> Models, float TopProbability);

    SteadyLoad(HttpClient client, int clients, (string Name, string Value)[] fields)
    {
        this.client = client;
        this.fields = fields;
        counts = Enumerable.Range(0, clients).Select(_ => new int[2]).ToArray();
        loops = Enumerable.Range(0, clients).Select(i => Task.Run(() => LoopAsync(i))).ToList();
    }

    public static SteadyLoad Start(HttpClient client, int clients, params (string Name, string Value)[] fields) => new(client, clients, fields);

    /// <summary>Completes once every client has had an answer.</summary>
    public Task Running => running.Task;

    /// <summary>Completes once every client has had two answers to requests sent after <see cref="MarkChanged"/>.</summary>
    public Task AnsweredAfterChange => changed.Task;

    public void MarkChanged() => phase = 1;

    /// <summary>The answers received so far.</summary>
    public IReadOnlyList<Answer> AnswersSoFar => answers.ToList();

    /// <summary>Stops the clients (each finishes the request it has in flight) and returns every answer.</summary>
    public async Task<IReadOnlyList<Answer>> StopAsync()
    {
        stopping = true;
        await Task.WhenAll(loops);
        return answers.ToList();
    }

    async Task LoopAsync(int index)
    {
        var photo = TestImages.RedTopLeftPng(64);
        while (!stopping)
        {
            var sentIn = phase;
            using var response = await client.PostAsync("/cam", Api.Form(photo, fields: fields));
            var body = await response.Content.ReadAsStringAsync();
            answers.Enqueue(Read(sentIn, response.StatusCode, body));
            lock (counts)
            {
                counts[index][sentIn]++;
                if (counts.All(c => c[0] + c[1] > 0))
                {
                    running.TrySetResult();
                }
                if (counts.All(c => c[1] >= 2))
                {
                    changed.TrySetResult();
                }
            }
        }
    }

    static Answer Read(int phase, HttpStatusCode status, string body)
    {
        if (status != HttpStatusCode.OK)
        {
            return new Answer(phase, status, body, [], float.NaN);
        }
        var results = JsonDocument.Parse(body).RootElement.GetProperty("results").EnumerateArray().ToList();
        return new Answer(phase, status, body, results.Select(r => r.GetProperty("model").GetString()!).ToList(),
            results[0].GetProperty("predictions")[0].GetProperty("probability").GetSingle());
    }
}
