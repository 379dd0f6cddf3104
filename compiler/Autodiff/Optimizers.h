//===- Optimizers.h - Parameter update rules ------------------------------===//
#ifndef KILN_AUTODIFF_OPTIMIZERS_H
#define KILN_AUTODIFF_OPTIMIZERS_H

#include "Autodiff/Schedules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <optional>
#include <string>

namespace kiln {

/// The new value of a parameter and of its optimizer slots after one step.
struct ParameterUpdate {
  mlir::Value parameter;
  llvm::SmallVector<mlir::Value> slots;
};

/// f32 scalars every parameter's update of one step shares.
struct StepScalars {
  mlir::Value learningRate;
  /// Adam's step size lr * sqrt(1 - beta_2^t) / (1 - beta_1^t), t = step + 1.
  mlir::Value adamStepSize;
};

/// An optimizer read from the module's `kiln.optimizer` dictionary, with the
/// update rules and defaults of Keras' optimizers:
///   sgd(learning_rate, momentum, nesterov), adam / adamw(learning_rate,
///   beta_1, beta_2, epsilon), rmsprop(learning_rate, rho, momentum, epsilon,
///   centered), adagrad(learning_rate, initial_accumulator_value, epsilon);
/// every one also takes weight_decay (decoupled: p -= lr * wd * p, applied
/// before the update), clipnorm, global_clipnorm and clipvalue.
class Optimizer {
public:
  static mlir::FailureOr<Optimizer> fromAttr(mlir::DictionaryAttr attr,
                                             mlir::Location loc);

  /// Names of the per-parameter state entries the optimizer keeps, in order.
  llvm::SmallVector<std::string> slotNames() const;
  /// What slot `index` starts at (zero but for Adagrad's accumulator).
  float slotInitialValue(unsigned index) const;

  /// Applies clipnorm / global_clipnorm to the gradients (clipvalue is
  /// applied inside each update).
  llvm::SmallVector<mlir::Value> clipGradients(mlir::OpBuilder &b,
                                               mlir::Location loc,
                                               mlir::ValueRange gradients) const;

  /// The scalars of the step after `completedSteps` (i64).
  StepScalars buildStepScalars(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value completedSteps) const;

  /// One fused elementwise loop updating a parameter and its slots.
  ParameterUpdate buildUpdate(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value parameter, mlir::Value gradient,
                              mlir::ValueRange slots,
                              const StepScalars &scalars) const;

private:
  /// New parameter and slots from scalar values inside the update loop.
  llvm::SmallVector<mlir::Value> updateElement(mlir::OpBuilder &b,
                                               mlir::Location loc,
                                               mlir::Value p, mlir::Value g,
                                               mlir::ValueRange slots,
                                               const StepScalars &s) const;

  std::string kind;
  Schedule schedule;
  double momentum = 0, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7, rho = 0.9;
  double weightDecay = 0, initialAccumulator = 0.1;
  bool nesterov = false, centered = false;
  std::optional<double> clipNorm, globalClipNorm, clipValue;
};

} // namespace kiln

#endif // KILN_AUTODIFF_OPTIMIZERS_H
