//===- Regularization.h - L1/L2 penalties added to the loss ---------------===//
#ifndef KILN_AUTODIFF_REGULARIZATION_H
#define KILN_AUTODIFF_REGULARIZATION_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace kiln {

/// A parameter by name, as the loss function sees it.
struct NamedParameter {
  llvm::StringRef name;
  mlir::Value value;
};

/// Returns `loss` plus the penalties of `spec` (the module's
/// kiln.regularization: [{kind = "l1"|"l2", factor, params = [names]}],
/// empty params meaning all), as Keras' regularizers define them:
/// l1: factor * sum(|w|), l2: factor * sum(w^2). Being part of the loss,
/// they are differentiated with it and reported with it.
mlir::FailureOr<mlir::Value>
addRegularization(mlir::OpBuilder &b, mlir::Location loc, mlir::Value loss,
                  mlir::ArrayAttr spec, llvm::ArrayRef<NamedParameter> params);

} // namespace kiln

#endif // KILN_AUTODIFF_REGULARIZATION_H
