//===- KilnOps.td - Ops of the kiln dialect -----------------*- tablegen -*-===//
#ifndef KILN_OPS
#define KILN_OPS

include "Kiln/IR/KilnDialect.td"
include "Kiln/Interfaces/GradientOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Kiln_ConstantOp : Kiln_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "A constant tensor";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
  let builders = [
    // A scalar f32 splat of the given (static) tensor type.
    OpBuilder<(ins "::mlir::RankedTensorType":$type, "float":$value)>,
  ];
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic with NumPy broadcasting
//===----------------------------------------------------------------------===//

class Kiln_BroadcastBinaryBase<string mnemonic, string what,
                                list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat(traits, [Pure,
        DeclareOpInterfaceMethods<InferTypeOpInterface>])> {
  let summary = "Elementwise " # what # " with NumPy broadcasting";
  let description = [{
    Shapes are aligned at the trailing dimension; a dimension of 1 stretches.
    A dynamic dimension broadcasts against 1 or an equal dynamic dimension.
  }];
  let arguments = (ins Kiln_F32Tensor:$lhs, Kiln_F32Tensor:$rhs);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        ::mlir::ValueRange operands, ::mlir::DictionaryAttr,
        ::mlir::OpaqueProperties, ::mlir::RegionRange,
        ::llvm::SmallVectorImpl<::mlir::Type> &results) {
      return pushInferredType(inferBroadcastType(loc, operands[0].getType(),
                                                 operands[1].getType()),
                              results);
    }
  }];
}

class Kiln_BroadcastBinaryOp<string mnemonic, string what>
    : Kiln_BroadcastBinaryBase<mnemonic, what,
        [DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]>;

def Kiln_AddOp : Kiln_BroadcastBinaryOp<"add", "addition">;
def Kiln_SubOp : Kiln_BroadcastBinaryOp<"sub", "subtraction">;
def Kiln_MulOp : Kiln_BroadcastBinaryOp<"mul", "multiplication">;
def Kiln_DivOp : Kiln_BroadcastBinaryOp<"div", "division">;
def Kiln_PowOp : Kiln_BroadcastBinaryOp<"pow", "power (lhs to the rhs)">;

//===----------------------------------------------------------------------===//
// Elementwise math and activations
//===----------------------------------------------------------------------===//

class Kiln_UnaryOp<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure, SameOperandsAndResultType,
        DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = what;
  let arguments = (ins Kiln_F32Tensor:$x);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
}

def Kiln_NegOp : Kiln_UnaryOp<"neg", "-x">;
def Kiln_ExpOp : Kiln_UnaryOp<"exp", "e^x">;
def Kiln_LogOp : Kiln_UnaryOp<"log", "Natural logarithm">;
def Kiln_SqrtOp : Kiln_UnaryOp<"sqrt", "Square root">;
def Kiln_RsqrtOp : Kiln_UnaryOp<"rsqrt", "1 / sqrt(x)">;
def Kiln_ErfOp : Kiln_UnaryOp<"erf", "Gauss error function">;
def Kiln_ReluOp : Kiln_UnaryOp<"relu", "max(x, 0)">;
def Kiln_SigmoidOp : Kiln_UnaryOp<"sigmoid", "1 / (1 + e^-x)">;
def Kiln_TanhOp : Kiln_UnaryOp<"tanh", "Hyperbolic tangent">;
def Kiln_SoftplusOp
    : Kiln_UnaryOp<"softplus", "log(1 + e^x), computed without overflow">;
def Kiln_GeluOp : Kiln_UnaryOp<"gelu", "x * Phi(x) in its exact (erf) form"> {
  let description = [{
    `0.5 * x * (1 + erf(x / sqrt(2)))`, as `tf.nn.gelu(approximate=False)`
    and Keras' default `gelu`.
  }];
}

