using Microsoft.ML.OnnxRuntime;

namespace CamService.Inference.Runtime;

/// <summary>Named inputs of one run, owned: disposing them disposes the values.</summary>
public sealed class NamedOrtValues(string[] names, OrtValue[] values) : IDisposable
{
    public string[] Names { get; } = names;

    public OrtValue[] Values { get; } = values;

    public void Dispose()
    {
        foreach (var value in Values)
        {
            value.Dispose();
        }
    }
}
