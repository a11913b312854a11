using System.Diagnostics;

namespace CamService.Imaging.Tests.Support;

/// <summary>Where the repository, Python and the sample photos are.</summary>
public static class Repository
{
    static readonly Lazy<string> SamplesFolder = new(FetchSamples);

    public static string Root { get; } = FindRoot();

    /// <summary>Python with torchvision and PIL: $CAMSERVICE_PYTHON, else Debian's /usr/bin/python3.</summary>
    public static string Python => Environment.GetEnvironmentVariable("CAMSERVICE_PYTHON") is { Length: > 0 } python ? python : "/usr/bin/python3";

    /// <summary>
    /// The CC0 sample photos (chelsea.png, coffee.png, astronaut.png, rocket.jpg): $CAMSERVICE_SAMPLES when set,
    /// else fetched once by scripts/fetch-sample-images.sh into the git-ignored .cache/samples.
    /// </summary>
    public static string Samples => SamplesFolder.Value;

    public static string Sample(string name) => Path.Combine(Samples, name);

    /// <summary>Runs a program to completion; fails the test with its output when it exits non-zero.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {program}.");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{stdout}\n{stderr.Result}");
        }
        return stdout;
    }

    static string FetchSamples()
    {
        if (Environment.GetEnvironmentVariable("CAMSERVICE_SAMPLES") is { Length: > 0 } folder)
        {
            return folder;
        }
        return Run("bash", Path.Combine(Root, "scripts", "fetch-sample-images.sh"), Path.Combine(Root, ".cache", "samples")).Trim();
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CamService.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("CamService.sln not found above the test binaries.");
    }
}
