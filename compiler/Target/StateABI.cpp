//===- StateABI.cpp - Flat training state and buffer function ABI --------===//
//
// See the pass description in Transforms/Passes.td. Each generated tensor
// function F becomes `<model>_F_impl`, whose body is F's body between
// `to_tensor` of its buffer arguments and `materialize_in_destination` of its
// results, so one-shot bufferization writes results straight into place.
//
//===----------------------------------------------------------------------===//
#include "Kiln/IR/KilnModel.h"
#include "Target/CInterface.h"
#include "Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/StringMap.h"

namespace kiln {
#define GEN_PASS_DEF_LOWERTOSTATEABI
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

constexpr int64_t kStateAlignment = 64;

struct StateSlot {
  int64_t offset;
  RankedTensorType type;
};

class LowerToStateABIPass
    : public kiln::impl::LowerToStateABIBase<LowerToStateABIPass> {
public:
  void runOnOperation() override;

private:
  LogicalResult layOutState(func::FuncOp init);
  LogicalResult lowerFunction(func::FuncOp func, StringRef modelName);
  /// The state entry an argument or result names through kiln.state or
  /// kiln.param, or null.
  StringAttr stateName(DictionaryAttr attrs) const;

  llvm::StringMap<StateSlot> slots;
};

} // namespace

StringAttr LowerToStateABIPass::stateName(DictionaryAttr attrs) const {
  if (!attrs)
    return {};
  if (auto name = attrs.getAs<StringAttr>(model::kStateAttr))
    return name;
  return attrs.getAs<StringAttr>(model::kParamAttr);
}

LogicalResult LowerToStateABIPass::layOutState(func::FuncOp init) {
  ModuleOp module = getOperation();
  Builder b(&getContext());
  SmallVector<Attribute> layout;
  int64_t offset = 0;
  for (unsigned i = 0, e = init.getNumResults(); i < e; ++i) {
    StringAttr name = stateName(init.getResultAttrDict(i));
    auto type = dyn_cast<RankedTensorType>(init.getResultTypes()[i]);
    if (!name || !type || !type.hasStaticShape())
      return init.emitError("result #")
             << i << " of @init is not a statically shaped state entry";
    offset = llvm::alignTo(offset, kStateAlignment);
    slots[name.getValue()] = {offset, type};
    int64_t bytes =
        type.getNumElements() * (type.getElementTypeBitWidth() / 8);
    layout.push_back(b.getDictionaryAttr({
        b.getNamedAttr("name", name),
        b.getNamedAttr("offset", b.getI64IntegerAttr(offset)),
        b.getNamedAttr("shape", b.getDenseI64ArrayAttr(type.getShape())),
        b.getNamedAttr("dtype", TypeAttr::get(type.getElementType())),
    }));
    offset += bytes;
  }
  module->setAttr(model::kStateLayoutAttr, b.getArrayAttr(layout));
  module->setAttr(model::kStateSizeAttr,
                  b.getI64IntegerAttr(llvm::alignTo(offset, kStateAlignment)));
  return success();
}

