//===- Schedules.cpp - Learning-rate schedules computed from the step ----===//
#include "Autodiff/Schedules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace kiln {

static FailureOr<double> number(DictionaryAttr dict, StringRef key,
                                std::optional<double> fallback,
                                Location loc) {
  if (auto attr = dict.getAs<FloatAttr>(key))
    return attr.getValueAsDouble();
  if (auto attr = dict.getAs<IntegerAttr>(key))
    return (double)attr.getInt();
  if (fallback)
    return *fallback;
  return emitError(loc, "learning-rate schedule needs '") << key << "'";
}

static FailureOr<SmallVector<double>> numbers(DictionaryAttr dict,
                                              StringRef key, Location loc) {
  auto array = dict.getAs<ArrayAttr>(key);
  if (!array)
    return emitError(loc, "learning-rate schedule needs a list '")
           << key << "'";
  SmallVector<double> result;
  for (Attribute element : array) {
    if (auto f = dyn_cast<FloatAttr>(element))
      result.push_back(f.getValueAsDouble());
    else if (auto i = dyn_cast<IntegerAttr>(element))
      result.push_back((double)i.getInt());
    else
      return emitError(loc, "'") << key << "' must hold numbers";
  }
  return result;
}

FailureOr<Schedule> Schedule::fromAttr(Attribute attr, Location loc) {
  Schedule schedule;
  if (auto rate = dyn_cast_or_null<FloatAttr>(attr)) {
    schedule.initial = rate.getValueAsDouble();
    return schedule;
  }
  auto dict = dyn_cast_or_null<DictionaryAttr>(attr);
  auto kind = dict ? dict.getAs<StringAttr>("kind") : StringAttr();
  if (!kind)
    return emitError(loc, "learning_rate must be a number or a schedule");
  schedule.kind = kind.str();
  auto warmup = number(dict, "warmup_steps", 0.0, loc);
  if (failed(warmup))
    return failure();
  schedule.warmupSteps = (int64_t)*warmup;
  if (schedule.kind == "piecewise_constant") {
    auto boundaries = numbers(dict, "boundaries", loc);
    auto values = numbers(dict, "values", loc);
    if (failed(boundaries) || failed(values))
      return failure();
    if (values->size() != boundaries->size() + 1)
      return emitError(loc, "piecewise_constant needs one more value than "
                            "boundaries");
    for (size_t i = 1; i < boundaries->size(); ++i)
      if ((*boundaries)[i] <= (*boundaries)[i - 1])
        return emitError(loc, "piecewise_constant boundaries must increase");
    schedule.boundaries = *boundaries;
    schedule.values = *values;
    return schedule;
  }
  auto initial = number(dict, "initial_learning_rate", std::nullopt, loc);
  if (failed(initial))
    return failure();
  schedule.initial = *initial;
  if (schedule.kind == "constant")
    return schedule;
  auto decaySteps = number(dict, "decay_steps", std::nullopt, loc);
  if (failed(decaySteps))
    return failure();
  if (*decaySteps <= 0)
    return emitError(loc, "decay_steps must be positive");
  schedule.decaySteps = *decaySteps;
  if (schedule.kind == "exponential_decay") {
    auto rate = number(dict, "decay_rate", std::nullopt, loc);
    if (failed(rate))
      return failure();
    schedule.decayRate = *rate;
    auto staircase = dict.getAs<BoolAttr>("staircase");
    schedule.staircase = staircase && staircase.getValue();
    return schedule;
  }
  if (schedule.kind == "cosine_decay") {
    auto alpha = number(dict, "alpha", 0.0, loc);
    if (failed(alpha))
      return failure();
    schedule.alpha = *alpha;
    return schedule;
  }
  return emitError(loc, "unknown learning-rate schedule '")
         << schedule.kind << "'";
}

Value Schedule::build(OpBuilder &b, Location loc, Value completedSteps) const {
  auto f32 = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr((float)v));
  };
  if (kind == "constant" && warmupSteps == 0)
    return f32(initial);
  Value step =
      arith::SIToFPOp::create(b, loc, b.getF32Type(), completedSteps);
  Value rate;
  if (kind == "constant") {
    rate = f32(initial);
  } else if (kind == "exponential_decay") {
    // initial * decay_rate ^ (step / decay_steps), floored when staircase.
    Value exponent = arith::DivFOp::create(b, loc, step, f32(decaySteps));
    if (staircase)
      exponent = math::FloorOp::create(b, loc, exponent);
    rate = arith::MulFOp::create(
        b, loc, f32(initial),
        math::PowFOp::create(b, loc, f32(decayRate), exponent));
  } else if (kind == "cosine_decay") {
    // initial * ((1 - alpha) * (1 + cos(pi * min(step, T) / T)) / 2 + alpha).
    Value clamped = arith::MinimumFOp::create(b, loc, step, f32(decaySteps));
    Value fraction = arith::DivFOp::create(b, loc, clamped, f32(decaySteps));
    Value cosine = math::CosOp::create(
        b, loc, arith::MulFOp::create(b, loc, fraction, f32(llvm::numbers::pi)));
    Value half = arith::MulFOp::create(
        b, loc, arith::AddFOp::create(b, loc, cosine, f32(1)), f32(0.5));
    Value decayed = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, half, f32(1 - alpha)),
        f32(alpha));
    rate = arith::MulFOp::create(b, loc, f32(initial), decayed);
  } else {
    // piecewise_constant: values[i] for the first boundary the step has
    // not passed, as in Keras (step > boundary moves on).
    rate = f32(values.back());
    for (int64_t i = (int64_t)boundaries.size() - 1; i >= 0; --i) {
      Value within = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE,
                                           step, f32(boundaries[i]));
      rate = arith::SelectOp::create(b, loc, within, f32(values[i]), rate);
    }
  }
  if (warmupSteps > 0) {
    Value progress = arith::DivFOp::create(
        b, loc, arith::AddFOp::create(b, loc, step, f32(1)),
        f32((double)warmupSteps));
    Value factor = arith::MinimumFOp::create(b, loc, progress, f32(1));
    rate = arith::MulFOp::create(b, loc, rate, factor);
  }
  return rate;
}

} // namespace kiln
