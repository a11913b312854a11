using Microsoft.ML.OnnxRuntime;

namespace CamService.Inference.Runtime;

/// <summary>
/// An ONNX Runtime run that stops between operators once its caller cancels (a client gone, a deadline passed)
/// rather than finishing work nobody will read. ONNX Runtime reports the stop as an error; the caller sees a
/// cancellation, as it would had it cancelled before the run.
/// </summary>
public static class CancellableRun
{
    /// <summary>Runs <paramref name="run"/> with options that <paramref name="cancellationToken"/> terminates.</summary>
    /// <param name="what">The run as the cancellation's message names it ("model run", "head run").</param>
    /// <exception cref="OperationCanceledException">Cancelled, before or during the run.</exception>
    public static T Run<T>(string what, Func<RunOptions, T> run, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();
        using var cancel = cancellationToken.Register(() => runOptions.Terminate = true);
        try
        {
            return run(runOptions);
        }
        catch (OnnxRuntimeException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"The {what} was stopped: its caller cancelled.", e, cancellationToken);
        }
    }
}
