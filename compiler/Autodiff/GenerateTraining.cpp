//===- GenerateTraining.cpp - init/train_step/evaluate/predict -----------===//
//
// Turns the user's forward function into the functions a training run
// calls. See the pass description in Transforms/Passes.td.
//
//===----------------------------------------------------------------------===//
#include "Autodiff/BatchNorm.h"
#include "Autodiff/Optimizers.h"
#include "Autodiff/Regularization.h"
#include "Autodiff/ReverseMode.h"
#include "Autodiff/TopKHits.h"
#include "Kiln/IR/KilnModel.h"
#include "Kiln/IR/KilnOps.h"
#include "Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"

namespace kiln {
#define GEN_PASS_DEF_GENERATETRAINING
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// One entry of the training state, in the order of @init's results:
/// parameters, their optimizer slots, buffers, the seed (when random ops
/// need it) and the step counter, always last.
struct StateEntry {
  enum class Kind { Param, Slot, Buffer, Seed, Step };
  Kind kind;
  std::string name;
  Type type;
  /// Param, Buffer: the @forward argument it stands for.
  unsigned forwardArg = 0;
  /// Slot: which of the optimizer's slots.
  unsigned slot = 0;
};

/// The roles of @forward's arguments, by position.
struct ForwardArgs {
  SmallVector<unsigned> inputs, labels, params;
  /// Non-trainable state read by the forward pass (moving statistics).
  SmallVector<unsigned> buffers;
  /// kiln.rng arguments (the seed and step random ops read), if any.
  SmallVector<unsigned> rng;
};

FailureOr<ForwardArgs> classifyArguments(func::FuncOp forward) {
  ForwardArgs args;
  for (unsigned i = 0, e = forward.getNumArguments(); i < e; ++i) {
    if (forward.getArgAttr(i, model::kInputAttr))
      args.inputs.push_back(i);
    else if (forward.getArgAttr(i, model::kLabelAttr))
      args.labels.push_back(i);
    else if (forward.getArgAttr(i, model::kParamAttr))
      args.params.push_back(i);
    else if (forward.getArgAttr(i, model::kBufferAttr))
      args.buffers.push_back(i);
    else if (forward.getArgAttr(i, model::kRngAttr))
      args.rng.push_back(i);
    else
      return forward.emitError("argument #")
             << i << " of @forward is not an input, label or parameter";
  }
  if (args.params.empty())
    return forward.emitError("the model has no parameters to train");
  return args;
}

StringRef nameOf(func::FuncOp func, unsigned arg) {
  for (StringRef attr : {model::kInputAttr, model::kLabelAttr,
                         model::kParamAttr, model::kBufferAttr})
    if (auto name = func.getArgAttrOfType<StringAttr>(arg, attr))
      return name.getValue();
  return "";
}

class GenerateTrainingPass
    : public kiln::impl::GenerateTrainingBase<GenerateTrainingPass> {
public:
  void runOnOperation() override;

private:
  /// Creates an empty function with an entry block at the module's end.
  func::FuncOp createFunction(StringRef name, TypeRange args,
                              TypeRange results, Location loc);
  /// Clones @forward's body (without its return) into `builder`, with
  /// `mapping` already giving the new values of @forward's arguments.
  /// Ops with a mode take it here: outside training dropout is the identity
  /// and batch_norm uses its moving statistics; in training, batch_norm's
  /// new moving statistics are recorded in `bufferUpdates` under the
  /// @forward arguments they replace.
  void cloneBody(OpBuilder &builder, IRMapping &mapping,
                 ArrayRef<Operation *> ops, bool training,
                 DenseMap<Value, Value> *bufferUpdates = nullptr);
  /// Arguments of @evaluate/@predict for the parameters and buffers, which
  /// read the state, mapped in `mapping`; returns where the next goes.
  unsigned addStateReads(func::FuncOp func, IRMapping &mapping);

  LogicalResult buildInit(ArrayRef<StateEntry> state,
                          const Optimizer &optimizer);
  LogicalResult buildTrainStep(ArrayRef<StateEntry> state,
                               const Optimizer &optimizer);
  LogicalResult buildEvaluate();
  /// `loss` plus the module's regularization penalties on `params` (the
  /// values standing for @forward's parameters in the function being built).
  FailureOr<Value> regularizedLoss(OpBuilder &b, Value loss,
                                   ValueRange params);
  LogicalResult buildPredict();

  func::FuncOp forward;
  ForwardArgs args;
};

} // namespace

