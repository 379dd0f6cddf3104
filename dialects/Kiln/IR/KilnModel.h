//===- KilnModel.h - Attribute names that describe a model ---------------===//
//
// The frontend describes a model as a `func.func @forward` whose arguments
// and results carry these attributes; training generation, the state layout
// and the header writer read them back. Keeping the names in one place is
// the whole contract between those stages.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_KILNMODEL_H
#define KILN_IR_KILNMODEL_H

#include "llvm/ADT/StringRef.h"

namespace kiln::model {

/// The function the frontend emits: (inputs, labels, params) -> (loss, output).
inline constexpr llvm::StringLiteral kForwardFunc = "forward";
/// Functions generated from it.
inline constexpr llvm::StringLiteral kInitFunc = "init";
inline constexpr llvm::StringLiteral kTrainStepFunc = "train_step";
inline constexpr llvm::StringLiteral kEvaluateFunc = "evaluate";
inline constexpr llvm::StringLiteral kPredictFunc = "predict";

/// Argument attributes (string value: the user's name).
inline constexpr llvm::StringLiteral kInputAttr = "kiln.input";
inline constexpr llvm::StringLiteral kLabelAttr = "kiln.label";
inline constexpr llvm::StringLiteral kParamAttr = "kiln.param";
/// A non-trainable state tensor argument of @forward (string value: its
/// name), e.g. batch normalization's moving statistics; kiln.init says how
/// it starts.
inline constexpr llvm::StringLiteral kBufferAttr = "kiln.buffer";
/// An i64 argument of @forward feeding random ops (dropout): "seed" (the
/// run's seed) or "step" (the number of completed training steps).
inline constexpr llvm::StringLiteral kRngAttr = "kiln.rng";
/// Parameter initializer: {kind = "uniform", low, high} |
/// {kind = "normal", mean, stddev} | {kind = "constant", value}.
inline constexpr llvm::StringLiteral kInitAttr = "kiln.init";
/// Names a training-state entry (parameter, optimizer slot, step counter)
/// on the arguments/results of the generated functions.
inline constexpr llvm::StringLiteral kStateAttr = "kiln.state";
/// Names a result: "loss" or the user's output name.
inline constexpr llvm::StringLiteral kResultAttr = "kiln.result";

/// Module attribute: {kind = "sgd", learning_rate = 0.1 : f32 or a schedule
/// dictionary, hyper-parameters...}; see compiler/Autodiff/Optimizers.h.
inline constexpr llvm::StringLiteral kOptimizerAttr = "kiln.optimizer";
/// Module attribute: [{kind = "l1"|"l2", factor, params = [names]}].
inline constexpr llvm::StringLiteral kRegularizationAttr = "kiln.regularization";
/// Module attribute: k of `metrics = [top_k_accuracy(k)]`. @evaluate then
/// has a third result, kTopKHitsResult: the f32[] number of the batch's
/// (example, label) pairs whose label is among the top k outputs.
inline constexpr llvm::StringLiteral kTopKAttr = "kiln.top_k";
inline constexpr llvm::StringLiteral kTopKHitsResult = "top_k_hits";
/// Module attribute written by the state-layout pass: an array of
/// {name, offset (bytes), shape, dtype} dictionaries, and the total size.
inline constexpr llvm::StringLiteral kStateLayoutAttr = "kiln.state_layout";
inline constexpr llvm::StringLiteral kStateSizeAttr = "kiln.state_size";

/// The name of the step counter in the training state.
inline constexpr llvm::StringLiteral kStepState = "step";
/// The run's seed, kept in the state for random ops of train_step.
inline constexpr llvm::StringLiteral kSeedState = "rng_seed";

} // namespace kiln::model

#endif // KILN_IR_KILNMODEL_H