class Kiln_AlphaUnaryOp<string mnemonic, string what, string alpha>
    : Kiln_UnaryOp<mnemonic, what> {
  let arguments = (ins Kiln_F32Tensor:$x,
                   DefaultValuedAttr<F32Attr, alpha>:$alpha);
}

def Kiln_LeakyReluOp
    : Kiln_AlphaUnaryOp<"leaky_relu", "x if x > 0 else alpha * x", "0.2">;
def Kiln_EluOp
    : Kiln_AlphaUnaryOp<"elu", "x if x > 0 else alpha * (e^x - 1)", "1.0">;

class Kiln_SoftmaxBase<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure, SameOperandsAndResultType,
        DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = what # " along `axis`";
  let description = [{
    Computed with the maximum along `axis` subtracted, so large inputs do
    not overflow. A negative `axis` counts from the end.
  }];
  let arguments = (ins Kiln_F32Tensor:$x,
                   DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
  let hasVerifier = 1;
}

def Kiln_SoftmaxOp : Kiln_SoftmaxBase<"softmax", "exp(x) / sum(exp(x))">;
def Kiln_LogSoftmaxOp
    : Kiln_SoftmaxBase<"log_softmax", "x - log(sum(exp(x)))">;

//===----------------------------------------------------------------------===//
// Contractions and shape manipulation
//===----------------------------------------------------------------------===//

def Kiln_MatmulOp : Kiln_Op<"matmul", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "2-D matrix product, optionally transposing either operand";
  let description = [{
    `result = op(a) x op(b)` where op transposes when the flag is set, as in
    `tf.linalg.matmul(a, b, transpose_a, transpose_b)`.
  }];
  let arguments = (ins Kiln_F32Tensor:$a, Kiln_F32Tensor:$b,
                   DefaultValuedAttr<BoolAttr, "false">:$transpose_a,
                   DefaultValuedAttr<BoolAttr, "false">:$transpose_b);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$a `,` $b attr-dict `:` functional-type(operands, results)";
}

def Kiln_ReshapeOp : Kiln_Op<"reshape", [Pure,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Reshape to the result type (row-major element order kept)";
  let description = [{
    At most one dynamic dimension on each side. With static shapes the
    element counts must match; with a dynamic dimension the static parts must
    divide each other so that the dynamic size is determined at run time.
  }];
  let arguments = (ins Kiln_Tensor:$x);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_TransposeOp : Kiln_Op<"transpose", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Permutes dimensions: result dimension i is x dimension perm[i]";
  let arguments = (ins Kiln_F32Tensor:$x, DenseI64ArrayAttr:$perm);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` functional-type(operands, results)";
}

def Kiln_ConcatOp : Kiln_Op<"concat", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Joins tensors along `axis`";
  let description = [{
    All other dimensions must agree; `axis` must be static in every input so
    that each input's offset is a constant.
  }];
  let arguments = (ins Variadic<Kiln_F32Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type($inputs, results)";
}

def Kiln_SliceOp : Kiln_Op<"slice", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "The block of `size` elements starting at `begin`";
  let description = [{
    As `tf.slice`: a size of -1 takes everything from `begin` to the end. A
    dynamic dimension can only be taken whole (begin 0, size -1).
  }];
  let arguments = (ins Kiln_F32Tensor:$x, DenseI64ArrayAttr:$begin,
                   DenseI64ArrayAttr:$size);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` functional-type(operands, results)";
}

