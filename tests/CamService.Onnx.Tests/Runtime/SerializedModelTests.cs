using CamService.Inference.Runtime;
using CamService.Onnx.CamReady;
using CamService.Onnx.Model;
using CamService.Testing;
using Google.Protobuf;
using static CamService.Testing.SmallClassifiers;

namespace CamService.Onnx.Tests.Runtime;

/// <summary>
/// Models past one protobuf message (2 GiB: ViT-H/14, RegNetY-128GF) reach ONNX Runtime as a file with external data,
/// every other as bytes; the same model either way gives the same outputs. A small limit stands in for 2 GiB here.
/// </summary>
public sealed class SerializedModelTests
{
    [Fact]
    public void AModelPastTheLimit_IsAFileWithExternalData_ThatServesAsItsBytesDo_AndIsDeletedAfter()
    {
        var (plain, _, _) = SmallClassifier();
        var camReady = new CamReadyBuilder().Prepare(plain).Model;
        string folder;
        using (var external = SerializedModel.Of(camReady, inlineLimitBytes: 0))
        using (var inline = SerializedModel.Of(camReady))
        {
            Assert.Null(external.Bytes);
            Assert.True(File.Exists(external.Path));
            Assert.True(File.Exists(external.Path + ".data"));
            Assert.NotNull(inline.Bytes);
            folder = Path.GetDirectoryName(external.Path)!;

            var settings = new ExecutionSettings { IntraOpThreads = 1 };
            var threads = ServingThreads.Configured(settings);
            using var fromFile = CamReadyModel.Create(camReady, settings, threads, serialized: external);
            using var fromBytes = CamReadyModel.Create(camReady, settings, threads, serialized: inline);
            var images = new float[fromBytes.ImageLength];
            for (var i = 0; i < images.Length; i++)
            {
                images[i] = (i % 17) / 17f - 0.5f;
            }
            using var a = fromFile.Run(images, 1, new long[] { -1 }, 1);
            using var b = fromBytes.Run(images, 1, new long[] { -1 }, 1);
            Assert.Equal(b.Logits.ToArray(), a.Logits.ToArray());
            Assert.Equal(b.Gradients.ToArray(), a.Gradients.ToArray());
            using var again = SerializedModel.Of(camReady, inlineLimitBytes: 0);
            Assert.Equal(external.ContentHash(), again.ContentHash());
        }
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void LoadWithBytes_GivesTheFilesOwnBytes_WhenTheyAreTheWholeModel()
    {
        var (plain, _, _) = SmallClassifier();
        var camReady = new CamReadyBuilder().Prepare(plain).Model;
        // A tensor large enough to be kept outside when asked (its parameters are all smaller).
        camReady.Graph.Initializer.Add(new global::Onnx.TensorProto
        {
            Name = "large", DataType = (int)global::Onnx.TensorProto.Types.DataType.Float, Dims = { 1024 }, RawData = ByteString.CopyFrom(new byte[4096]),
        });
        var folder = Directory.CreateTempSubdirectory("camservice-load-").FullName;
        try
        {
            var whole = Path.Combine(folder, "whole.onnx");
            OnnxModelFile.Save(camReady, whole);
            var (model, bytes) = OnnxModelFile.LoadWithBytes(whole);
            Assert.Equal(File.ReadAllBytes(whole), bytes);
            Assert.Equal(camReady, model);

            // Its tensors in a file beside it: the bytes are not the model, so none are given; the model is whole.
            var split = Path.Combine(folder, "split.onnx");
            OnnxModelFile.Save(camReady, split, externalAbove: 0);
            Assert.True(File.Exists(split + ".data"));
            var (loaded, none) = OnnxModelFile.LoadWithBytes(split);
            Assert.Null(none);
            Assert.Equal(camReady.Graph.Initializer.Select(t => t.RawData), loaded.Graph.Initializer.Select(t => t.RawData));

            Assert.Throws<FileNotFoundException>(() => OnnxModelFile.LoadWithBytes(Path.Combine(folder, "missing.onnx")));
            File.WriteAllBytes(Path.Combine(folder, "junk.onnx"), [0xff, 0xff, 0xff]);
            Assert.Throws<InvalidDataException>(() => OnnxModelFile.LoadWithBytes(Path.Combine(folder, "junk.onnx")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Fits_CountsTensorDataInSixtyFourBits()
    {
        var (plain, _, _) = SmallClassifier();
        var camReady = new CamReadyBuilder().Prepare(plain).Model;
        Assert.True(OnnxModelFile.Fits(camReady, camReady.CalculateSize()));
        Assert.False(OnnxModelFile.Fits(camReady, camReady.CalculateSize() - 1));
        Assert.False(OnnxModelFile.Fits(camReady, 0));
    }
}
