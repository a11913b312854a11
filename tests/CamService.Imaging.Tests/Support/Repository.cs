using CamService.Testing;

namespace CamService.Imaging.Tests.Support;

/// <summary>Where the sample photos are.</summary>
public static class Repository
{
    static readonly Lazy<string> SamplesFolder = new(FetchSamples);

    /// <summary>
    /// The CC0 sample photos (chelsea.png, coffee.png, astronaut.png, rocket.jpg): $CAMSERVICE_SAMPLES when set,
    /// else fetched once by scripts/fetch-sample-images.sh into the git-ignored .cache/samples.
    /// </summary>
    public static string Samples => SamplesFolder.Value;

    public static string Sample(string name) => Path.Combine(Samples, name);

    static string FetchSamples()
    {
        if (Environment.GetEnvironmentVariable("CAMSERVICE_SAMPLES") is { Length: > 0 } folder)
        {
            return folder;
        }
        return Programs.Run("bash", [RepositoryFolder.PathOf("scripts", "fetch-sample-images.sh"), RepositoryFolder.PathOf(".cache", "samples")])
            .Expect().Output.Trim();
    }
}