def Kiln_OneHotOp : Kiln_Op<"one_hot", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "f32 one-hot rows of `depth` classes from i32 indices";
  let description = [{
    Appends a dimension of size `depth`. An index outside [0, depth) gives
    a row of zeros, as in `tf.one_hot`. Integer indices have no gradient.
  }];
  let arguments = (ins Kiln_I32Tensor:$indices, I64Attr:$depth);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$indices attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Kiln_ReduceOp<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure,
        DeclareOpInterfaceMethods<InferTypeOpInterface>,
        DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = what # " over `axes` (all axes when empty)";
  let arguments = (ins Kiln_F32Tensor:$x,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$axes,
                   DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        ::mlir::ValueRange operands, ::mlir::DictionaryAttr attributes,
        ::mlir::OpaqueProperties properties, ::mlir::RegionRange regions,
        ::llvm::SmallVectorImpl<::mlir::Type> &results) {
      Adaptor adaptor(operands, attributes, properties, regions);
      return pushInferredType(inferReduceType(loc, adaptor.getX().getType(),
                                              adaptor.getAxes(),
                                              adaptor.getKeepdims()),
                              results);
    }
  }];
}

def Kiln_ReduceSumOp : Kiln_ReduceOp<"reduce_sum", "Sum">;
def Kiln_ReduceMeanOp : Kiln_ReduceOp<"reduce_mean", "Mean">;
def Kiln_ReduceMaxOp : Kiln_ReduceOp<"reduce_max", "Maximum"> {
  let description = [{
    The gradient is split evenly between the elements equal to the
    maximum (TensorFlow's rule for ties).
  }];
}

//===----------------------------------------------------------------------===//
// Convolution and pooling (NHWC activations, HWIO filters)
//===----------------------------------------------------------------------===//

def Kiln_Conv2DOp : Kiln_Op<"conv2d", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "2-D convolution of NHWC input with an HWIO filter";
  let description = [{
    As `tf.nn.conv2d`: `strides` and `dilations` are [h, w]; with "SAME"
    the output is ceil(input / stride) and the padding is split with the
    extra element at the end; "VALID" does not pad. Only the batch
    dimension may be dynamic.
  }];
  let arguments = (ins Kiln_F32Tensor:$x, Kiln_F32Tensor:$filter,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   StrAttr:$padding);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$x `,` $filter attr-dict `:` functional-type(operands, results)";
}

