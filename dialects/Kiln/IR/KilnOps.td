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

class Kiln_BroadcastBinaryOp<string mnemonic, string what>
    : Kiln_Op<mnemonic, [Pure,
        DeclareOpInterfaceMethods<InferTypeOpInterface>,
        DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
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

def Kiln_AddOp : Kiln_BroadcastBinaryOp<"add", "addition">;
def Kiln_SubOp : Kiln_BroadcastBinaryOp<"sub", "subtraction">;
def Kiln_MulOp : Kiln_BroadcastBinaryOp<"mul", "multiplication">;
def Kiln_DivOp : Kiln_BroadcastBinaryOp<"div", "division">;

def Kiln_ReluOp : Kiln_Op<"relu", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "max(x, 0)";
  let arguments = (ins Kiln_F32Tensor:$x);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
}

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

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def Kiln_SoftmaxCrossEntropyOp : Kiln_Op<"softmax_cross_entropy", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Per-example cross entropy of softmax(logits) and integer labels";
  let description = [{
    `logits` is [N, C], `labels` is [N] with values in [0, C). The result is
    [N]: `logsumexp(logits[n, :]) - logits[n, labels[n]]`, computed with the
    row maximum subtracted for stability.
  }];
  let arguments = (ins Kiln_F32Tensor:$logits, Kiln_I32Tensor:$labels);
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
  let arguments = (ins Kiln_F32Tensor:$x, Kiln_F32Tensor:$dy);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$x `,` $dy attr-dict `:` type($x)";
}

def Kiln_SoftmaxCrossEntropyGradOp : Kiln_Op<"softmax_cross_entropy_grad",
    [Pure, AllTypesMatch<["logits", "result"]>]> {
  let summary = "(softmax(logits) - one_hot(labels)) * dloss[:, None]";
  let arguments = (ins Kiln_F32Tensor:$logits, Kiln_I32Tensor:$labels,
                   Kiln_F32Tensor:$dloss);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$logits `,` $labels `,` $dloss attr-dict `:` "
                       "functional-type(operands, results)";
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
