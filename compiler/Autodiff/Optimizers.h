//===- Optimizers.h - Parameter update rules ------------------------------===//
#ifndef KILN_AUTODIFF_OPTIMIZERS_H
#define KILN_AUTODIFF_OPTIMIZERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <string>

namespace kiln {

/// The new value of a parameter and of its optimizer slots after one step.
struct ParameterUpdate {
  mlir::Value parameter;
  llvm::SmallVector<mlir::Value> slots;
};

/// An optimizer read from the module's `kiln.optimizer` dictionary.
class Optimizer {
public:
  /// Reads {kind = "sgd", learning_rate = ...}; reports unknown kinds or
  /// missing hyper-parameters at `loc`.
  static mlir::FailureOr<Optimizer> fromAttr(mlir::DictionaryAttr attr,
                                             mlir::Location loc);

  /// Names of the per-parameter state entries the optimizer keeps, in order.
  llvm::SmallVector<std::string> slotNames() const;

  /// The learning rate as a scalar f32 tensor for this step.
  mlir::Value buildLearningRate(mlir::OpBuilder &builder,
                                mlir::Location loc) const;

  /// Builds the update of one parameter from its gradient and slots.
  ParameterUpdate buildUpdate(mlir::OpBuilder &builder, mlir::Location loc,
                              mlir::Value parameter, mlir::Value gradient,
                              mlir::ValueRange slots,
                              mlir::Value learningRate) const;

private:
  std::string kind;
  float learningRate = 0;
};

} // namespace kiln

#endif // KILN_AUTODIFF_OPTIMIZERS_H
