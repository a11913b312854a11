using System.Globalization;
using CamService.Inference.Verification;
using CamService.Onnx.Model;

namespace CamService.Cli.Commands;

/// <summary>verify &lt;cam-ready.onnx&gt;: checks the gradients by directional finite differences.</summary>
public static class VerifyCommand
{
    public const string Usage = "verify <cam-ready.onnx> [--tolerance 1e-2] [--directions 3] [--step 1e-3] [--seed 7]";

    public static int Run(Arguments args, TextWriter output)
    {
        var path = args.Positional(0, "the CAM-ready model path");
        var options = new VerifyOptions
        {
            Tolerance = args.Double("tolerance", 1e-2),
            Directions = args.Int("directions", 3),
            Step = args.Double("step", 1e-3),
            Seed = args.Int("seed", 7),
        };
        args.RejectUnknown(1);

        var report = GradientVerifier.Verify(OnnxModelFile.Load(path), options);
        output.WriteLine(report.InDoubles ? "The head evaluated in double precision." : $"The head evaluated in float32: {report.FloatReason}");
        output.WriteLine($"{"image",5} {"class",6} {"dir",3} {"analytic",14} {"finite diff.",14} {"rel. error",10}");
        foreach (var check in report.Checks)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{check.Image,5} {check.Class,6} {check.Direction,3} {check.Analytic,14:G6} {check.Numeric,14:G6} {check.RelativeError,10:E2}"));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"worst relative error {report.WorstRelativeError:E3} (tolerance {report.Tolerance:E1}): {(report.Passed ? "PASS" : "FAIL")}"));
        return report.Passed ? 0 : 3;
    }
}
