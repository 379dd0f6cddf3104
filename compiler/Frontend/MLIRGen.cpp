//===- MLIRGen.cpp - .kiln AST to the kiln dialect ------------------------===//
#include "Frontend/MLIRGen.h"

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

  FailureOr<RankedTensorType> tensorType(const ast::TensorType &type,
                                         bool allowBatch);
  FailureOr<DictionaryAttr> initializer(const ast::ParamDecl &param,
                                        RankedTensorType type);
  FailureOr<Value> expression(const ast::Expr &expr);
  FailureOr<Value> call(const ast::CallExpr &call);
  FailureOr<Value> f32Operand(const ast::Expr &expr);
  FailureOr<double> constantNumber(const ast::Expr &expr);
  FailureOr<std::string> constantString(const ast::Expr &expr);
  LogicalResult trainBlock(const ast::ConfigBlock &block, ModuleOp op);
  LogicalResult dataBlock(const ast::ConfigBlock &block);
  FailureOr<DataSource> dataSource(const ast::Expr &expr);

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

FailureOr<double> Generator::constantNumber(const ast::Expr &expr) {
  if (auto *number = dyn_cast<ast::NumberExpr>(&expr))
    return number->value;
  if (auto *unary = dyn_cast<ast::UnaryExpr>(&expr)) {
    auto operand = constantNumber(*unary->operand);
    return failed(operand) ? operand : FailureOr<double>(-*operand);
  }
  if (auto *binary = dyn_cast<ast::BinaryExpr>(&expr)) {
    auto lhs = constantNumber(*binary->lhs);
    if (failed(lhs))
      return failure();
    auto rhs = constantNumber(*binary->rhs);
    if (failed(rhs))
      return failure();
    switch (binary->op) {
    case '+':
      return *lhs + *rhs;
    case '-':
      return *lhs - *rhs;
    case '*':
      return *lhs * *rhs;
    default:
      if (*rhs == 0)
        return error(binary->getLoc()) << "division by zero";
      return *lhs / *rhs;
    }
  }
  return error(expr.getLoc()) << "expected a number";
}

FailureOr<std::string> Generator::constantString(const ast::Expr &expr) {
  if (auto *text = dyn_cast<ast::StringExpr>(&expr))
    return text->value;
  return error(expr.getLoc()) << "expected a string";
}

/// Reads keyword arguments with defaults; reports unknown keywords.
struct Keywords {
  llvm::StringMap<const ast::Expr *> given;
};

static LogicalResult checkKeywords(const ast::CallExpr &call,
                                   ArrayRef<StringRef> allowed,
                                   llvm::function_ref<InFlightDiagnostic(
                                       llvm::SMLoc)> error) {
  for (const ast::KeywordArg &kw : call.kwargs)
    if (!llvm::is_contained(allowed, kw.name)) {
      auto diag = error(kw.loc) << "unknown argument '" << kw.name << "' of '"
                                << call.callee << "'";
      if (!allowed.empty()) {
        diag << " (expected ";
        llvm::interleave(allowed, diag, ", ");
        diag << ")";
      }
      return failure();
    }
  return success();
}

