using CamService.Onnx.Graph;
using Onnx;

namespace CamService.Onnx.CamReady;

/// <summary>
/// How a target layer's tensor becomes the contract's activations [N, K, h, w], and its gradient [T, N, ...target]
/// the contract's gradients [N, T, K, h, w]: as it is for NCHW maps, transposed for NHWC grids, and for token
/// sequences with the extra tokens dropped and the patches folded into their grid — pytorch-grad-cam's
/// <c>reshape_transform</c>, done inside the graph so no caller writes one. Every method then sees a 4-D map.
/// </summary>
/// <param name="Layout">The target tensor's layout.</param>
/// <param name="Channels">K.</param>
/// <param name="Height">h, the grid's rows.</param>
/// <param name="Width">w, the grid's columns.</param>
/// <param name="ExtraTokens">Tokens before the patches that have no place on the image (ViT's class token); 0 unless <see cref="TensorLayout.Tokens"/>.</param>
public sealed record TargetFolding(TensorLayout Layout, int Channels, int Height, int Width, int ExtraTokens = 0)
{
    /// <summary>The most extra tokens a sequence is assumed to have when its grid is inferred (ViT 1, DeiT distilled 2, register models 4–8).</summary>
    public const int MaxExtraTokens = 8;

    /// <summary>[K, h, w].</summary>
    public long[] ActivationShape => [Channels, Height, Width];

    /// <summary>The shape of the target tensor for a batch of <paramref name="batch"/>.</summary>
    public long[] TargetShape(long batch) => Layout switch
    {
        TensorLayout.Nchw => [batch, Channels, Height, Width],
        TensorLayout.Nhwc => [batch, Height, Width, Channels],
        _ => [batch, ExtraTokens + Height * Width, Channels],
    };

    /// <summary>
    /// The folding of a target tensor of shape <paramref name="shape"/> (batch first) in <paramref name="layout"/>; a token
    /// sequence's grid is <paramref name="grid"/> where given, else the one with the image's aspect ratio and the fewest extra tokens.
    /// </summary>
    public static TargetFolding Of(string tensor, TensorLayout layout, long[] shape, int imageHeight, int imageWidth, (int Height, int Width)? grid = null)
    {
        var text = $"[{string.Join(", ", shape)}]";
        switch (layout)
        {
            case TensorLayout.Nchw when shape.Length == 4:
                return new(layout, (int)shape[1], (int)shape[2], (int)shape[3]);
            case TensorLayout.Nhwc when shape.Length == 4:
                return new(layout, (int)shape[3], (int)shape[1], (int)shape[2]);
            case TensorLayout.Tokens when shape.Length == 3:
                var (height, width) = grid ?? InferGrid(shape[1], imageHeight, imageWidth)
                    ?? throw new CamReadyException(
                        $"The target layer '{tensor}' has shape {text}: no grid with the image's aspect ratio ({imageHeight}×{imageWidth}) " +
                        $"takes {shape[1]} tokens less up to {MaxExtraTokens} extra ones; name the grid (--grid HxW).");
                var extra = shape[1] - (long)height * width;
                if (extra < 0 || height < 1 || width < 1)
                {
                    throw new CamReadyException($"The target layer '{tensor}' has shape {text}: {shape[1]} tokens do not fill a {height}×{width} grid.");
                }
                return new(layout, (int)shape[2], height, width, (int)extra);
            case TensorLayout.Tokens:
                throw new CamReadyException($"The target layer '{tensor}' has shape {text}; a token sequence is [N, tokens, channels].");
            default:
                throw new CamReadyException($"The target layer '{tensor}' has shape {text}; a {layout.ToMetadata()} feature map is 4-D.");
        }
    }

    /// <summary>
    /// The grid of a sequence of <paramref name="tokens"/>: h×w patches with h / w = H / W, at least 2×2, after the fewest
    /// extra tokens; null when none fits.
    /// </summary>
    public static (int Height, int Width)? InferGrid(long tokens, int imageHeight, int imageWidth)
    {
        for (var extra = 0L; extra <= Math.Min(MaxExtraTokens, tokens - 4); extra++)
        {
            var patches = tokens - extra;
            var height = (long)Math.Round(Math.Sqrt(patches * (double)imageHeight / imageWidth));
            if (height >= 2 && patches % height == 0 && patches / height >= 2 && height * imageWidth == patches / height * imageHeight)
            {
                return ((int)height, (int)(patches / height));
            }
        }
        return null;
    }

