using CamService.Testing;

namespace CamService.Imaging.Tests.Support;

/// <summary>Where the sample photos are.</summary>
public static class Repository
{
    /// <summary>The CC0 sample photos' folder (<see cref="SamplePhotos"/>).</summary>
    public static string Samples => SamplePhotos.Directory;

    public static string Sample(string name) => SamplePhotos.PathOf(name);
}
