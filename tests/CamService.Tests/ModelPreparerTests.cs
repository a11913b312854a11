using CamService.Models;
using CamService.Onnx.CamReady;
using CamService.Onnx.Graph;
using CamService.Onnx.Model;
using CamService.Testing;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Onnx;

namespace CamService.Tests;

/// <summary>
/// <see cref="ModelPreparer"/>'s cache of CAM-ready graphs: a cached graph is used only for the same content, the external data
/// file included, and the same builder.
/// </summary>
public sealed class ModelPreparerTests
{
    [Fact]
    public void NewWeightsInTheDataFile_AreNotServedFromTheCache()
    {
        var folder = Directory.CreateTempSubdirectory("camservice-preparer-").FullName;
        try
        {
            var preparer = new ModelPreparer(Options.Create(new ModelsOptions { Directory = folder }), NullLogger<ModelPreparer>.Instance);
            var plain = Classifier();
            var path = Path.Combine(folder, "small.onnx");
            OnnxModelFile.Save(plain, path, externalAbove: 0);
            Assert.True(File.Exists(path + ".data"));
            using (var first = preparer.Open(path))
            {
                Assert.Equal(Weights(plain), Weights(first.Proto));
            }

            // The same graph file, other weights beside it: the first CAM-ready graph stays cached, and is not this one.
            var retrained = plain.Clone();
            foreach (var tensor in retrained.Graph.Initializer.Where(t => t.RawData.Length >= 1024))
            {
                tensor.RawData = ByteString.CopyFrom(tensor.RawData.Select(b => (byte)(b ^ 0x5a)).ToArray());
            }
            var staging = Path.Combine(folder, "staging");
            OnnxModelFile.Save(retrained, Path.Combine(staging, "small.onnx"), externalAbove: 0);
            Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(Path.Combine(staging, "small.onnx")));
            File.Copy(Path.Combine(staging, "small.onnx.data"), path + ".data", overwrite: true);

            using var second = preparer.Open(path);
            Assert.Equal(Weights(retrained), Weights(second.Proto));
            Assert.Equal(2, Directory.GetFiles(new ModelsOptions { Directory = folder }.ResolvedCacheDirectory, "small-*.onnx").Length);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TheKey_FollowsTheFilesBytes_AndTheBuilder()
    {
        var folder = Directory.CreateTempSubdirectory("camservice-key-").FullName;
        try
        {
            var (plain, _, _) = SmallClassifiers.SmallClassifier();
            var path = Path.Combine(folder, "small.onnx");
            OnnxModelFile.Save(plain, path);
            var loaded = OnnxModelFile.LoadWithBytes(path);
            Assert.Empty(loaded.DataFiles);
            var key = ModelPreparer.ContentKey(path, loaded);
            Assert.Equal(key, ModelPreparer.ContentKey(path, OnnxModelFile.LoadWithBytes(path)));

            plain.Graph.Initializer[0].RawData = ByteString.CopyFrom(new byte[plain.Graph.Initializer[0].RawData.Length]);
            OnnxModelFile.Save(plain, path);
            Assert.NotEqual(key, ModelPreparer.ContentKey(path, OnnxModelFile.LoadWithBytes(path)));
            Assert.NotEqual(Guid.Empty, CamReadyBuilder.BuildId);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>image [N, 3, 8, 8] → Conv to 16 channels (1.7 kB of weights, enough to be kept as external data) → Relu → pooled head.</summary>
    static ModelProto Classifier()
    {
        var g = new TestGraph();
        var image = g.Input("image", 2, 3, 8, 8);
        var features = g.Node("Relu", [g.Node("Conv", [image, g.Random([16, 3, 3, 3]), g.Random([16])], Attributes.Ints("pads", [1, 1, 1, 1]))]);
        return g.Output(SmallClassifiers.PooledHead(g, features, 16)).Build();
    }

    /// <summary>The plain model's initializers as they appear in a CAM-ready graph (which adds its own).</summary>
    static Dictionary<string, ByteString> Weights(ModelProto model) =>
        model.Graph.Initializer.Where(t => t.RawData.Length >= 1024).ToDictionary(t => t.Name, t => t.RawData);
}
