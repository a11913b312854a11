namespace CamService.Health;

/// <summary>
/// <c>dotnet CamService.dll --health-check URL</c>: asks a running service for URL (its /health/ready) and exits 0
/// on a 2xx answer, 1 on anything else or no answer (the two codes Docker gives a meaning), 64 (EX_USAGE) on a wrong command line. The container's HEALTHCHECK runs
/// it, so the image needs no curl. It starts no host and loads no model: a check costs the runtime's start only.
/// </summary>
public static class HealthCheckCommand
{
    public const string Flag = "--health-check";

    /// <summary>Under the Dockerfile's HEALTHCHECK --timeout of 5 s, so that a hung service is reported as such rather than killed.</summary>
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(4);

    public static bool IsRequested(string[] args) => args is [Flag, ..];

    public static async Task<int> RunAsync(string[] args, TextWriter log)
    {
        if (args is not [Flag, var address] || !Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            await log.WriteLineAsync($"Usage: dotnet CamService.dll {Flag} http://127.0.0.1:8080/health/ready");
            return 64;
        }
        // No proxy: the service is on this host, whatever HTTP_PROXY the container was given.
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout };
        try
        {
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead);
            if (response.IsSuccessStatusCode)
            {
                return 0;
            }
            await log.WriteLineAsync($"{uri} answered {(int)response.StatusCode}.");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await log.WriteLineAsync($"{uri} did not answer: {e.Message}");
        }
        return 1;
    }
}
