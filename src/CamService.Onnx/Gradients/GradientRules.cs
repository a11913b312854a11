using CamService.Onnx.Gradients.Rules.Activations;
using CamService.Onnx.Gradients.Rules.Elementwise;
using CamService.Onnx.Gradients.Rules.Linear;
using CamService.Onnx.Gradients.Rules.Normalization;
using CamService.Onnx.Gradients.Rules.Pooling;
using CamService.Onnx.Gradients.Rules.Shape;
using CamService.Onnx.Gradients.Rules.Structure;
using Onnx;

namespace CamService.Onnx.Gradients;

/// <summary>
/// The derivative rules, by operator type: the one place an operator becomes differentiable.
/// Adding an operator means adding its rule here and a finite-difference test for it.
/// </summary>
public sealed class GradientRules
{
    readonly Dictionary<string, IGradientRule> rules;

    public GradientRules(IEnumerable<IGradientRule> rules)
    {
        this.rules = new Dictionary<string, IGradientRule>();
        foreach (var rule in rules)
        {
            if (!this.rules.TryAdd(rule.OpType, rule))
            {
                throw new ArgumentException($"Two rules are registered for {rule.OpType}.", nameof(rules));
            }
        }
    }

    /// <summary>Every built-in rule.</summary>
    public static GradientRules Default { get; } = new(
    [
        // Shape: elements move, values do not change.
        new IdentityRule(), new DropoutRule(), new FlattenRule(), new ReshapeRule(),
        new SqueezeRule(), new UnsqueezeRule(), new TransposeRule(), new ExpandRule(), new CastRule(),
        // Pooling.
        new GlobalAveragePoolRule(), new GlobalMaxPoolRule(), new AveragePoolRule(), new ReduceMeanRule(), new MaxPoolRule(),
        new ReduceL2Rule(), new ReduceSumRule(),
        // Linear maps.
        new GemmRule(), new MatMulRule(), new ConvRule(), new BatchNormalizationRule(),
        // Normalization over features.
        new LayerNormalizationRule(),
        // Elementwise arithmetic with broadcasting.
        new AddRule(), new SubRule(), new MulRule(), new DivRule(), new SumRule(),
        new NegRule(), new ExpRule(), new SqrtRule(), new ReciprocalRule(), new PowRule(), new WhereRule(),
        // Activations.
        new ReluRule(), new LeakyReluRule(), new SigmoidRule(), new TanhRule(),
        new HardSigmoidRule(), new HardSwishRule(), new ClipRule(),
        new ErfRule(), new GeluRule(), new SoftmaxRule(), new LogSoftmaxRule(),
        // Structure.
        new ConcatRule(), new SplitRule(), new GatherRule(), new SliceRule(), new PadRule(),
    ]);

    public IEnumerable<string> OpTypes => rules.Keys.Order(StringComparer.Ordinal);

    /// <summary>The rule for a node of the default domain, or null when there is none.</summary>
    public IGradientRule? Find(NodeProto node) =>
        node.Domain is "" or "ai.onnx" ? rules.GetValueOrDefault(node.OpType) : null;
}
