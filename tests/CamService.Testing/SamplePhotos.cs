namespace CamService.Testing;

/// <summary>The CC0 sample photos (chelsea.png, coffee.png, astronaut.png, rocket.jpg) that tests and the fuzz campaign read.</summary>
public static class SamplePhotos
{
    static readonly Lazy<string> Folder = new(Fetch);

    /// <summary>$CAMSERVICE_SAMPLES when set, else fetched once by scripts/fetch-sample-images.sh into the git-ignored .cache/samples.</summary>
    public static string Directory => Folder.Value;

    public static string PathOf(string name) => Path.Combine(Directory, name);

    static string Fetch()
    {
        if (Environment.GetEnvironmentVariable("CAMSERVICE_SAMPLES") is { Length: > 0 } folder)
        {
            return folder;
        }
        return Programs.Run("bash", [RepositoryFolder.PathOf("scripts", "fetch-sample-images.sh"), RepositoryFolder.PathOf(".cache", "samples")])
            .Expect().Output.Trim();
    }
}