func::FuncOp GenerateTrainingPass::createFunction(StringRef name,
                                                  TypeRange argTypes,
                                                  TypeRange resultTypes,
                                                  Location loc) {
  ModuleOp module = getOperation();
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto type = builder.getFunctionType(argTypes, resultTypes);
  auto func = func::FuncOp::create(builder, loc, name, type);
  func.addEntryBlock();
  return func;
}

void GenerateTrainingPass::cloneBody(OpBuilder &builder, IRMapping &mapping,
                                     ArrayRef<Operation *> ops, bool training,
                                     DenseMap<Value, Value> *bufferUpdates) {
  for (Operation *op : ops) {
    if (auto dropout = dyn_cast<DropoutOp>(op); dropout && !training) {
      mapping.map(dropout.getResult(), mapping.lookup(dropout.getX()));
      continue;
    }
    if (auto norm = dyn_cast<BatchNormOp>(op)) {
      SmallVector<Value> operands;
      for (Value operand : norm->getOperands())
        operands.push_back(mapping.lookup(operand));
      if (!training) {
        mapping.map(norm.getResult(),
                    expandBatchNormInference(builder, norm, operands));
        continue;
      }
      BatchNormTraining expanded =
          expandBatchNormTraining(builder, norm, operands);
      mapping.map(norm.getResult(), expanded.output);
      (*bufferUpdates)[norm.getMovingMean()] = expanded.movingMean;
      (*bufferUpdates)[norm.getMovingVariance()] = expanded.movingVariance;
      continue;
    }
    builder.clone(*op, mapping);
  }
}

unsigned GenerateTrainingPass::addStateReads(func::FuncOp func,
                                             IRMapping &mapping) {
  unsigned k = 0;
  for (unsigned i : args.params) {
    mapping.map(forward.getArgument(i), func.getArgument(k));
    func.setArgAttr(k++, model::kParamAttr,
                    forward.getArgAttr(i, model::kParamAttr));
  }
  for (unsigned i : args.buffers) {
    mapping.map(forward.getArgument(i), func.getArgument(k));
    func.setArgAttr(k++, model::kStateAttr,
                    StringAttr::get(&getContext(), nameOf(forward, i)));
  }
  return k;
}

/// The ops of @forward's body without its terminator.
static SmallVector<Operation *> bodyOps(func::FuncOp func) {
  SmallVector<Operation *> ops;
  for (Operation &op : func.getBody().front().without_terminator())
    ops.push_back(&op);
  return ops;
}

static Value forwardResult(func::FuncOp forward, unsigned index) {
  return forward.getBody().front().getTerminator()->getOperand(index);
}

FailureOr<Value> GenerateTrainingPass::regularizedLoss(OpBuilder &b,
                                                      Value loss,
                                                      ValueRange params) {
  SmallVector<NamedParameter> named;
  for (auto [k, arg] : llvm::enumerate(args.params))
    named.push_back({nameOf(forward, arg), params[k]});
  return addRegularization(
      b, forward.getLoc(), loss,
      getOperation()->getAttrOfType<ArrayAttr>(model::kRegularizationAttr),
      named);
}