static const ast::Expr *keyword(const ast::CallExpr &call, StringRef name) {
  for (const ast::KeywordArg &kw : call.kwargs)
    if (kw.name == name)
      return kw.value.get();
  return nullptr;
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
    auto value = constantNumber(init);
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
    const ast::Expr *value = call ? keyword(*call, key) : nullptr;
    return value ? constantNumber(*value) : FailureOr<double>(fallback);
  };
  auto allow = [&](ArrayRef<StringRef> keys) -> LogicalResult {
    if (call && !call->args.empty())
      return error(call->args.front()->getLoc())
             << "initializer '" << name << "' takes keyword arguments only";
    return call ? checkKeywords(*call, keys,
                                [&](llvm::SMLoc l) { return error(l); })
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
  OperationState state(loc, OpT::getOperationName());
  OpT::build(b, state, std::forward<Args>(args)...);
  SmallVector<Type> types;
  if (failed(OpT::inferReturnTypes(b.getContext(), loc, state.operands,
                                   state.attributes.getDictionary(
                                       b.getContext()),
                                   state.getRawProperties(), state.regions,
                                   types)))
    return failure();
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
    const ast::Expr *value = keyword(call, key);
    if (!value)
      return false;
    auto *bare = dyn_cast<ast::NameExpr>(value);
    if (!bare || (bare->name != "true" && bare->name != "false"))
      return error(value->getLoc()) << "'" << key << "' must be true or false";
    return bare->name == "true";
  };
  auto keywords = [&](ArrayRef<StringRef> allowed) {
    return checkKeywords(call, allowed,
                         [&](llvm::SMLoc l) { return error(l); });
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
    if (const ast::Expr *axis = keyword(call, "axis")) {
      auto value = constantNumber(*axis);
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

LogicalResult Generator::trainBlock(const ast::ConfigBlock &block,
                                    ModuleOp op) {
  auto positiveInteger = [&](const ast::ConfigEntry &entry,
                             int64_t &out) -> LogicalResult {
    auto value = constantNumber(*entry.value);
    if (failed(value))
      return failure();
    if (*value < 1 || *value != std::floor(*value) || *value > 1e12)
      return error(entry.value->getLoc())
             << "'" << entry.key << "' must be a positive integer";
    out = (int64_t)*value;
    return success();
  };
  bool haveOptimizer = false;
  for (const ast::ConfigEntry &entry : block.entries) {
    if (entry.key == "batch_size") {
      if (failed(positiveInteger(entry, recipe.batchSize)))
        return failure();
    } else if (entry.key == "epochs") {
      if (failed(positiveInteger(entry, recipe.epochs)))
        return failure();
    } else if (entry.key == "seed") {
      int64_t seed;
      if (failed(positiveInteger(entry, seed)))
        return failure();
      recipe.seed = seed;
    } else if (entry.key == "optimizer") {
      auto *call = dyn_cast<ast::CallExpr>(entry.value.get());
      if (!call)
        return error(entry.value->getLoc())
               << "expected an optimizer such as sgd(learning_rate = 0.1)";
      if (call->callee != "sgd" && call->callee != "gd")
        return error(call->getLoc())
               << "unknown optimizer '" << call->callee
               << "' (expected sgd or gd)";
      if (!call->args.empty())
        return error(call->args.front()->getLoc())
               << "optimizer arguments must be named, e.g. learning_rate = 0.1";
      if (failed(checkKeywords(*call, {"learning_rate"},
                               [&](llvm::SMLoc l) { return error(l); })))
        return failure();
      if (const ast::Expr *rate = keyword(*call, "learning_rate")) {
        auto value = constantNumber(*rate);
        if (failed(value))
          return failure();
        if (*value <= 0)
          return error(rate->getLoc()) << "learning_rate must be positive";
        recipe.learningRate = *value;
      }
      recipe.optimizer = "sgd";
      haveOptimizer = true;
    } else {
      return error(entry.loc) << "unknown 'train' setting '" << entry.key
                              << "' (expected optimizer, batch_size, epochs "
                                 "or seed)";
    }
  }
  (void)haveOptimizer; // sgd with the default learning rate otherwise
  op->setAttr(model::kOptimizerAttr,
              builder.getDictionaryAttr({
                  builder.getNamedAttr("kind",
                                       builder.getStringAttr(recipe.optimizer)),
                  builder.getNamedAttr(
                      "learning_rate",
                      builder.getF32FloatAttr(recipe.learningRate)),
              }));
  return success();
}

FailureOr<DataSource> Generator::dataSource(const ast::Expr &expr) {
  auto *call = dyn_cast<ast::CallExpr>(&expr);
  if (!call || call->callee != "idx")
    return error(expr.getLoc())
           << "expected a data source such as idx(\"images.gz\", "
              "\"labels.gz\", scale = 1/255)";
  if (call->args.size() != 2)
    return error(call->getLoc()) << "'idx' expects 2 positional arguments "
                                    "(images file, labels file), got "
                                 << call->args.size();
  if (failed(checkKeywords(*call, {"scale", "shift"},
                           [&](llvm::SMLoc l) { return error(l); })))
    return failure();
  DataSource source;
  source.format = "idx";
  auto images = constantString(*call->args[0]);
  auto labels = succeeded(images) ? constantString(*call->args[1])
                                  : FailureOr<std::string>();
  if (failed(images) || failed(labels))
    return failure();
  source.images = *images;
  source.labels = *labels;
  for (StringRef key : {"scale", "shift"})
    if (const ast::Expr *value = keyword(*call, key)) {
      auto number = constantNumber(*value);
      if (failed(number))
        return failure();
      (key == "scale" ? source.scale : source.shift) = *number;
    }
  return source;
}

LogicalResult Generator::dataBlock(const ast::ConfigBlock &block) {
  for (const ast::ConfigEntry &entry : block.entries) {
    if (entry.key != "train" && entry.key != "test")
      return error(entry.loc) << "unknown 'data' entry '" << entry.key
                              << "' (expected train or test)";
    auto source = dataSource(*entry.value);
    if (failed(source))
      return failure();
    (entry.key == "train" ? recipe.train : recipe.test) = *source;
  }
  return success();
}

OwningOpRef<ModuleOp> Generator::generate() {
  MLIRContext *context = builder.getContext();
  context->loadDialect<KilnDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> result =
      ModuleOp::create(loc(module.loc), StringRef(module.name));

  for (const ast::ConfigBlock &block : module.blocks) {
    if (block.kind == "train" ? failed(trainBlock(block, *result))
                              : failed(dataBlock(block)))
      return nullptr;
  }
  if (!module.findBlock("train") && failed(trainBlock({}, *result)))
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
