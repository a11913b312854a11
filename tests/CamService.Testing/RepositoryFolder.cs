namespace CamService.Testing;

/// <summary>The root of the CamService repository the tests run in (the folder with CamService.sln).</summary>
public static class RepositoryFolder
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CamService.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No CamService.sln above {AppContext.BaseDirectory}: the tests run outside the repository.");
    }
}
