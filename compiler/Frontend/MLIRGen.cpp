//===- MLIRGen.cpp - .kiln AST to the kiln dialect ------------------------===//
#include "Frontend/MLIRGen.h"

#include "Frontend/ExprEval.h"
#include "Frontend/RecipeGen.h"

#include "Kiln/IR/KilnModel.h"
#include "Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>

using namespace mlir;

namespace kiln {
namespace {

/// Fan-in and fan-out of a weight shape, as Keras computes them.
std::pair<double, double> fans(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return {1, 1};
  if (shape.size() == 1)
    return {(double)shape[0], (double)shape[0]};
  double receptive = 1;
  for (int64_t d : shape.drop_back(2))
    receptive *= d;
  return {shape[shape.size() - 2] * receptive, shape.back() * receptive};
}

class Generator {
public:
  Generator(MLIRContext &context, llvm::SourceMgr &sourceMgr,
            const ast::Module &module, TrainingRecipe &recipe)
      : builder(&context), sourceMgr(sourceMgr), module(module),
        recipe(recipe) {}

  OwningOpRef<ModuleOp> generate();

private:
  Location loc(llvm::SMLoc where) {
    auto [line, col] = sourceMgr.getLineAndColumn(where);
    StringRef file = sourceMgr
                         .getMemoryBuffer(sourceMgr.FindBufferContainingLoc(
                             where))
                         ->getBufferIdentifier();
    return FileLineColLoc::get(builder.getStringAttr(file), line, col);
  }
  InFlightDiagnostic error(llvm::SMLoc where) { return emitError(loc(where)); }
  /// `error` as the callback the shared evaluation helpers take.
  std::function<InFlightDiagnostic(llvm::SMLoc)> errorFn() {
    return [this](llvm::SMLoc where) { return error(where); };
  }

  FailureOr<RankedTensorType> tensorType(const ast::TensorType &type,
                                         bool allowBatch);
  FailureOr<DictionaryAttr> initializer(const ast::ParamDecl &param,
                                        RankedTensorType type);
  FailureOr<Value> expression(const ast::Expr &expr);
  FailureOr<Value> call(const ast::CallExpr &call);
  FailureOr<Value> f32Operand(const ast::Expr &expr);
  