LogicalResult GenerateTrainingPass::buildInit(ArrayRef<StateEntry> state,
                                              const Optimizer &optimizer) {
  Location loc = forward.getLoc();
  SmallVector<Type> types;
  for (const StateEntry &entry : state)
    types.push_back(entry.type);
  OpBuilder b(&getContext());
  func::FuncOp init = createFunction(model::kInitFunc, {b.getI64Type()},
                                     types, loc);
  b.setInsertionPointToStart(&init.getBody().front());
  Value seed = init.getArgument(0);

  SmallVector<Value> values;
  for (auto [index, entry] : llvm::enumerate(state)) {
    auto type = cast<RankedTensorType>(entry.type);
    switch (entry.kind) {
    case StateEntry::Kind::Step:
      values.push_back(arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, ArrayRef<int64_t>{0})));
      continue;
    case StateEntry::Kind::Seed:
      values.push_back(
          tensor::FromElementsOp::create(b, loc, type, ValueRange{seed}));
      continue;
    case StateEntry::Kind::Slot:
      values.push_back(ConstantOp::create(
          b, loc, type, optimizer.slotInitialValue(entry.slot)));
      continue;
    case StateEntry::Kind::Param:
    case StateEntry::Kind::Buffer:
      break;
    }
    // Parameters and buffers start from their kiln.init; the random stream
    // is the entry's position, so each draws independently.
    unsigned arg = entry.forwardArg;
    Location paramLoc = forward.getArgument(arg).getLoc();
    auto spec = forward.getArgAttrOfType<DictionaryAttr>(arg, model::kInitAttr);
    auto kind = spec ? spec.getAs<StringAttr>("kind") : StringAttr();
    auto number = [&](StringRef key) -> FloatAttr {
      return spec.getAs<FloatAttr>(key);
    };
    auto stream = b.getI64IntegerAttr(index);
    if (kind && kind == "uniform" && number("low") && number("high")) {
      values.push_back(RandomUniformOp::create(
          b, paramLoc, type, seed, stream, b.getF32FloatAttr(
              number("low").getValueAsDouble()),
          b.getF32FloatAttr(number("high").getValueAsDouble())));
    } else if (kind && kind == "normal" && number("mean") &&
               number("stddev")) {
      values.push_back(RandomNormalOp::create(
          b, paramLoc, type, seed, stream,
          b.getF32FloatAttr(number("mean").getValueAsDouble()),
          b.getF32FloatAttr(number("stddev").getValueAsDouble())));
    } else if (kind && kind == "constant" && number("value")) {
      values.push_back(ConstantOp::create(
          b, paramLoc, type, (float)number("value").getValueAsDouble()));
    } else {
      return emitError(paramLoc, entry.kind == StateEntry::Kind::Param
                                     ? "parameter '"
                                     : "buffer '")
             << entry.name << "' has no valid kiln.init initializer";
    }
  }
  func::ReturnOp::create(b, loc, values);
  for (auto [i, entry] : llvm::enumerate(state))
    init.setResultAttr(i, model::kStateAttr, b.getStringAttr(entry.name));
  return success();
}

LogicalResult
GenerateTrainingPass::buildTrainStep(ArrayRef<StateEntry> state,
                                     const Optimizer &optimizer) {
  Location loc = forward.getLoc();
  OpBuilder b(&getContext());
  SmallVector<Type> argTypes, resultTypes;
  for (const StateEntry &entry : state)
    argTypes.push_back(entry.type);
  for (unsigned i : llvm::concat<unsigned>(args.inputs, args.labels))
    argTypes.push_back(forward.getArgument(i).getType());
  resultTypes.push_back(forwardResult(forward, 0).getType());
  for (const StateEntry &entry : state)
    resultTypes.push_back(entry.type);

  func::FuncOp step = createFunction(model::kTrainStepFunc, argTypes,
                                     resultTypes, loc);
  Block &body = step.getBody().front();
  b.setInsertionPointToStart(&body);

  // State arguments come first, in the order of `state`.
  IRMapping mapping;
  SmallVector<Value> params;
  Value seedArg, stepArg;
  for (auto [k, entry] : llvm::enumerate(state)) {
    Value arg = step.getArgument(k);
    if (entry.kind == StateEntry::Kind::Param)
      params.push_back(arg);
    if (entry.kind == StateEntry::Kind::Param ||
        entry.kind == StateEntry::Kind::Buffer)
      mapping.map(forward.getArgument(entry.forwardArg), arg);
    if (entry.kind == StateEntry::Kind::Seed)
      seedArg = arg;
    if (entry.kind == StateEntry::Kind::Step)
      stepArg = arg;
  }
  unsigned next = state.size();
  for (unsigned i : llvm::concat<unsigned>(args.inputs, args.labels)) {
    mapping.map(forward.getArgument(i), step.getArgument(next));
    step.setArgAttrs(next, forward.getArgAttrDict(i));
    ++next;
  }
  // Random ops see the run's seed and the number of completed steps.
  for (unsigned i : args.rng) {
    bool isSeed =
        forward.getArgAttrOfType<StringAttr>(i, model::kRngAttr) == "seed";
    mapping.map(forward.getArgument(i),
                tensor::ExtractOp::create(b, loc, isSeed ? seedArg : stepArg,
                                          ValueRange{}));
  }
  DenseMap<Value, Value> bufferUpdates;
  cloneBody(b, mapping, bodyOps(forward), /*training=*/true, &bufferUpdates);
  auto loss = regularizedLoss(b, mapping.lookup(forwardResult(forward, 0)),
                              params);
  if (failed(loss))
    return failure();

  auto gradients = buildGradients(b, body, *loss, params);
  if (failed(gradients))
    return failure();
  SmallVector<Value> clipped = optimizer.clipGradients(b, loc, *gradients);

  // Step counter: `count` updates are done; this is the next one.
  Value oldStep = stepArg;
  Value count = tensor::ExtractOp::create(b, loc, oldStep, ValueRange{});
  Value one = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1));
  Value newCount = arith::AddIOp::create(b, loc, count, one);
  Value newStep = tensor::FromElementsOp::create(
      b, loc, oldStep.getType(), ValueRange{newCount});

  StepScalars scalars = optimizer.buildStepScalars(b, loc, count);
  unsigned numParams = params.size();
  unsigned slotsPerParam = optimizer.slotNames().size();
  SmallVector<Value> newParams, newSlots;
  for (unsigned k = 0; k < numParams; ++k) {
    ValueRange slots = step.getArguments().slice(
        numParams + k * slotsPerParam, slotsPerParam);
    ParameterUpdate update = optimizer.buildUpdate(
        b, params[k].getLoc(), params[k], clipped[k], slots, scalars);
    newParams.push_back(update.parameter);
    llvm::append_range(newSlots, update.slots);
  }

  // The new state, entry by entry; what nothing updates is passed through.
  SmallVector<Value> results{*loss};
  unsigned nextParam = 0, nextSlot = 0;
  for (auto [k, entry] : llvm::enumerate(state)) {
    switch (entry.kind) {
    case StateEntry::Kind::Param:
      results.push_back(newParams[nextParam++]);
      break;
    case StateEntry::Kind::Slot:
      results.push_back(newSlots[nextSlot++]);
      break;
    case StateEntry::Kind::Buffer: {
      Value updated =
          bufferUpdates.lookup(forward.getArgument(entry.forwardArg));
      results.push_back(updated ? updated : step.getArgument(k));
      break;
    }
    case StateEntry::Kind::Seed:
      results.push_back(step.getArgument(k));
      break;
    case StateEntry::Kind::Step:
      results.push_back(newStep);
      break;
    }
  }
  func::ReturnOp::create(b, loc, results);

  step.setResultAttr(0, model::kResultAttr, b.getStringAttr("loss"));
  for (auto [i, entry] : llvm::enumerate(state)) {
    step.setArgAttr(i, model::kStateAttr, b.getStringAttr(entry.name));
    step.setResultAttr(i + 1, model::kStateAttr, b.getStringAttr(entry.name));
  }
  return success();
}

