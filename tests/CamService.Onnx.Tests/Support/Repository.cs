using CamService.Testing;

namespace CamService.Onnx.Tests.Support;

/// <summary>
/// The repository's paths and programs as these tests name them; the finding and running is
/// <see cref="RepositoryFolder"/>'s and <see cref="Programs"/>', shared by every test project.
/// </summary>
public static class Repository
{
    public static string Root => RepositoryFolder.Root;

    public static string Python => Programs.Python;

    /// <summary>The command line tool as built beside the tests.</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "camservice.dll");

    /// <summary>Runs a process to completion; fails the test with its output when it exits otherwise.</summary>
    public static string Run(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, int expectedExitCode = 0) =>
        Programs.Run(fileName, arguments, environment).Expect(expectedExitCode).AllOutput;

    /// <summary>Runs the camservice command line tool; its exit code and both streams.</summary>
    public static (int ExitCode, string Output) Cli(params string[] arguments)
    {
        var run = Programs.Run("dotnet", arguments.Prepend(CliDll));
        return (run.ExitCode, run.AllOutput);
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
