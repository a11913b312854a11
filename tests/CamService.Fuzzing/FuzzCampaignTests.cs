namespace CamService.Fuzzing;

/// <summary>The seeds, and the service in-process over the tiny model, shared by the short campaign's targets.</summary>
public sealed class FuzzFixture : IDisposable
{
    readonly FuzzHost host = new();
    readonly HttpClient client;

    public FuzzFixture()
    {
        Images = SeedImages.Create();
        client = host.ReadyClient();
        Targets = [.. DecoderTarget.All(Images), .. RequestTarget.All(host, client, Images)];
    }

    public SeedImages Images { get; }

    public IReadOnlyList<FuzzTarget> Targets { get; }

    public FuzzTarget Target(string name) => Targets.Single(t => t.Name == name);

    public void Dispose()
    {
        client.Dispose();
        host.Dispose();
    }
}

/// <summary>
/// The short run of the fuzz campaign, in every test run: a few thousand inputs per target from a fixed seed, so the
/// same inputs every time. Every one must decode or be refused as bad input; every request must be answered 200 or
/// 4xx problem+json. (The long run, with its memory figures, is scripts/fuzz.sh; docs/decoding.md has its results.)
/// </summary>
public sealed class FuzzCampaignTests(FuzzFixture fixture) : IClassFixture<FuzzFixture>
{
    const int Seed = 20;

    public static TheoryData<string, int> ShortRuns => new()
    {
        { "jpeg-managed", 3000 },
        { "jpeg-native", 3000 },
        { "png", 3000 },
        { "webp", 3000 },
        { "multipart", 2000 },
        { "json", 2000 },
    };

    [Theory]
    [MemberData(nameof(ShortRuns))]
    public void ShortCampaign_FindsNothing(string target, int inputs)
    {
        var report = new Campaign([fixture.Target(target)], Seed, inputs).Run().Targets.Single();

        Assert.True(report.Findings == 0, $"{report.Findings} findings, e.g. " +
            string.Join("\n", report.Examples.Take(5).Select(f => $"#{f.Index}: {f.What}")) + $"\n(reproduce: scripts/fuzz.sh --seed {Seed} --reproduce {target}:INDEX)");
        // The campaign reaches past the refusals: some inputs are decoded or explained, some refused.
        Assert.True(report.Outcomes.Count >= 2, string.Join(", ", report.Outcomes));
    }

    [Fact]
    public void Inputs_AreTheSameEveryTime_AndDifferFromEachOther()
    {
        foreach (var target in fixture.Targets)
        {
            Assert.Equal(target.Input(Seed, 123), target.Input(Seed, 123));
            Assert.NotEqual(target.Input(Seed, 123), target.Input(Seed, 124));
        }
    }

    [Fact]
    public void EverySeedImage_Decodes()
    {
        foreach (var target in fixture.Targets.OfType<DecoderTarget>())
        {
            var format = target.Name.StartsWith("jpeg", StringComparison.Ordinal) ? FuzzFormat.Jpeg : Enum.Parse<FuzzFormat>(target.Name, ignoreCase: true);
            foreach (var seed in fixture.Images.Of(format))
            {
                Assert.Equal("decoded", target.Run(seed).Label);
            }
        }
    }
}