LogicalResult GenerateTrainingPass::buildEvaluate() {
  // @evaluate is @forward with the state it reads (parameters, buffers)
  // moved first, as in @predict.
  OpBuilder b(&getContext());
  SmallVector<unsigned> order(args.params);
  llvm::append_range(order, args.buffers);
  llvm::append_range(order, args.inputs);
  llvm::append_range(order, args.labels);
  SmallVector<Type> argTypes;
  for (unsigned i : order)
    argTypes.push_back(forward.getArgument(i).getType());
  SmallVector<Type> resultTypes(forward.getFunctionType().getResults());
  auto topK = getOperation()->getAttrOfType<IntegerAttr>(model::kTopKAttr);
  if (topK)
    resultTypes.push_back(RankedTensorType::get({}, b.getF32Type()));
  func::FuncOp eval = createFunction(model::kEvaluateFunc, argTypes,
                                     resultTypes, forward.getLoc());
  b.setInsertionPointToStart(&eval.getBody().front());
  IRMapping mapping;
  unsigned next = addStateReads(eval, mapping);
  for (unsigned i : llvm::concat<unsigned>(args.inputs, args.labels)) {
    mapping.map(forward.getArgument(i), eval.getArgument(next));
    eval.setArgAttrs(next++, forward.getArgAttrDict(i));
  }
  cloneBody(b, mapping, bodyOps(forward), /*training=*/false);
  // The evaluated loss includes the penalties, as in training (and Keras).
  auto loss = regularizedLoss(b, mapping.lookup(forwardResult(forward, 0)),
                              eval.getArguments().take_front(
                                  args.params.size()));
  if (failed(loss))
    return failure();
  Value output = mapping.lookup(forwardResult(forward, 1));
  SmallVector<Value> results{*loss, output};
  // top_k_accuracy(k): the batch's hits, counted beside the loss.
  if (topK) {
    SmallVector<Value> labels;
    for (unsigned i : args.labels)
      labels.push_back(mapping.lookup(forward.getArgument(i)));
    Value hits =
        buildTopKHits(b, forward.getLoc(), output, labels, topK.getInt());
    if (!hits)
      return emitError(output.getLoc(), "top_k_accuracy needs an output of "
                                        "[batch, labels x classes] scores");
    results.push_back(hits);
  }
  func::ReturnOp::create(b, forward.getLoc(), results);
  for (unsigned r = 0; r < 2; ++r)
    eval.setResultAttrs(r, forward.getResultAttrDict(r));
  if (topK)
    eval.setResultAttr(2, model::kResultAttr,
                       b.getStringAttr(model::kTopKHitsResult));
  return success();
}

