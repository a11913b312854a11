using System.Diagnostics;
using System.Text;
using CamService.Testing;
using Xunit.Abstractions;

namespace CamService.Container.Tests;

/// <summary>
/// docker/Dockerfile's CPU image, built and run as a deployment would run it, by
/// tests/container/test-image.sh (its header says what it checks). Where no Docker engine can run,
/// the test is skipped with the script's reason, never passed; its figures are in the output.
/// </summary>
public sealed class ContainerTests(ITestOutputHelper output)
{
    /// <summary>The script's exit status for "cannot run here" (automake's convention).</summary>
    const int Skipped = 77;

    /// <summary>A fresh machine builds the stand-in base images and the image from nothing.</summary>
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(45);

    [SkippableFact]
    public void CpuImage_BuildsAndServesHealthy_AsNonRoot_ExplainsAPhoto_AndStopsCleanlyOnSigterm()
    {
        var (status, log) = RunScript(RepositoryFolder.PathOf("tests", "container", "test-image.sh"));
        output.WriteLine(log);

        var lines = log.Split('\n', StringSplitOptions.TrimEntries);
        const string skipped = "SKIPPED: ";
        Skip.If(status == Skipped, lines.LastOrDefault(l => l.StartsWith(skipped, StringComparison.Ordinal))?[skipped.Length..] ?? "test-image.sh skipped");
        Assert.True(status == 0, $"test-image.sh exited with {status}:\n{string.Join('\n', lines.TakeLast(40))}");
    }

    /// <summary>Runs a bash script to completion; its standard output and error, interleaved as written.</summary>
    static (int Status, string Log) RunScript(string script)
    {
        var start = new ProcessStartInfo("bash")
        {
            ArgumentList = { script },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryFolder.Root,
        };
        var log = new StringBuilder();
        using var process = new Process { StartInfo = start };
        DataReceivedEventHandler append = (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (log)
                {
                    log.AppendLine(e.Data);
                }
            }
        };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (log)
            {
                log.AppendLine($"test-image.sh did not finish within {Limit.TotalMinutes} minutes and was stopped.");
            }
            return (-1, log.ToString());
        }
        process.WaitForExit();
        lock (log)
        {
            return (process.ExitCode, log.ToString());
        }
    }
}
