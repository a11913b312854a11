using System.Globalization;

namespace CamService.Load;

/// <summary>
/// Samples a process's resident set size (VmRSS in /proc/PID/status) every 50 ms on a background task
/// and keeps the peak, so a short spike between two reports is still seen.
/// </summary>
internal sealed class RssSampler
{
    readonly int pid;
    readonly CancellationTokenSource stop = new();
    readonly Task sampling;
    long peakBytes;

    RssSampler(int pid)
    {
        this.pid = pid;
        peakBytes = Read(pid);
        sampling = SampleAsync();
    }

    /// <summary>The highest resident set size seen, in bytes; final once <see cref="StopAsync"/> returned.</summary>
    public long PeakBytes => peakBytes;

    public static RssSampler Start(int pid) => new(pid);

    /// <summary>The process's resident set size now, in bytes.</summary>
    public static long Read(int pid)
    {
        IEnumerable<string> lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InvalidOperationException($"no process {pid}", e);
        }
        // "VmRSS:     123456 kB"; a process that has ended but is not reaped yet has no such line.
        var line = lines.FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"process {pid} has ended");
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Stops sampling; a process that vanished while it was sampled fails here.</summary>
    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await sampling;
        stop.Dispose();
    }

    async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                peakBytes = Math.Max(peakBytes, Read(pid));
            }
        }
        catch (OperationCanceledException)
        {
            // StopAsync ended the sampling.
        }
    }
}
