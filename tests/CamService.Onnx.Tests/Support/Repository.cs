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

    /// <summary>Runs a process to completion; fails the test with its output when it exits otherwise.</summary>
    public static string Run(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, int expectedExitCode = 0) =>
        Programs.Run(fileName, arguments, environment).Expect(expectedExitCode).AllOutput;
}