    /// <summary>Emits <paramref name="output"/> = the target as [N, K, h, w].</summary>
    public void EmitActivations(NodeEmitter emit, string target, string output)
    {
        switch (Layout)
        {
            case TensorLayout.Nchw:
                emit.NodeTo(output, "Identity", [target]);
                break;
            case TensorLayout.Nhwc:
                emit.NodeTo(output, "Transpose", [target], Attributes.Ints("perm", [0, 3, 1, 2]));
                break;
            default:
                var grid = emit.Reshape(Patches(emit, target, tokenAxis: 1), emit.Int64s(0, Height, Width, Channels));
                emit.NodeTo(output, "Transpose", [grid], Attributes.Ints("perm", [0, 3, 1, 2]));
                break;
        }
    }

    /// <summary>Emits <paramref name="output"/> = the gradient [T, N, ...target] as [N, T, K, h, w].</summary>
    public void EmitGradients(GraphIndex graph, NodeEmitter emit, string gradient, string output)
    {
        switch (Layout)
        {
            case TensorLayout.Nchw:
                SpreadGradient.EmitSwapped(graph, emit, gradient, output);
                break;
            case TensorLayout.Nhwc:
                emit.NodeTo(output, "Transpose", [gradient], Attributes.Ints("perm", [1, 0, 4, 2, 3]));
                break;
            default:
                var grid = emit.Reshape(Patches(emit, gradient, tokenAxis: 2), emit.Int64s(0, 0, Height, Width, Channels));
                emit.NodeTo(output, "Transpose", [grid], Attributes.Ints("perm", [1, 0, 4, 2, 3]));
                break;
        }
    }

    /// <summary>The tokens after the extra ones, along <paramref name="tokenAxis"/>.</summary>
    string Patches(NodeEmitter emit, string tokens, long tokenAxis) =>
        ExtraTokens == 0 ? tokens : emit.Slice(tokens, tokenAxis, ExtraTokens, long.MaxValue);

    /// <summary>
    /// Nodes that compute the target tensor <paramref name="target"/> from <paramref name="activations"/> [n, K, h, w]: the
    /// inverse of <see cref="EmitActivations"/>, for a head that is evaluated on changed activations. A token sequence takes
    /// its extra tokens, which activations do not hold, from <paramref name="original"/>, the unchanged target of the same image
    /// ([1, T, C] or [n, T, C]).
    /// </summary>
    public IEnumerable<NodeProto> Unfold(string activations, string target, string? original)
    {
        const string prefix = "cam_head/";
        switch (Layout)
        {
            case TensorLayout.Nchw:
                yield return Node("Identity", [activations], target);
                break;
            case TensorLayout.Nhwc:
                yield return Node("Transpose", [activations], target, Attributes.Ints("perm", [0, 2, 3, 1]));
                break;
            default:
                yield return Node("Transpose", [activations], prefix + "nhwc", Attributes.Ints("perm", [0, 2, 3, 1]));
                yield return Constant(prefix + "patch_shape", [0, Height * Width, Channels]);
                var patches = ExtraTokens == 0 ? target : prefix + "patches";
                yield return Node("Reshape", [prefix + "nhwc", prefix + "patch_shape"], patches);
                if (ExtraTokens == 0)
                {
                    break;
                }
                if (original is null)
                {
                    throw new ArgumentNullException(nameof(original), "A token sequence with extra tokens needs the unchanged target for them.");
                }
                // The extra tokens of the one image, repeated for every changed copy of its activations.
                yield return Constant(prefix + "extra_starts", [0]);
                yield return Constant(prefix + "extra_ends", [ExtraTokens]);
                yield return Constant(prefix + "token_axis", [1]);
                yield return Node("Slice", [original, prefix + "extra_starts", prefix + "extra_ends", prefix + "token_axis"], prefix + "extra");
                yield return Node("Shape", [activations], prefix + "activations_shape");
                yield return Constant(prefix + "first", [0]);
                yield return Node("Gather", [prefix + "activations_shape", prefix + "first"], prefix + "batch", Attributes.Int("axis", 0));
                yield return Constant(prefix + "ones", [1, 1]);
                yield return Node("Concat", [prefix + "batch", prefix + "ones"], prefix + "extra_shape", Attributes.Int("axis", 0));
                yield return Node("Expand", [prefix + "extra", prefix + "extra_shape"], prefix + "extra_batch");
                yield return Node("Concat", [prefix + "extra_batch", patches], target, Attributes.Int("axis", 1));
                break;
        }
    }

    static NodeProto Node(string opType, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"cam_head/{opType}_{output.Replace('/', '_')}" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    static NodeProto Constant(string output, long[] values) =>
        Node("Constant", [], output, Attributes.Tensor("value", Tensors.Int64(output, [values.Length], values)));
}
