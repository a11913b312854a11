namespace CamService.Browser.Tests;

/// <summary>Files the tests leave for people to look at, under the repository's artifacts/ folder (git-ignored).</summary>
public static class Artifacts
{
    static readonly string Root = Path.Combine(RepositoryRoot(), "artifacts");

    public static string PathOf(params string[] parts)
    {
        var path = Path.Combine([Root, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CamService.sln")))
            {
                return directory.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
