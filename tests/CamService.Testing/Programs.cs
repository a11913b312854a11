using System.Diagnostics;
using Xunit.Sdk;

namespace CamService.Testing;

/// <summary>How a program run to completion ended: its exit code and what it wrote on each stream.</summary>
public sealed record ProgramRun(string Command, int ExitCode, string Output, string Errors)
{
    /// <summary>Both streams, output first: what a failing test shows and what a terminal user would read.</summary>
    public string AllOutput => Output + Errors;

    /// <summary>This run, or a test failure with everything it wrote when it exited otherwise.</summary>
    public ProgramRun Expect(int exitCode = 0) => ExitCode == exitCode
        ? this
        : throw new XunitException($"{Command} exited with {ExitCode}, not {exitCode}:\n{AllOutput}");
}

/// <summary>The programs the tests run: Python for the torch and PIL references, the CLI, deployment tools.</summary>
public static class Programs
{
    /// <summary>Python with torch, torchvision and PIL: $CAMSERVICE_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH.</summary>
    public static string Python => Environment.GetEnvironmentVariable("CAMSERVICE_PYTHON") is { Length: > 0 } python
        ? python
        : File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>The camservice command line tool as built beside the tests of a project that references it.</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "camservice.dll");

    /// <summary>Runs the camservice command line tool (<see cref="CliDll"/>); its exit code and both streams.</summary>
    public static (int ExitCode, string Output) Cli(params string[] arguments)
    {
        var run = Run("dotnet", arguments.Prepend(CliDll));
        return (run.ExitCode, run.AllOutput);
    }

    /// <summary>
    /// Runs a program in the repository root to completion, reading both streams as it writes them (a full
    /// pipe would stall it); a program still running after <paramref name="timeout"/> (default 30 minutes) is killed.
    /// </summary>
    public static ProgramRun Run(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryFolder.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var command = string.Join(' ', start.ArgumentList.Prepend(fileName));
        using var process = Process.Start(start) ?? throw new XunitException($"Cannot start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? TimeSpan.FromMinutes(30);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new XunitException($"{command} did not finish in {limit.TotalMinutes:G3} minutes.");
        }
        return new ProgramRun(command, process.ExitCode, output.Result, errors.Result);
    }
}
