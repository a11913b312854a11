using System.Diagnostics;

namespace CamService.Onnx.Tests.Support;

/// <summary>Paths and tools of the repository the tests run in.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>Python with torch and torchvision: $CAMSERVICE_PYTHON, else Debian's /usr/bin/python3.</summary>
    public static string Python => Environment.GetEnvironmentVariable("CAMSERVICE_PYTHON")
        ?? (File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");

    /// <summary>The command line tool as built beside the tests.</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "camservice.dll");

    /// <summary>Runs a process to completion; fails the test with its output when it fails.</summary>
    public static string Run(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, int expectedExitCode = 0)
    {
        var (exitCode, output) = RunCapture(fileName, arguments, environment);
        Assert.True(exitCode == expectedExitCode, $"{fileName} {string.Join(" ", arguments)} exited {exitCode}:\n{output}");
        return output;
    }

    public static (int ExitCode, string Output) RunCapture(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs the camservice command line tool.</summary>
    public static (int ExitCode, string Output) Cli(params string[] arguments) => RunCapture("dotnet", arguments.Prepend(CliDll));

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CamService.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("The tests do not run inside the CamService repository.");
    }
}

/// <summary>A temporary folder removed when disposed.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory(string prefix = "camservice-tests")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open in another test's session; the OS cleans temporary files.
        }
    }
}
