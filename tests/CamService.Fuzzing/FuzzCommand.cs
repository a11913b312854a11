using System.Globalization;

namespace CamService.Fuzzing;

/// <summary>
/// The long fuzz campaign (scripts/fuzz.sh runs it): every decoder the service registers and both request readers,
/// N inputs each from one seed. Exits 1 on any finding or when resident memory grew over 10 % from the end of the
/// warm-up (a tenth of the rounds) to the last round. <c>--reproduce TARGET:INDEX</c> prints how one input was made and what it did.
/// </summary>
public static class FuzzCommand
{
    const double RssTolerance = 1.10;

    public static int Main(string[] args)
    {
        var inputs = 100_000L;
        var seed = 20;
        var first = 0L;
        string? only = null, reproduce = null;
        var findings = Path.Combine("artifacts", "fuzz");
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--inputs": inputs = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--from": first = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--targets": only = args[++i]; break;
                case "--findings": findings = args[++i]; break;
                case "--reproduce": reproduce = args[++i]; break;
                default:
                    Console.Error.WriteLine("usage: fuzz [--inputs N] [--seed S] [--from I] [--targets a,b] [--findings DIR] [--reproduce TARGET:INDEX]");
                    return 2;
            }
        }

        var images = SeedImages.Create();
        using var host = new FuzzHost();
        using var client = host.ReadyClient();
        var targets = DecoderTarget.All(images).Concat<FuzzTarget>(RequestTarget.All(host, client, images))
            .Where(t => only is null || only.Split(',').Contains(t.Name)).ToList();

        if (reproduce is not null)
        {
            var (name, index) = (reproduce[..reproduce.LastIndexOf(':')], long.Parse(reproduce[(reproduce.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture));
            var target = targets.Single(t => t.Name == name);
            var log = new List<string>();
            var input = target.Input(seed, index, log);
            Directory.CreateDirectory(findings);
            var file = Path.Combine(findings, $"{name}-{seed}-{index}.bin");
            File.WriteAllBytes(file, input);
            Console.WriteLine($"{name} #{index} (seed {seed}), {input.Length} bytes in {file}: {string.Join("; ", log)}");
            Console.WriteLine($"outcome: {target.Run(input)}");
            return 0;
        }

        Console.WriteLine($"Fuzzing {string.Join(", ", targets.Select(t => t.Name))}: {inputs:N0} inputs each from #{first}, seed {seed}, on {Environment.ProcessorCount} cores");
        var report = new Campaign(targets, seed, inputs, first, Console.Out, findings).Run();
        Console.WriteLine();
        Console.WriteLine($"{"target",-13} {"inputs",9} {"seconds",8} {"inputs/s",9}  findings  outcomes");
        foreach (var t in report.Targets)
        {
            Console.WriteLine($"{t.Target,-13} {t.Inputs,9:N0} {t.Elapsed.TotalSeconds,8:F0} {t.Inputs / t.Elapsed.TotalSeconds,9:F0}  {t.Findings,8}  " +
                string.Join(", ", t.Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value:N0}")));
        }
        Console.WriteLine($"RSS after the first round {Mib(report.RssFirstBytes)}, after the warm-up {Mib(report.RssStartBytes)}, after the last {Mib(report.RssEndBytes)} " +
                          $"({(report.RssGrowth - 1) * 100:+0.0;-0.0} % from the warm-up), largest {Mib(report.RssMaxBytes)}; {report.Elapsed.TotalMinutes:F1} min in all");
        var ok = report.Findings == 0 && report.RssGrowth <= RssTolerance;
        Console.WriteLine(ok ? "PASS" : $"FAIL: {report.Findings} findings (inputs in {findings}), RSS growth {(report.RssGrowth - 1) * 100:F1} % (at most {(RssTolerance - 1) * 100:F0} %)");
        return ok ? 0 : 1;
    }

    static string Mib(long bytes) => $"{bytes / 1048576.0:F0} MiB";
}
