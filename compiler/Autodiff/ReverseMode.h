//===- ReverseMode.h - Reverse-mode differentiation over kiln ops --------===//
#ifndef KILN_AUTODIFF_REVERSEMODE_H
#define KILN_AUTODIFF_REVERSEMODE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace kiln {

/// Builds d(loss)/d(w) for every w in `wrt` at the builder's insertion point,
/// which must come after every op of `block` that computes `loss`. Only ops
/// that both depend on `wrt` and feed `loss` are differentiated; each states
/// its rule through GradientOpInterface. A parameter the loss does not depend
/// on gets a zero gradient. Fails (with an error at the op) when an op on the
/// path has no gradient rule.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
buildGradients(mlir::OpBuilder &builder, mlir::Block &block, mlir::Value loss,
               mlir::ValueRange wrt);

} // namespace kiln

#endif // KILN_AUTODIFF_REVERSEMODE_H
