using CamService.Cli;
using CamService.Cli.Commands;
using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Gradients;

// camservice <verb> ...: one verb per CAM-ready capability.
var verbs = new Dictionary<string, (string Usage, Func<Arguments, TextWriter, int> Run, string[] Flags)>
{
    ["prepare"] = (PrepareCommand.Usage, PrepareCommand.Run, []),
    ["verify"] = (VerifyCommand.Usage, VerifyCommand.Run, []),
    ["parity"] = (ParityCommand.Usage, ParityCommand.Run, []),
    ["inspect"] = (InspectCommand.Usage, InspectCommand.Run, []),
    ["benchmark"] = (BenchmarkCommand.Usage, BenchmarkCommand.Run, ["no-spinning"]),
    ["tune"] = (TuneCommand.Usage, TuneCommand.Run, ["no-spinning"]),
    ["explain"] = (ExplainCommand.Usage, ExplainCommand.Run, ["recursive", "metrics", "agreement", "gif"]),
    ["key"] = (KeyCommand.Usage, KeyCommand.Run, []),
};

if (args.Length == 0 || args[0] is "-h" or "--help" or "help" || !verbs.TryGetValue(args[0], out var verb))
{
    var error = args.Length > 0 && args[0] is not ("-h" or "--help" or "help");
    var writer = error ? Console.Error : Console.Out;
    if (error)
    {
        writer.WriteLine($"Unknown command '{args[0]}'.");
    }
    writer.WriteLine("Usage: camservice <command> ...");
    foreach (var (_, v) in verbs)
    {
        writer.WriteLine("  " + v.Usage);
    }
    return error ? 2 : 0;
}

try
{
    return verb.Run(new Arguments(args.Skip(1), verb.Flags.ToHashSet()), Console.Out);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}\nUsage: camservice {verb.Usage}");
    return 2;
}
catch (Exception e) when (e is CamReadyException or GradientException or ExecutionProviderException
                              or FileNotFoundException or InvalidDataException or FormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
