//===- Optimizers.cpp - Parameter update rules ----------------------------===//
#include "Autodiff/Optimizers.h"

#include "Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace kiln {

namespace {

/// Which hyper-parameters each optimizer takes besides the common ones.
struct OptimizerKind {
  StringRef name;
  llvm::SmallVector<StringRef> parameters;
};

const OptimizerKind kKinds[] = {
    {"sgd", {"momentum", "nesterov"}},
    {"adam", {"beta_1", "beta_2", "epsilon"}},
    {"adamw", {"beta_1", "beta_2", "epsilon"}},
    {"rmsprop", {"rho", "momentum", "epsilon", "centered"}},
    {"adagrad", {"initial_accumulator_value", "epsilon"}},
};

const StringRef kCommon[] = {"kind",        "learning_rate", "weight_decay",
                             "clipnorm",    "global_clipnorm", "clipvalue"};

Value f32(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr((float)value));
}

} // namespace

FailureOr<Optimizer> Optimizer::fromAttr(DictionaryAttr attr, Location loc) {
  if (!attr)
    return emitError(loc, "the model has no optimizer (kiln.optimizer)");
  auto kind = attr.getAs<StringAttr>("kind");
  if (!kind)
    return emitError(loc, "kiln.optimizer needs a string 'kind'");
  const OptimizerKind *known = nullptr;
  for (const OptimizerKind &k : kKinds)
    if (k.name == kind.getValue())
      known = &k;
  if (!known)
    return emitError(loc, "unknown optimizer '") << kind.getValue() << "'";
  Optimizer o;
  o.kind = kind.str();
  if (o.kind == "adamw")
    o.weightDecay = 0.004; // Keras' AdamW default
  if (!attr.get("learning_rate"))
    return emitError(loc, "optimizer '") << o.kind << "' needs a learning_rate";
  auto schedule = Schedule::fromAttr(attr.get("learning_rate"), loc);
  if (failed(schedule))
    return failure();
  o.schedule = *schedule;

  for (NamedAttribute entry : attr) {
    StringRef key = entry.getName().getValue();
    if (key == "kind" || key == "learning_rate")
      continue;
    if (!llvm::is_contained(kCommon, key) &&
        !llvm::is_contained(known->parameters, key))
      return emitError(loc, "optimizer '")
             << o.kind << "' has no parameter '" << key << "'";
    if (auto flag = dyn_cast<BoolAttr>(entry.getValue())) {
      (key == "nesterov" ? o.nesterov : o.centered) = flag.getValue();
      continue;
    }
    auto number = dyn_cast<FloatAttr>(entry.getValue());
    if (!number)
      return emitError(loc, "optimizer parameter '") << key
                                                     << "' must be a number";
    double v = number.getValueAsDouble();
    if (v < 0 || ((key == "beta_1" || key == "beta_2" || key == "rho" ||
                   key == "momentum") &&
                  v >= 1))
      return emitError(loc, "optimizer parameter '")
             << key << "' is out of range: " << v;
    if (key == "momentum")
      o.momentum = v;
    else if (key == "beta_1")
      o.beta1 = v;
    else if (key == "beta_2")
      o.beta2 = v;
    else if (key == "epsilon")
      o.epsilon = v;
    else if (key == "rho")
      o.rho = v;
    else if (key == "initial_accumulator_value")
      o.initialAccumulator = v;
    else if (key == "weight_decay")
      o.weightDecay = v;
    else if (key == "clipnorm")
      o.clipNorm = v;
    else if (key == "global_clipnorm")
      o.globalClipNorm = v;
    else if (key == "clipvalue")
      o.clipValue = v;
  }
  return o;
}

SmallVector<std::string> Optimizer::slotNames() const {
  if (kind == "sgd")
    return momentum > 0 ? SmallVector<std::string>{"momentum"}
                        : SmallVector<std::string>{};
  if (kind == "adam" || kind == "adamw")
    return {"m", "v"};
  if (kind == "rmsprop") {
    SmallVector<std::string> names{"velocity"};
    if (momentum > 0)
      names.push_back("momentum");
    if (centered)
      names.push_back("average_gradient");
    return names;
  }
  return {"accumulator"}; // adagrad
}

float Optimizer::slotInitialValue(unsigned index) const {
  return slotNames()[index] == "accumulator" ? initialAccumulator : 0.0f;
}

SmallVector<Value> Optimizer::clipGradients(OpBuilder &b, Location loc,
                                            ValueRange gradients) const {
  SmallVector<Value> result(gradients);
  if (!clipNorm && !globalClipNorm)
    return result;
  auto scalarType = RankedTensorType::get({}, b.getF32Type());
  auto sumOfSquares = [&](Value g) -> Value {
    Value squares = MulOp::create(b, loc, g, g);
    Value total = ReduceSumOp::create(b, loc, squares, b.getDenseI64ArrayAttr({}),
                                      b.getBoolAttr(false));
    return tensor::ExtractOp::create(b, loc, total, ValueRange{});
  };
  // g * clip / max(norm, clip): unchanged when the norm is within the bound.
  auto scaleBy = [&](Value g, Value norm, double bound) -> Value {
    Value limit = f32(b, loc, bound);
    Value factor = arith::DivFOp::create(
        b, loc, limit, arith::MaximumFOp::create(b, loc, norm, limit));
    Value factorTensor =
        tensor::FromElementsOp::create(b, loc, scalarType, ValueRange{factor});
    return MulOp::create(b, loc, g, factorTensor);
  };
  if (clipNorm)
    for (Value &g : result)
      g = scaleBy(g, math::SqrtOp::create(b, loc, sumOfSquares(g)), *clipNorm);
  if (globalClipNorm) {
    Value total = f32(b, loc, 0);
    for (Value g : result)
      total = arith::AddFOp::create(b, loc, total, sumOfSquares(g));
    Value norm = math::SqrtOp::create(b, loc, total);
    for (Value &g : result)
      g = scaleBy(g, norm, *globalClipNorm);
  }
  return result;
}

