using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace CamService.Onnx.Model;

/// <summary>
/// A model as ONNX Runtime takes it: its bytes when it fits one protobuf message, else a file in a folder of its own
/// with its tensors as external data beside it (<see cref="OnnxModelFile.Save"/>), deleted on dispose. A protobuf
/// message and a .NET array both end at 2 GiB, and the largest classifiers (ViT-H/14, RegNetY-128GF) pass it.
/// </summary>
public sealed class SerializedModel : IDisposable
{
    readonly string? folder;

    SerializedModel(byte[]? bytes, string? path, string? folder)
    {
        Bytes = bytes;
        Path = path;
        this.folder = folder;
    }

    /// <summary>The serialised model, or null when it is too large for one message and lives at <see cref="Path"/>.</summary>
    public byte[]? Bytes { get; }

    /// <summary>The model file (its tensors' data beside it), when it is too large for <see cref="Bytes"/>.</summary>
    public string? Path { get; }

    /// <summary>
    /// <paramref name="model"/> serialised: in memory up to <paramref name="inlineLimitBytes"/> (default
    /// <see cref="OnnxModelFile.InlineLimitBytes"/>), written to a temporary folder beyond.
    /// </summary>
    public static SerializedModel Of(ModelProto model, long? inlineLimitBytes = null)
    {
        if (OnnxModelFile.Fits(model, inlineLimitBytes ?? OnnxModelFile.InlineLimitBytes))
        {
            return new SerializedModel(model.ToByteArray(), null, null);
        }
        var folder = Directory.CreateTempSubdirectory("camservice-model-").FullName;
        var path = System.IO.Path.Combine(folder, "model.onnx");
        OnnxModelFile.Save(model, path, externalAbove: inlineLimitBytes);
        return new SerializedModel(null, path, folder);
    }

    public static implicit operator SerializedModel(byte[] bytes) => new(bytes, null, null);

    /// <summary>A session of the model: from its bytes, or from its file (ONNX Runtime reads the data file beside it).</summary>
    public InferenceSession Open(SessionOptions options) => Bytes is { } bytes ? new InferenceSession(bytes, options) : new InferenceSession(Path!, options);

    /// <summary>A hash of the model's content: of its bytes, or of its file and data file.</summary>
    public string ContentHash()
    {
        if (Bytes is { } bytes)
        {
            return Convert.ToHexStringLower(SHA256.HashData(bytes));
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(folder!).Order(StringComparer.Ordinal))
        {
            hash.AppendFile(file);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public void Dispose()
    {
        if (folder is not null && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