def Kiln_Conv2DBackpropInputOp : Kiln_Op<"conv2d_backprop_input", [Pure]> {
  let summary = "Gradient of conv2d with respect to its input";
  let description = [{
    The transposed convolution of `dy` with `filter`; the result type is the
    forward input's type, and the batch size comes from `dy`.
  }];
  let arguments = (ins Kiln_F32Tensor:$dy, Kiln_F32Tensor:$filter,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   StrAttr:$padding);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$dy `,` $filter attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_Conv2DBackpropFilterOp : Kiln_Op<"conv2d_backprop_filter", [Pure]> {
  let summary = "Gradient of conv2d with respect to its filter";
  let description = [{
    Correlates the forward input `x` with `dy` over batch and output
    positions; the result type is the filter's type.
  }];
  let arguments = (ins Kiln_F32Tensor:$x, Kiln_F32Tensor:$dy,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   StrAttr:$padding);
  let results = (outs StaticShapeTensorOf<[F32]>:$result);
  let assemblyFormat =
      "$x `,` $dy attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

class Kiln_PoolOp<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure,
        DeclareOpInterfaceMethods<InferTypeOpInterface>,
        DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = what # " over [h, w] windows of NHWC input";
  let arguments = (ins Kiln_F32Tensor:$x, DenseI64ArrayAttr:$window,
                   DenseI64ArrayAttr:$strides, StrAttr:$padding);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` functional-type(operands, results)";
}

def Kiln_MaxPoolOp : Kiln_PoolOp<"max_pool", "Maximum"> {
  let description = [{
    As `tf.nn.max_pool2d`; "SAME" padding never wins the maximum.
  }];
}
def Kiln_AvgPoolOp : Kiln_PoolOp<"avg_pool", "Mean"> {
  let description = [{
    As `tf.nn.avg_pool2d`: with "SAME" padding each window is divided by
    the number of input elements it covers, not by the window size.
  }];
}

class Kiln_PoolGradOp<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure, AllTypesMatch<["x", "result"]>]> {
  let summary = "Gradient of " # what # " with respect to its input";
  let arguments = (ins Kiln_F32Tensor:$x, Kiln_F32Tensor:$dy,
                   DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$strides,
                   StrAttr:$padding);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$x `,` $dy attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_MaxPoolGradOp : Kiln_PoolGradOp<"max_pool_grad", "max_pool"> {
  let description = [{
    Each window's gradient goes to the first maximal element of the window
    in row-major order (TensorFlow's CPU rule), so ties are not split.
  }];
}
def Kiln_AvgPoolGradOp : Kiln_PoolGradOp<"avg_pool_grad", "avg_pool"> {
  let description = [{
    Only the shape of `x` is used: each window spreads its gradient evenly
    over the input elements it covers.
  }];
}


//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def Kiln_SoftmaxCrossEntropyOp : Kiln_Op<"softmax_cross_entropy", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Per-example cross entropy of softmax(logits) and labels";
  let description = [{
    `logits` is [N, C]. `labels` is either i32 [N] with class indices in
    [0, C) (`tf.nn.sparse_softmax_cross_entropy_with_logits`), giving
    `logsumexp(logits[n, :]) - logits[n, labels[n]]`, or f32 [N, C] class
    probabilities such as one-hot rows
    (`tf.nn.softmax_cross_entropy_with_logits`), giving
    `sum_c labels[n, c] * (logsumexp(logits[n, :]) - logits[n, c])`. The
    result is [N], computed with the row maximum subtracted for stability.
  }];
  let arguments = (ins Kiln_F32Tensor:$logits, Kiln_Tensor:$labels);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$logits `,` $labels attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Backward-pass helpers (built by gradient rules)
//===----------------------------------------------------------------------===//

def Kiln_ReluGradOp : Kiln_Op<"relu_grad", [Pure,
    AllTypesMatch<["x", "dy", "result"]>]> {
  let summary = "dy where x > 0, else 0";
  let description = [{
    relu's gradient rule passes relu's output as `x`: it is positive exactly
    where relu's input is.
  }];
  let arguments = (ins Kiln_F32Tensor:$x, Kiln_F32Tensor:$dy);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x `,` $dy attr-dict `:` type($x)";
}

def Kiln_SoftmaxCrossEntropyGradOp : Kiln_Op<"softmax_cross_entropy_grad",
    [Pure, AllTypesMatch<["logits", "result"]>]> {
  let summary = "(softmax(logits) * sum(labels) - labels) * dloss[:, None]";
  let description = [{
    i32 labels stand for their one-hot rows (whose sum is 1).
  }];
  let arguments = (ins Kiln_F32Tensor:$logits, Kiln_Tensor:$labels,
                   Kiln_F32Tensor:$dloss);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$logits `,` $labels `,` $dloss attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_StepOp : Kiln_Op<"step", [Pure, SameOperandsAndResultType]> {
  let summary = "1 where x > 0, else 0 (the derivative of relu)";
  let arguments = (ins Kiln_F32Tensor:$x);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
}

def Kiln_EqualOp : Kiln_BroadcastBinaryBase<"equal", "comparison"> {
  let description = [{
    1 where lhs == rhs, else 0 (an f32 mask), with NumPy broadcasting.
  }];
}

def Kiln_SliceGradOp : Kiln_Op<"slice_grad", [Pure,
    AllTypesMatch<["x", "result"]>]> {
  let summary = "`dy` placed at `begin` inside zeros shaped like `x`";
  let arguments = (ins Kiln_F32Tensor:$dy, Kiln_F32Tensor:$x,
                   DenseI64ArrayAttr:$begin);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$dy `,` $x attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_BroadcastLikeOp : Kiln_Op<"broadcast_like", [Pure,
    AllTypesMatch<["like", "result"]>]> {
  let summary = "Broadcast `value` (NumPy rules) to the shape of `like`";
  let description = [{
    Only the shape of `like` is used; it carries the run-time sizes of
    dynamic dimensions.
  }];
  let arguments = (ins Kiln_F32Tensor:$value, Kiln_F32Tensor:$like);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$value `,` $like attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Kiln_ElementCountOp : Kiln_Op<"element_count", [Pure]> {
  let summary = "Number of elements of `x` over `axes` (all when empty), as f32";
  let arguments = (ins Kiln_Tensor:$x,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$axes);
  let results = (outs 0DTensorOf<[F32]>:$result);
  let assemblyFormat = "$x attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Parameter initialization
//===----------------------------------------------------------------------===//

def Kiln_BatchNormOp : Kiln_Op<"batch_norm", [Pure,
    AllTypesMatch<["x", "result"]>,
    AllTypesMatch<["gamma", "beta", "moving_mean", "moving_variance"]>]> {
  let summary = "Batch normalization over every axis but the last (channels)";
  let description = [{
    As Keras' BatchNormalization(axis=-1): in training, x is normalized with
    the batch's mean and (biased) variance per channel, then scaled by gamma
    and shifted by beta, and the moving statistics become
    momentum * moving + (1 - momentum) * batch; in evaluation and prediction
    the moving statistics are used. Training generation expands the op into
    kiln arithmetic for each mode (so the gradient comes from those ops) and
    threads the updated moving statistics through the training state.
  }];
  let arguments = (ins Kiln_F32Tensor:$x, Kiln_F32Tensor:$gamma,
                   Kiln_F32Tensor:$beta, Kiln_F32Tensor:$moving_mean,
                   Kiln_F32Tensor:$moving_variance, F32Attr:$momentum,
                   F32Attr:$epsilon);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x `,` $gamma `,` $beta `,` $moving_mean `,` "
                       "$moving_variance attr-dict `:` type($x) `,` type($gamma)";
  let hasVerifier = 1;
}

def Kiln_DropoutOp : Kiln_Op<"dropout", [Pure,
    AllTypesMatch<["x", "result"]>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Inverted dropout with a counter-based mask";
  let description = [{
    Zeroes each element with probability `rate` and scales the others by
    1 / (1 - rate), as tf.nn.dropout. Whether element i is kept is a pure
    function of (seed, step, stream, i): the gradient recomputes the same
    mask, and a run is reproducible for a given seed. Training generation
    feeds the run's seed and the step counter; evaluation and prediction
    drop the op.
  }];
  let arguments = (ins Kiln_F32Tensor:$x, I64:$seed, I64:$step, F32Attr:$rate,
                   I64Attr:$stream);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x `,` $seed `,` $step attr-dict `:` type($x)";
  let hasVerifier = 1;
}

def Kiln_RandomUniformOp : Kiln_Op<"random_uniform", [Pure]> {
  let summary = "Counter-based uniform random tensor in [low, high)";
  let description = [{
    Element i is a pure function of (seed, stream, i): the same seed gives the
    same tensor on every target and thread count. `stream` separates
    parameters so that they are independent.
  }];
  let arguments = (ins I64:$seed, I64Attr:$stream, F32Attr:$low, F32Attr:$high);
  let results = (outs StaticShapeTensorOf<[F32]>:$result);
  let assemblyFormat = "$seed attr-dict `:` type($result)";
}

def Kiln_RandomNormalOp : Kiln_Op<"random_normal", [Pure]> {
  let summary = "Counter-based normal random tensor";
  let description = [{
    Box-Muller over two counter-based uniforms drawn for the same index, so
    element i is a pure function of (seed, stream, i).
  }];
  let arguments = (ins I64:$seed, I64Attr:$stream, F32Attr:$mean,
                   F32Attr:$stddev);
  let results = (outs StaticShapeTensorOf<[F32]>:$result);
  let assemblyFormat = "$seed attr-dict `:` type($result)";
}

#endif // KILN_OPS