StepScalars Optimizer::buildStepScalars(OpBuilder &b, Location loc,
                                        Value completedSteps) const {
  StepScalars s;
  s.learningRate = schedule.build(b, loc, completedSteps);
  if (kind == "adam" || kind == "adamw") {
    Value one = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1));
    Value t = arith::SIToFPOp::create(
        b, loc, b.getF32Type(),
        arith::AddIOp::create(b, loc, completedSteps, one));
    auto correction = [&](double beta) -> Value {
      Value power = math::PowFOp::create(b, loc, f32(b, loc, beta), t);
      return arith::SubFOp::create(b, loc, f32(b, loc, 1), power);
    };
    Value ratio = arith::DivFOp::create(
        b, loc, math::SqrtOp::create(b, loc, correction(beta2)),
        correction(beta1));
    s.adamStepSize = arith::MulFOp::create(b, loc, s.learningRate, ratio);
  }
  return s;
}

SmallVector<Value> Optimizer::updateElement(OpBuilder &b, Location loc,
                                            Value p, Value g, ValueRange slots,
                                            const StepScalars &s) const {
  auto c = [&](double v) { return f32(b, loc, v); };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddFOp::create(b, loc, x, y);
  };
  auto sub = [&](Value x, Value y) -> Value {
    return arith::SubFOp::create(b, loc, x, y);
  };
  auto mul = [&](Value x, Value y) -> Value {
    return arith::MulFOp::create(b, loc, x, y);
  };
  auto div = [&](Value x, Value y) -> Value {
    return arith::DivFOp::create(b, loc, x, y);
  };
  auto sqrt = [&](Value x) -> Value { return math::SqrtOp::create(b, loc, x); };
  // decay * slot + (1 - decay) * value: the moving averages.
  auto average = [&](double decay, Value slot, Value value) {
    return add(mul(c(decay), slot), mul(c(1 - decay), value));
  };
  Value lr = s.learningRate;
  if (clipValue)
    g = arith::MaximumFOp::create(
        b, loc, arith::MinimumFOp::create(b, loc, g, c(*clipValue)),
        c(-*clipValue));
  if (weightDecay > 0)
    p = sub(p, mul(p, mul(lr, c(weightDecay))));

  if (kind == "sgd") {
    if (momentum == 0)
      return {sub(p, mul(lr, g))};
    // Keras: v = momentum * v - lr * g; p += v (nesterov: momentum * v - lr * g).
    Value v = sub(mul(c(momentum), slots[0]), mul(lr, g));
    Value step = nesterov ? sub(mul(c(momentum), v), mul(lr, g)) : v;
    return {add(p, step), v};
  }
  if (kind == "adam" || kind == "adamw") {
    Value m = average(beta1, slots[0], g);
    Value v = average(beta2, slots[1], mul(g, g));
    Value update = div(mul(m, s.adamStepSize), add(sqrt(v), c(epsilon)));
    return {sub(p, update), m, v};
  }
  if (kind == "rmsprop") {
    SmallVector<Value> result{Value()};
    Value velocity = average(rho, slots[0], mul(g, g));
    result.push_back(velocity);
    Value denominator = velocity;
    Value averageGradient;
    unsigned next = 1;
    Value oldMomentum = momentum > 0 ? slots[next++] : Value();
    if (centered) {
      averageGradient = average(rho, slots[next], g);
      denominator = sub(denominator, mul(averageGradient, averageGradient));
    }
    Value increment = div(mul(lr, g), sqrt(add(denominator, c(epsilon))));
    if (momentum > 0) {
      Value newMomentum = add(mul(c(momentum), oldMomentum), increment);
      result.push_back(newMomentum);
      increment = newMomentum;
    }
    if (centered)
      result.push_back(averageGradient);
    result[0] = sub(p, increment);
    return result;
  }
  // adagrad
  Value accumulator = add(slots[0], mul(g, g));
  Value update = div(mul(lr, g), sqrt(add(accumulator, c(epsilon))));
  return {sub(p, update), accumulator};
}

ParameterUpdate Optimizer::buildUpdate(OpBuilder &b, Location loc,
                                       Value parameter, Value gradient,
                                       ValueRange slots,
                                       const StepScalars &scalars) const {
  auto type = cast<RankedTensorType>(parameter.getType());
  SmallVector<Value> inputs{parameter, gradient};
  llvm::append_range(inputs, slots);
  SmallVector<Value> inits;
  SmallVector<Type> resultTypes(1 + slots.size(), type);
  for (size_t i = 0; i < resultTypes.size(); ++i)
    inits.push_back(tensor::EmptyOp::create(b, loc, type.getShape(),
                                            type.getElementType()));
  auto identity = AffineMap::getMultiDimIdentityMap(type.getRank(),
                                                    b.getContext());
  SmallVector<AffineMap> maps(inputs.size() + inits.size(), identity);
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultTypes, inputs, inits, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> values = updateElement(
            nb, nl, args[0], args[1], args.slice(2, slots.size()), scalars);
        linalg::YieldOp::create(nb, nl, values);
      });
  ParameterUpdate update;
  update.parameter = generic.getResult(0);
  for (unsigned i = 0; i < slots.size(); ++i)
    update.slots.push_back(generic.getResult(1 + i));
  return update;
}

} // namespace kiln