LogicalResult GenerateTrainingPass::buildPredict() {
  Value output = forwardResult(forward, 1);
  // Keep only the ops the output is computed from.
  DenseSet<Value> wanted{output};
  SmallVector<Operation *> kept;
  SmallVector<Operation *> ops = bodyOps(forward);
  for (Operation *op : llvm::reverse(ops)) {
    if (llvm::none_of(op->getResults(),
                      [&](Value v) { return wanted.contains(v); }))
      continue;
    kept.push_back(op);
    wanted.insert(op->operand_begin(), op->operand_end());
  }
  std::reverse(kept.begin(), kept.end());
  for (unsigned label : args.labels)
    if (wanted.contains(forward.getArgument(label)))
      return emitError(output.getLoc(), "output '")
             << forward.getResultAttrOfType<StringAttr>(1, model::kResultAttr)
                    .getValue()
             << "' must not depend on the label '" << nameOf(forward, label)
             << "'";

  OpBuilder b(&getContext());
  SmallVector<unsigned> order(args.params);
  llvm::append_range(order, args.buffers);
  llvm::append_range(order, args.inputs);
  SmallVector<Type> argTypes;
  for (unsigned i : order)
    argTypes.push_back(forward.getArgument(i).getType());
  func::FuncOp predict = createFunction(model::kPredictFunc, argTypes,
                                        {output.getType()}, forward.getLoc());
  b.setInsertionPointToStart(&predict.getBody().front());
  IRMapping mapping;
  unsigned next = addStateReads(predict, mapping);
  for (unsigned i : args.inputs) {
    mapping.map(forward.getArgument(i), predict.getArgument(next));
    predict.setArgAttrs(next++, forward.getArgAttrDict(i));
  }
  cloneBody(b, mapping, kept, /*training=*/false);
  func::ReturnOp::create(b, forward.getLoc(), mapping.lookup(output));
  predict.setResultAttrs(0, forward.getResultAttrDict(1));
  return success();
}

void GenerateTrainingPass::runOnOperation() {
  ModuleOp module = getOperation();
  forward = module.lookupSymbol<func::FuncOp>(model::kForwardFunc);
  if (!forward) {
    module.emitError("no @forward function to train");
    return signalPassFailure();
  }
  if (forward.getNumResults() != 2) {
    forward.emitError("@forward must return (loss, output)");
    return signalPassFailure();
  }
  auto classified = classifyArguments(forward);
  auto optimizer = Optimizer::fromAttr(
      module->getAttrOfType<DictionaryAttr>(model::kOptimizerAttr),
      forward.getLoc());
  if (failed(classified) || failed(optimizer))
    return signalPassFailure();
  args = *classified;

  // Training state: parameters, their optimizer slots, buffers, the seed
  // (when random ops need it) and the step.
  using Kind = StateEntry::Kind;
  SmallVector<StateEntry> state;
  for (unsigned i : args.params)
    state.push_back({Kind::Param, nameOf(forward, i).str(),
                     forward.getArgument(i).getType(), i});
  for (unsigned i : args.params)
    for (auto [slot, slotName] : llvm::enumerate(optimizer->slotNames()))
      state.push_back({Kind::Slot, (nameOf(forward, i) + "/" + slotName).str(),
                       forward.getArgument(i).getType(), i, (unsigned)slot});
  for (unsigned i : args.buffers)
    state.push_back({Kind::Buffer, nameOf(forward, i).str(),
                     forward.getArgument(i).getType(), i});
  auto i64Scalar = RankedTensorType::get({}, IntegerType::get(&getContext(), 64));
  if (!args.rng.empty())
    state.push_back({Kind::Seed, model::kSeedState.str(), i64Scalar});
  state.push_back({Kind::Step, model::kStepState.str(), i64Scalar});

  if (failed(buildInit(state, *optimizer)) ||
      failed(buildTrainStep(state, *optimizer)) || failed(buildPredict()) ||
      failed(buildEvaluate()))
    return signalPassFailure();
  forward.erase();
}
