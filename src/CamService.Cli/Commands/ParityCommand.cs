using System.Globalization;
using CamService.Inference.Runtime;
using CamService.Inference.Verification;

namespace CamService.Cli.Commands;

/// <summary>parity &lt;cam-ready.onnx&gt; &lt;reference-dir&gt;: the model's run against torch autograd's (tests/python/torch_reference.py).</summary>
public static class ParityCommand
{
    public const string Usage = "parity <cam-ready.onnx> <reference-dir> [--tolerance 1e-3] [--correlation 0.999]";

    public static int Run(Arguments args, TextWriter output)
    {
        var path = args.Positional(0, "the CAM-ready model path");
        var reference = args.Positional(1, "the folder torch_reference.py wrote");
        var tolerance = args.Double("tolerance", 1e-3);
        var correlation = args.Double("correlation", 0.999);
        args.RejectUnknown(2);

        using var model = CamReadyModel.Load(path, new ExecutionSettings());
        var report = TorchParity.Compare(model, reference);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"logits {report.LogitsError:E2}  activations {report.ActivationsError:E2}  gradients {report.GradientsError:E2}  " +
            $"Grad-CAM correlation {report.GradCamCorrelation:F6}  top-1 {(report.Top1Agrees ? "agrees" : "differs")}"));
        var passed = report.Passed(tolerance, correlation);
        output.WriteLine(passed ? "PASS" : $"FAIL (gradients within {tolerance:G3}, correlation at least {correlation:G4}, the same top-1)");
        return passed ? 0 : 1;
    }
}
