using CamService.Imaging;

namespace CamService.Fuzzing;

/// <summary>
/// One decoder as the service registers it, called in-process through <see cref="ImageLoader"/>: every input must
/// load, or end in one of the loader's three refusals (415, 413, 422 in the service). Anything else it throws —
/// and a crash of the process — is a finding.
/// </summary>
public sealed class DecoderTarget : FuzzTarget
{
    /// <summary>
    /// The pixel limit the decoders run under: lower than the service's 40 MP so that an input whose mutated
    /// header declares a large image costs milliseconds, while the limit check itself is exercised as often.
    /// </summary>
    public const long MaxPixels = 4_000_000;

    /// <summary>A hint the native decoder meets at a reduced scale, to reach libjpeg-turbo's DCT scaling.</summary>
    static readonly DecodeHint Reduced = new(LongSide: 24, ShortSide: 12);

    readonly ImageLoader loader;
    readonly FuzzFormat format;
    readonly IReadOnlyList<byte[]> seeds;

    DecoderTarget(string name, FuzzFormat format, bool nativeJpeg, SeedImages images)
    {
        Name = name;
        this.format = format;
        seeds = images.Of(format);
        loader = new ImageLoader(new ImageLimits { MaxPixels = MaxPixels, NativeJpeg = nativeJpeg, MaxPoolMegabytes = 16 });
    }

    public override string Name { get; }

    public override void ReleaseRetainedMemory() => loader.ReleaseRetainedMemory();

    /// <summary>Every decoder the service registers: JPEG through both of its decoders, PNG and WebP.</summary>
    public static IReadOnlyList<DecoderTarget> All(SeedImages images) =>
    [
        new("jpeg-managed", FuzzFormat.Jpeg, nativeJpeg: false, images),
        new("jpeg-native", FuzzFormat.Jpeg, nativeJpeg: true, images),
        new("png", FuzzFormat.Png, nativeJpeg: false, images),
        new("webp", FuzzFormat.Webp, nativeJpeg: false, images),
    ];

    public override byte[] Input(Random random, List<string>? log = null)
    {
        var seed = random.Next(seeds.Count);
        log?.Add($"seed {seed}");
        return Mutator.Mutate(random, format, seeds[seed], seeds, log);
    }

    public override FuzzOutcome Run(byte[] input)
    {
        try
        {
            // Odd lengths ask for a reduced decode: the choice is made by the input alone, so it is reproduced with it.
            using var image = loader.Load(input, input.Length % 2 == 1 ? Reduced : null);
            return new("decoded");
        }
        catch (UnsupportedImageException)
        {
            return new("415");
        }
        catch (ImageTooLargeException)
        {
            return new("413");
        }
        catch (CorruptImageException)
        {
            return new("422");
        }
        catch (Exception e)
        {
            return FuzzOutcome.Found($"{e.GetType().FullName}: {e.Message} at {FirstFrame(e)}");
        }
    }

    static string FirstFrame(Exception e) =>
        e.StackTrace?.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "(no stack)";
}