LogicalResult LowerToStateABIPass::lowerFunction(func::FuncOp func,
                                                 StringRef modelName) {
  MLIRContext *context = &getContext();
  OpBuilder b(context);
  Location loc = func.getLoc();
  auto bufferOf = [](Type type) {
    auto tensor = cast<RankedTensorType>(type);
    return MemRefType::get(tensor.getShape(), tensor.getElementType());
  };

  // Impl arguments: state, then inputs/labels, then outputs, then scalars.
  SmallVector<Type> argTypes{MemRefType::get({ShapedType::kDynamic},
                                             b.getI8Type())};
  bool writesState = llvm::any_of(
      llvm::seq(func.getNumResults()),
      [&](unsigned r) { return bool(stateName(func.getResultAttrDict(r))); });
  SmallVector<Attribute> roles{abiRole(
      b, CRole::State, writesState ? kMutableStateName : kConstStateName, {})};
  SmallVector<unsigned> bufferArgs, scalarArgs, outputResults;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    DictionaryAttr attrs = func.getArgAttrDict(i);
    Type type = func.getArgumentTypes()[i];
    if (stateName(attrs))
      continue;
    if (!isa<RankedTensorType>(type)) {
      scalarArgs.push_back(i);
      continue;
    }
    bufferArgs.push_back(i);
    argTypes.push_back(bufferOf(type));
    bool isLabel = attrs && attrs.get(model::kLabelAttr);
    StringAttr name = attrs ? attrs.getAs<StringAttr>(
                                  isLabel ? model::kLabelAttr
                                          : model::kInputAttr)
                            : StringAttr();
    auto tensor = cast<RankedTensorType>(type);
    roles.push_back(abiRole(b, isLabel ? CRole::Label : CRole::Input,
                            name ? name.getValue() : "", tensor.getShape(),
                            tensor.getElementType().isInteger(32) ? "i32"
                                                                  : "f32"));
  }
  for (unsigned r = 0, e = func.getNumResults(); r < e; ++r) {
    DictionaryAttr attrs = func.getResultAttrDict(r);
    if (stateName(attrs))
      continue;
    outputResults.push_back(r);
    auto type = cast<RankedTensorType>(func.getResultTypes()[r]);
    argTypes.push_back(bufferOf(type));
    auto name = attrs ? attrs.getAs<StringAttr>(model::kResultAttr)
                      : StringAttr();
    StringRef resultName = name ? name.getValue() : "";
    CRole role = resultName == "loss"                   ? CRole::Loss
                 : resultName == model::kTopKHitsResult ? CRole::Metric
                                                        : CRole::Output;
    roles.push_back(abiRole(b, role, resultName, type.getShape()));
  }
  for (unsigned i : scalarArgs) {
    argTypes.push_back(func.getArgumentTypes()[i]);
    roles.push_back(abiRole(b, CRole::Scalar, "seed", {}));
  }

  std::string implName = implFunctionName(modelName, func.getSymName());
  b.setInsertionPoint(func);
  auto impl = func::FuncOp::create(b, loc, implName,
                                   b.getFunctionType(argTypes, {}));
  impl.setPrivate();
  impl->setAttr(kCInterfaceRolesAttr, b.getArrayAttr(roles));
  Block *body = impl.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value state = impl.getArgument(0);

  // A typed view of the state entry `name`.
  auto stateView = [&](StringAttr name, Location where) -> FailureOr<Value> {
    auto it = slots.find(name.getValue());
    if (it == slots.end())
      return emitError(where, "no state entry named '")
             << name.getValue() << "'";
    Value shift = arith::ConstantIndexOp::create(b, where, it->second.offset);
    return memref::ViewOp::create(b, where, bufferOf(it->second.type), state,
                                  shift, ValueRange{})
        .getResult();
  };

  IRMapping mapping;
  unsigned nextArg = 1;
  DenseMap<unsigned, unsigned> bufferArgIndex;
  for (unsigned i : bufferArgs)
    bufferArgIndex[i] = nextArg++;
  unsigned firstOutputArg = nextArg;
  unsigned firstScalarArg = firstOutputArg + outputResults.size();
  for (auto [k, i] : llvm::enumerate(scalarArgs))
    mapping.map(func.getArgument(i), impl.getArgument(firstScalarArg + k));

  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    Value arg = func.getArgument(i);
    if (StringAttr name = stateName(func.getArgAttrDict(i))) {
      auto view = stateView(name, arg.getLoc());
      if (failed(view))
        return failure();
      // Only functions that update the state may write into it.
      mapping.map(arg, bufferization::ToTensorOp::create(
                           b, loc, arg.getType(), *view, b.getUnitAttr(),
                           writesState ? b.getUnitAttr() : UnitAttr()));
    } else if (bufferArgIndex.count(i)) {
      mapping.map(arg, bufferization::ToTensorOp::create(
                           b, loc, arg.getType(),
                           impl.getArgument(bufferArgIndex[i]),
                           b.getUnitAttr(), UnitAttr()));
    }
  }

  Block &source = func.getBody().front();
  for (Operation &op : source.without_terminator())
    b.clone(op, mapping);
  Operation *terminator = source.getTerminator();
  unsigned nextOutput = firstOutputArg;
  for (unsigned r = 0, e = func.getNumResults(); r < e; ++r) {
    Value result = mapping.lookupOrDefault(terminator->getOperand(r));
    Value destination;
    if (StringAttr name = stateName(func.getResultAttrDict(r))) {
      auto view = stateView(name, loc);
      if (failed(view))
        return failure();
      destination = *view;
    } else {
      destination = impl.getArgument(nextOutput++);
    }
    bufferization::MaterializeInDestinationOp::create(
        b, loc, TypeRange{}, result, destination, /*restrict=*/true,
        /*writable=*/true);
  }
  func::ReturnOp::create(b, loc);
  return success();
}

void LowerToStateABIPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto init = module.lookupSymbol<func::FuncOp>(model::kInitFunc);
  if (!init) {
    module.emitError("no @init function: run kiln-generate-training first");
    return signalPassFailure();
  }
  StringRef modelName = module.getSymName().value_or("model");
  if (failed(layOutState(init)))
    return signalPassFailure();
  for (StringRef name : {model::kInitFunc, model::kTrainStepFunc,
                         model::kEvaluateFunc, model::kPredictFunc}) {
    auto func = module.lookupSymbol<func::FuncOp>(name);
    if (!func)
      continue;
    if (failed(lowerFunction(func, modelName)))
      return signalPassFailure();
    func.erase();
  }
}
