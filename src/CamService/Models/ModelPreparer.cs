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
        var (file, bytes) = OnnxModelFile.LoadWithBytes(path);
        var ready = CamReadyForm.Of(file, model =>
        {
            (var prepared, bytes) = Prepare(path, model);
            return prepared;
        });
        return new PreparedModel(ready, bytes is not null ? bytes : SerializedModel.Of(ready));
    }

    /// <summary>
    /// The plain model at <paramref name="path"/> made CAM-ready, from the cache when it holds it (with the cached
    /// file's bytes, where they are the whole model), else built and cached.
    /// </summary>
    (ModelProto Model, byte[]? Bytes) Prepare(string path, ModelProto model)
    {
        var cacheDirectory = Path.GetFullPath(options.Value.ResolvedCacheDirectory);
        var cached = Path.Combine(cacheDirectory, $"{Path.GetFileNameWithoutExtension(path)}-{ContentKey(path)}.onnx");
        if (File.Exists(cached))
        {
            logger.LogInformation("Using the cached CAM-ready version of {Model} ({Cache})", path, cached);
            return OnnxModelFile.LoadWithBytes(cached);
        }

        logger.LogInformation("Making {Model} CAM-ready", path);
        var result = builder.Prepare(model);
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

    /// <summary>A key that changes with the file's bytes and with the builder's version.</summary>
    static string ContentKey(string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(CamReadyBuilder.Producer));
        using (var stream = File.OpenRead(path))
        {
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}

/// <summary>A CAM-ready model and its serialised form, which sessions open from (a temporary file for the largest: disposed with it).</summary>
public sealed record PreparedModel(ModelProto Proto, SerializedModel Bytes) : IDisposable
{
    public void Dispose() => Bytes.Dispose();
}
