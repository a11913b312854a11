using System.Diagnostics;
using System.Globalization;

namespace CamService.Hosting;

/// <summary>
/// Where a request's time went, in milliseconds, sent as a Server-Timing header (W3C Server Timing) so that a
/// benchmark or a browser's network panel can tell reading, decoding, explaining and writing apart. A lap is the
/// wall time since the previous one; a total (each model's inference, each picture's drawing) sums work that ran
/// side by side within a lap, so it may exceed it.
/// </summary>
public sealed class ServerTiming
{
    public const string Header = "Server-Timing";

    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly List<(string Name, double Ms)> entries = [];

    /// <summary>Records the wall time since the last lap (or the start) under <paramref name="name"/>.</summary>
    public void Lap(string name)
    {
        entries.Add((name, clock.Elapsed.TotalMilliseconds));
        clock.Restart();
    }

    /// <summary>Records a duration measured elsewhere, such as a sum over the models.</summary>
    public void Add(string name, double ms) => entries.Add((name, ms));

    /// <summary>Sets the header on <paramref name="response"/>; call before its first byte is sent.</summary>
    public void WriteTo(HttpResponse response) => response.Headers[Header] = ToString();

    /// <summary>The header's value: "read;dur=0.4, decode;dur=3.1, …".</summary>
    public override string ToString() =>
        string.Join(", ", entries.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Name};dur={e.Ms:F1}")));
}
