//===- GradientOpInterface.td - Ops state their own VJP ----*- tablegen -*-===//
#ifndef KILN_GRADIENT_OP_INTERFACE
#define KILN_GRADIENT_OP_INTERFACE

include "mlir/IR/OpBase.td"

def Kiln_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let description = [{
    An op that reverse-mode autodiff can differentiate. Given the gradients
    of the loss with respect to the op's results (a null Value for a result
    the loss does not depend on), the op builds the vector-Jacobian products
    for its operands at the builder's insertion point, with kiln ops.
    Operands that are not differentiable (integer labels) get a null Value.
  }];
  let cppNamespace = "::kiln";
  let methods = [
    InterfaceMethod<
      "Builds d(loss)/d(operand) for every operand.",
      "::llvm::SmallVector<::mlir::Value>", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$resultGradients)>,
  ];
}

#endif // KILN_GRADIENT_OP_INTERFACE
