//===- Schedules.h - Learning-rate schedules computed from the step ------===//
#ifndef KILN_AUTODIFF_SCHEDULES_H
#define KILN_AUTODIFF_SCHEDULES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace kiln {

/// The learning rate as a function of the number of completed steps, as
/// Keras' LearningRateSchedule classes define it, with an optional linear
/// warm-up: lr(s) * min(1, (s + 1) / warmup_steps).
///
/// Read from a FloatAttr (constant) or a dictionary:
///   {kind = "exponential_decay", initial_learning_rate, decay_rate,
///    decay_steps, staircase}
///   {kind = "cosine_decay", initial_learning_rate, decay_steps, alpha}
///   {kind = "piecewise_constant", boundaries = [..], values = [..]}
///   {kind = "constant", initial_learning_rate}
/// each with an optional `warmup_steps`.
class Schedule {
public:
  static mlir::FailureOr<Schedule> fromAttr(mlir::Attribute attr,
                                            mlir::Location loc);

  /// f32 learning rate for the step after `completedSteps` (an i64 value).
  mlir::Value build(mlir::OpBuilder &b, mlir::Location loc,
                    mlir::Value completedSteps) const;

private:
  std::string kind = "constant";
  double initial = 0.01, decayRate = 1, decaySteps = 1, alpha = 0;
  bool staircase = false;
  int64_t warmupSteps = 0;
  llvm::SmallVector<double> boundaries, values;
};

} // namespace kiln

#endif // KILN_AUTODIFF_SCHEDULES_H