  OpBuilder builder;
  llvm::SourceMgr &sourceMgr;
  const ast::Module &module;
  TrainingRecipe &recipe;
  llvm::StringMap<Value> symbols;
};

FailureOr<RankedTensorType>
Generator::tensorType(const ast::TensorType &type, bool allowBatch) {
  SmallVector<int64_t> shape;
  for (auto [i, d] : llvm::enumerate(type.shape)) {
    if (d != ast::kDynamicDim) {
      shape.push_back(d);
      continue;
    }
    if (!allowBatch)
      return error(type.loc) << "parameters need a static shape; '?' is only "
                                "allowed for the batch dimension of inputs";
    if (i != 0)
      return error(type.loc) << "only the first (batch) dimension may be '?'";
    shape.push_back(ShapedType::kDynamic);
  }
  Type element = type.elementType == ast::ElementType::F32
                     ? Type(builder.getF32Type())
                     : Type(builder.getI32Type());
  return RankedTensorType::get(shape, element);
}

FailureOr<DictionaryAttr>
Generator::initializer(const ast::ParamDecl &param, RankedTensorType type) {
  auto dict = [&](StringRef kind,
                  ArrayRef<std::pair<StringRef, double>> values) {
    SmallVector<NamedAttribute> attrs{
        builder.getNamedAttr("kind", builder.getStringAttr(kind))};
    for (auto [key, value] : values)
      attrs.push_back(builder.getNamedAttr(key, builder.getF32FloatAttr(value)));
    return builder.getDictionaryAttr(attrs);
  };
  const ast::Expr &init = *param.init;
  if (isa<ast::NumberExpr, ast::UnaryExpr>(init)) {
    auto value = evaluateNumber(init, errorFn());
    if (failed(value))
      return failure();
    return dict("constant", {{"value", *value}});
  }
  StringRef name;
  const ast::CallExpr *call = dyn_cast<ast::CallExpr>(&init);
  if (auto *bare = dyn_cast<ast::NameExpr>(&init))
    name = bare->name;
  else if (call)
    name = call->callee;
  else
    return error(init.getLoc()) << "expected an initializer such as "
                                   "glorot_uniform, zeros or normal(stddev = 0.1)";
  // Keyword arguments of parameterized initializers, with Keras defaults.
  auto number = [&](StringRef key, double fallback) -> FailureOr<double> {
    const ast::Expr *value = call ? findKeyword(*call, key) : nullptr;
    return value ? evaluateNumber(*value, errorFn()) : FailureOr<double>(fallback);
  };
  auto allow = [&](ArrayRef<StringRef> keys) -> LogicalResult {
    if (call && !call->args.empty())
      return error(call->args.front()->getLoc())
             << "initializer '" << name << "' takes keyword arguments only";
    return call ? checkKeywords(*call, keys, errorFn())
                : success();
  };
  auto [fanIn, fanOut] = fans(type.getShape());
  if (name == "zeros" || name == "ones") {
    if (failed(allow({})))
      return failure();
    return dict("constant", {{"value", name == "ones" ? 1.0 : 0.0}});
  }
  if (name == "constant") {
    auto value = number("value", 0.0);
    if (failed(allow({"value"})) || failed(value))
      return failure();
    return dict("constant", {{"value", *value}});
  }
  if (name == "uniform") {
    auto low = number("low", -0.05), high = number("high", 0.05);
    if (failed(allow({"low", "high"})) || failed(low) || failed(high))
      return failure();
    if (*low >= *high)
      return error(init.getLoc()) << "uniform needs low < high";
    return dict("uniform", {{"low", *low}, {"high", *high}});
  }
  if (name == "normal") {
    auto mean = number("mean", 0.0), stddev = number("stddev", 0.05);
    if (failed(allow({"mean", "stddev"})) || failed(mean) || failed(stddev))
      return failure();
    if (*stddev <= 0)
      return error(init.getLoc()) << "normal needs stddev > 0";
    return dict("normal", {{"mean", *mean}, {"stddev", *stddev}});
  }
  if (failed(allow({})))
    return failure();
  if (name == "glorot_uniform" || name == "he_uniform") {
    double limit = name == "glorot_uniform" ? std::sqrt(6.0 / (fanIn + fanOut))
                                            : std::sqrt(6.0 / fanIn);
    return dict("uniform", {{"low", -limit}, {"high", limit}});
  }
  if (name == "glorot_normal" || name == "he_normal") {
    double stddev = name == "glorot_normal" ? std::sqrt(2.0 / (fanIn + fanOut))
                                            : std::sqrt(2.0 / fanIn);
    return dict("normal", {{"mean", 0.0}, {"stddev", stddev}});
  }
  return error(init.getLoc())
         << "unknown initializer '" << name
         << "' (expected zeros, ones, constant, uniform, normal, "
            "glorot_uniform, glorot_normal, he_uniform or he_normal)";
}

FailureOr<Value> Generator::f32Operand(const ast::Expr &expr) {
  auto value = expression(expr);
  if (failed(value))
    return failure();
  auto type = cast<RankedTensorType>(value->getType());
  if (!type.getElementType().isF32())
    return error(expr.getLoc())
           << "expected an f32 tensor, got " << formatUserType(type);
  return value;
}

/// Creates a kiln op whose result type the op infers, after checking the
/// shape rule at the user's location (so a bad program is an error, not a
/// failed build).
template <typename OpT, typename... Args>
static FailureOr<Value> createInferred(OpBuilder &b, Location loc,
                                       Args &&...args) {
  // Build with a placeholder result type (the inferring builder would abort
  // on a shape error), then infer the real one.
  OperationState state(loc, OpT::getOperationName());
  OpT::build(b, state, b.getNoneType(), std::forward<Args>(args)...);
  state.types.clear();
  SmallVector<Type> types;
  if (failed(OpT::inferReturnTypes(b.getContext(), loc, state.operands,
                                   state.attributes.getDictionary(
                                       b.getContext()),
                                   state.getRawProperties(), state.regions,
                                   types)))
    return failure();
  state.addTypes(types);
  return b.create(state)->getResult(0);
}

FailureOr<Value> Generator::call(const ast::CallExpr &call) {
  Location where = loc(call.getLoc());
  StringRef name = call.callee;
  auto arity = [&](size_t expected) -> LogicalResult {
    if (call.args.size() == expected)
      return success();
    return error(call.getLoc()) << "'" << name << "' expects " << expected
                                << " positional argument"
                                << (expected == 1 ? "" : "s") << ", got "
                                << call.args.size();
  };
  auto flag = [&](StringRef key) -> FailureOr<bool> {
    const ast::Expr *value = findKeyword(call, key);
    return value ? evaluateFlag(*value, errorFn()) : FailureOr<bool>(false);
  };
  auto keywords = [&](ArrayRef<StringRef> allowed) {
    return checkKeywords(call, allowed, errorFn());
  };

  if (name == "matmul") {
    if (failed(arity(2)) || failed(keywords({"transpose_a", "transpose_b"})))
      return failure();
    auto a = f32Operand(*call.args[0]);
    auto b = succeeded(a) ? f32Operand(*call.args[1]) : FailureOr<Value>();
    auto ta = flag("transpose_a"), tb = flag("transpose_b");
    if (failed(a) || failed(b) || failed(ta) || failed(tb))
      return failure();
    return createInferred<MatmulOp>(builder, where, *a, *b, *ta, *tb);
  }
  if (name == "relu") {
    if (failed(arity(1)) || failed(keywords({})))
      return failure();
    auto x = f32Operand(*call.args[0]);
    if (failed(x))
      return failure();
    return ReluOp::create(builder, where, *x).getResult();
  }
  if (name == "flatten") {
    if (failed(arity(1)) || failed(keywords({})))
      return failure();
    auto x = expression(*call.args[0]);
    if (failed(x))
      return failure();
    auto type = cast<RankedTensorType>(x->getType());
    if (type.getRank() < 1)
      return error(call.getLoc()) << "flatten needs at least one dimension";
    int64_t rest = 1;
    for (int64_t d : type.getShape().drop_front()) {
      if (ShapedType::isDynamic(d))
        return error(call.getLoc()) << "flatten needs static non-batch "
                                       "dimensions, got "
                                    << formatUserType(type);
      rest *= d;
    }
    auto flat = RankedTensorType::get({type.getDimSize(0), rest},
                                      type.getElementType());
    return ReshapeOp::create(builder, where, flat, *x).getResult();
  }
  if (name == "softmax_cross_entropy") {
    if (failed(arity(2)) || failed(keywords({})))
      return failure();
    auto logits = expression(*call.args[0]);
    auto labels = succeeded(logits) ? expression(*call.args[1])
                                    : FailureOr<Value>();
    if (failed(logits) || failed(labels))
      return failure();
    return createInferred<SoftmaxCrossEntropyOp>(builder, where, *logits,
                                                 *labels);
  }
  if (name == "reduce_mean" || name == "reduce_sum") {
    if (failed(arity(1)) || failed(keywords({"axis", "keepdims"})))
      return failure();
    auto x = f32Operand(*call.args[0]);
    auto keepdims = flag("keepdims");
    if (failed(x) || failed(keepdims))
      return failure();
    SmallVector<int64_t> axes;
    if (const ast::Expr *axis = findKeyword(call, "axis")) {
      auto value = evaluateNumber(*axis, errorFn());
      if (failed(value))
        return failure();
      if (*value != std::floor(*value))
        return error(axis->getLoc()) << "axis must be an integer";
      axes.push_back((int64_t)*value);
    }
    auto axesAttr = builder.getDenseI64ArrayAttr(axes);
    auto keepAttr = builder.getBoolAttr(*keepdims);
    if (name == "reduce_mean")
      return createInferred<ReduceMeanOp>(builder, where, *x, axesAttr,
                                          keepAttr);
    return createInferred<ReduceSumOp>(builder, where, *x, axesAttr, keepAttr);
  }
  return error(call.getLoc())
         << "unknown function '" << name
         << "' (expected matmul, relu, flatten, softmax_cross_entropy, "
            "reduce_mean or reduce_sum)";
}

FailureOr<Value> Generator::expression(const ast::Expr &expr) {
  Location where = loc(expr.getLoc());
  if (auto *number = dyn_cast<ast::NumberExpr>(&expr))
    return ConstantOp::create(builder, where,
                              RankedTensorType::get({}, builder.getF32Type()),
                              (float)number->value)
        .getResult();
  if (auto *name = dyn_cast<ast::NameExpr>(&expr)) {
    Value value = symbols.lookup(name->name);
    if (!value)
      return error(expr.getLoc()) << "use of undefined name '" << name->name
                                  << "'";
    return value;
  }
  if (auto *unary = dyn_cast<ast::UnaryExpr>(&expr)) {
    auto operand = f32Operand(*unary->operand);
    if (failed(operand))
      return failure();
    Value minusOne = ConstantOp::create(
        builder, where, RankedTensorType::get({}, builder.getF32Type()), -1.0f);
    return MulOp::create(builder, where, *operand, minusOne).getResult();
  }
  if (auto *binary = dyn_cast<ast::BinaryExpr>(&expr)) {
    auto lhs = f32Operand(*binary->lhs);
    auto rhs = succeeded(lhs) ? f32Operand(*binary->rhs) : FailureOr<Value>();
    if (failed(lhs) || failed(rhs))
      return failure();
    switch (binary->op) {
    case '+':
      return createInferred<AddOp>(builder, where, *lhs, *rhs);
    case '-':
      return createInferred<SubOp>(builder, where, *lhs, *rhs);
    case '*':
      return createInferred<MulOp>(builder, where, *lhs, *rhs);
    default:
      return createInferred<DivOp>(builder, where, *lhs, *rhs);
    }
  }
  if (auto *c = dyn_cast<ast::CallExpr>(&expr))
    return call(*c);
  return error(expr.getLoc()) << "a string is not a tensor";
}

OwningOpRef<ModuleOp> Generator::generate() {
  MLIRContext *context = builder.getContext();
  context->loadDialect<KilnDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> result =
      ModuleOp::create(loc(module.loc), StringRef(module.name));

  if (failed(generateRecipe(module, *result, recipe, errorFn())))
    return nullptr;

  // Arguments: inputs, then labels, then parameters.
  SmallVector<Type> argTypes;
  SmallVector<NamedAttrList> argAttrs;
  SmallVector<Location> argLocs;
  SmallVector<std::string> argNames;
  for (bool labels : {false, true})
    for (const ast::InputDecl &input : module.inputs) {
      if (input.isLabel != labels)
        continue;
      auto type = tensorType(input.type, /*allowBatch=*/true);
      if (failed(type))
        return nullptr;
      bool f32 = type->getElementType().isF32();
      if (labels ? f32 : !f32)
        return error(input.type.loc)
                   << (labels ? "labels must be i32 (class indices)"
                              : "inputs must be f32"),
               nullptr;
      argTypes.push_back(*type);
      NamedAttrList attrs;
      attrs.append(labels ? model::kLabelAttr : model::kInputAttr,
                   builder.getStringAttr(input.name));
      argAttrs.push_back(attrs);
      argLocs.push_back(loc(input.loc));
      argNames.push_back(input.name);
    }
  for (const ast::ParamDecl &param : module.params) {
    auto type = tensorType(param.type, /*allowBatch=*/false);
    if (failed(type))
      return nullptr;
    if (!type->getElementType().isF32())
      return error(param.type.loc) << "parameters must be f32", nullptr;
    auto init = initializer(param, *type);
    if (failed(init))
      return nullptr;
    argTypes.push_back(*type);
    NamedAttrList attrs;
    attrs.append(model::kParamAttr, builder.getStringAttr(param.name));
    attrs.append(model::kInitAttr, *init);
    argAttrs.push_back(attrs);
    argLocs.push_back(loc(param.loc));
    argNames.push_back(param.name);
  }

  builder.setInsertionPointToEnd(result->getBody());
  auto forward = func::FuncOp::create(builder, loc(module.loc),
                                      model::kForwardFunc,
                                      builder.getFunctionType(argTypes, {}));
  Block *body = builder.createBlock(&forward.getBody(), {}, argTypes, argLocs);
  for (auto [i, attrs] : llvm::enumerate(argAttrs)) {
    forward.setArgAttrs(i, attrs.getDictionary(context));
    symbols[argNames[i]] = body->getArgument(i);
  }

  builder.setInsertionPointToStart(body);
  const ast::Assignment *lossAssignment = nullptr;
  for (const ast::Assignment &assignment : module.assignments) {
    auto value = expression(*assignment.value);
    if (failed(value))
      return nullptr;
    symbols[assignment.name] = *value;
    if (assignment.name == "loss")
      lossAssignment = &assignment;
  }
  if (!lossAssignment)
    return error(module.loc) << "model '" << module.name
                             << "' defines no 'loss' to minimize",
           nullptr;
  Value loss = symbols.lookup("loss");
  auto lossType = cast<RankedTensorType>(loss.getType());
  if (lossType.getRank() != 0 || !lossType.getElementType().isF32())
    return error(lossAssignment->loc)
               << "'loss' must be a scalar f32[], got "
               << formatUserType(lossType)
               << " (reduce it, e.g. with reduce_mean)",
           nullptr;
  if (!module.output)
    return error(module.loc) << "model '" << module.name
                             << "' has no 'output NAME' statement saying "
                                "what predict returns",
           nullptr;
  Value output = symbols.lookup(module.output->first);
  if (!output)
    return error(module.output->second)
               << "use of undefined name '" << module.output->first << "'",
           nullptr;
  func::ReturnOp::create(builder, loc(module.loc), ValueRange{loss, output});
  forward.setFunctionType(
      builder.getFunctionType(argTypes, {loss.getType(), output.getType()}));
  forward.setResultAttr(0, model::kResultAttr, builder.getStringAttr("loss"));
  forward.setResultAttr(1, model::kResultAttr,
                        builder.getStringAttr(module.output->first));
  if (failed(verify(*result)))
    return nullptr;
  return result;
}

} // namespace

OwningOpRef<ModuleOp> generateMLIR(MLIRContext &context,
                                   llvm::SourceMgr &sourceMgr,
                                   const ast::Module &module,
                                   TrainingRecipe &recipe) {
  return Generator(context, sourceMgr, module, recipe).generate();
}

} // namespace kiln
