using System.Security.Cryptography;
using CamService.Onnx.CamReady;
using CamService.Onnx.Model;
using Microsoft.Extensions.Options;
using Onnx;

namespace CamService.Models;

/// <summary>
/// Gives the CAM-ready form of a model file: as it is when it is CAM-ready, otherwise built with
/// the same builder as the CLI's prepare and cached by content, so the next start is fast.
/// </summary>
public sealed class ModelPreparer(IOptions<ModelsOptions> options, ILogger<ModelPreparer> logger)
{
    readonly CamReadyBuilder builder = new();

    /// <summary>
    /// The CAM-ready form of the file at <paramref name="path"/>, with the bytes its sessions open from: the file's own
    /// when it is CAM-ready and self-contained, else the CAM-ready form serialised.
    /// </summary>
    public PreparedModel Open(string path)
    {
        var file = OnnxModelFile.LoadWithBytes(path);
        var bytes = file.Bytes;
        var ready = CamReadyForm.Of(file.Model, _ =>
        {
            (var prepared, bytes) = Prepare(path, file);
            return prepared;
        });
        return new PreparedModel(ready, bytes is not null ? bytes : SerializedModel.Of(ready));
    }

    /// <summary>
    /// The plain model at <paramref name="path"/> made CAM-ready, from the cache when it holds it (with the cached
    /// file's bytes, where they are the whole model), else built and cached.
    /// </summary>
    (ModelProto Model, byte[]? Bytes) Prepare(string path, LoadedModelFile plain)
    {
        var cacheDirectory = Path.GetFullPath(options.Value.ResolvedCacheDirectory);
        var cached = Path.Combine(cacheDirectory, $"{Path.GetFileNameWithoutExtension(path)}-{ContentKey(path, plain)}.onnx");
        if (File.Exists(cached))
        {
            logger.LogInformation("Using the cached CAM-ready version of {Model} ({Cache})", path, cached);
            var (model, bytes) = OnnxModelFile.LoadWithBytes(cached);
            return (model, bytes);
        }

        logger.LogInformation("Making {Model} CAM-ready", path);
        var result = builder.Prepare(plain.Model);
        try
        {
            OnnxModelFile.Save(result.Model, cached);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only models folder still serves; it just prepares again next time.
            logger.LogWarning(e, "Could not cache the CAM-ready model at {Cache}", cached);
        }
        return (result.Model, null);
    }

    /// <summary>
    /// A key that changes with the model's content (the file's bytes and its external data files') and with the builder's
    /// code (<see cref="CamReadyBuilder.BuildId"/>): a cached graph is what this build would make of these weights.
    /// </summary>
    internal static string ContentKey(string path, LoadedModelFile plain)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{CamReadyBuilder.Producer} {CamReadyBuilder.BuildId}"));
        if (plain.Bytes is not null)
        {
            hash.AppendData(plain.Bytes);
        }
        else
        {
            hash.AppendFile(path);
        }
        foreach (var dataFile in plain.DataFiles)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(dataFile)));
            hash.AppendFile(dataFile);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}

/// <summary>A CAM-ready model and its serialised form, which sessions open from (a temporary file for the largest: disposed with it).</summary>
public sealed record PreparedModel(ModelProto Proto, SerializedModel Bytes) : IDisposable
{
    public void Dispose() => Bytes.Dispose();
}
