using CamService.Testing;

namespace CamService.Browser.Tests;

/// <summary>Files the tests leave for people to look at, under the repository's artifacts/ folder (git-ignored).</summary>
public static class Artifacts
{
    static readonly string Root = RepositoryFolder.PathOf("artifacts");

    public static string PathOf(params string[] parts)
    {
        var path = Path.Combine([Root, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }
}
