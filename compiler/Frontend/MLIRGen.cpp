//===- MLIRGen.cpp - .kiln AST to the kiln dialect ------------------------===//
#include "Frontend/MLIRGen.h"

#include "Frontend/ExprEval.h"
#include "Frontend/RecipeGen.h"

#include "Kiln/IR/KilnModel.h"
#include "Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/Sequence.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace kiln {
namespace {

/// The largest count, size or axis a program may write.
constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();

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
  /// The initializer `init` (a name, a call such as `normal(stddev = 0.1)`,
  /// a number, or a string naming one), or `fallback` when it is null.
  FailureOr<DictionaryAttr> initializer(const ast::Expr *init,
                                        StringRef fallback,
                                        RankedTensorType type,
                                        llvm::SMLoc where);
  FailureOr<Value> expression(const ast::Expr &expr);
  FailureOr<Value> call(const ast::CallExpr &call);
  FailureOr<Value> layer(const ast::CallExpr &call);
  /// Window sizes, strides and dilations: `2` means [2, 2].
  FailureOr<DenseI64ArrayAttr> windowPair(const ast::Expr *value,
                                          ArrayRef<int64_t> fallback,
                                          StringRef what);
  /// "SAME" or "VALID" (either case); VALID when absent.
  FailureOr<StringAttr> padding(const ast::Expr *value);
  FailureOr<Value> activation(Value x, const ast::Expr *name);
  FailureOr<Value> f32Operand(const ast::Expr &expr);
  /// Appends a parameter argument to @forward (layers create parameters
  /// while expressions are generated).
  /// (A non-trainable one is a buffer: state the optimizer does not touch.)
  FailureOr<Value> addParameter(const std::string &name, RankedTensorType type,
                                DictionaryAttr init, llvm::SMLoc where,
                                bool trainable = true);
  /// batch_norm (an op with training and inference modes) and layer_norm
  /// (plain arithmetic: per example over the last axis), with their
  /// gamma/beta parameters.
  FailureOr<Value> normalization(const ast::CallExpr &call);
  /// `name = "..."`, else the assignment the layer is the whole value of,
  /// else Keras' `dense`, `dense_1`, ... numbering.
  FailureOr<std::string> layerName(const ast::CallExpr &call,
                                   const ast::Expr *nameArg);
  /// Accuracy metrics need class labels, and top-k's k at most the
  /// number of classes `output` scores.
  LogicalResult checkMetrics(const MetricLocations &metrics, Value output);

  OpBuilder builder;
  llvm::SourceMgr &sourceMgr;
  const ast::Module &module;
  TrainingRecipe &recipe;
  llvm::StringMap<Value> symbols;
  /// The entry block of @forward and the attributes of its arguments.
  Block *body = nullptr;
  SmallVector<NamedAttrList> argAttrs;
  llvm::StringSet<> paramNames;
  /// The assignment being generated.
  const ast::Assignment *assignment = nullptr;
  llvm::StringMap<unsigned> layerCounts;
  /// The i64 seed and step arguments of @forward that dropout reads; added
  /// when the first dropout is built.
  Value rngSeed, rngStep;
  unsigned dropoutCount = 0;
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

FailureOr<DictionaryAttr> Generator::initializer(const ast::Expr *init,
                                                 StringRef fallback,
                                                 RankedTensorType type,
                                                 llvm::SMLoc where) {
  auto dict = [&](StringRef kind,
                  ArrayRef<std::pair<StringRef, double>> values) {
    SmallVector<NamedAttribute> attrs{
        builder.getNamedAttr("kind", builder.getStringAttr(kind))};
    for (auto [key, value] : values)
      attrs.push_back(builder.getNamedAttr(key, builder.getF32FloatAttr(value)));
    return builder.getDictionaryAttr(attrs);
  };
  if (init && isa<ast::NumberExpr, ast::UnaryExpr>(init)) {
    auto value = evaluateNumber(*init, errorFn());
    if (failed(value))
      return failure();
    return dict("constant", {{"value", *value}});
  }
  StringRef name = fallback;
  const ast::CallExpr *call = dyn_cast_or_null<ast::CallExpr>(init);
  if (auto *bare = dyn_cast_or_null<ast::NameExpr>(init))
    name = bare->name;
  else if (auto *text = dyn_cast_or_null<ast::StringExpr>(init))
    name = text->value;
  else if (call)
    name = call->callee;
  else if (init)
    return error(where) << "expected an initializer such as "
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
      return error(where) << "uniform needs low < high";
    return dict("uniform", {{"low", *low}, {"high", *high}});
  }
  if (name == "normal") {
    auto mean = number("mean", 0.0), stddev = number("stddev", 0.05);
    if (failed(allow({"mean", "stddev"})) || failed(mean) || failed(stddev))
      return failure();
    if (*stddev <= 0)
      return error(where) << "normal needs stddev > 0";
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
  return error(where)
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

/// Builders of the unary builtins, by name.
template <typename OpT> Value buildUnary(OpBuilder &b, Location loc, Value x) {
  return OpT::create(b, loc, x);
}
using UnaryBuilder = Value (*)(OpBuilder &, Location, Value);
UnaryBuilder unaryBuilder(StringRef name) {
  return llvm::StringSwitch<UnaryBuilder>(name)
      .Case("neg", buildUnary<NegOp>)
      .Case("exp", buildUnary<ExpOp>)
      .Case("log", buildUnary<LogOp>)
      .Case("sqrt", buildUnary<SqrtOp>)
      .Case("rsqrt", buildUnary<RsqrtOp>)
      .Case("erf", buildUnary<ErfOp>)
      .Case("relu", buildUnary<ReluOp>)
      .Case("sigmoid", buildUnary<SigmoidOp>)
      .Case("tanh", buildUnary<TanhOp>)
      .Case("softplus", buildUnary<SoftplusOp>)
      .Case("gelu", buildUnary<GeluOp>)
      .Default(nullptr);
}

constexpr llvm::StringLiteral kBuiltins =
    "matmul, neg, exp, log, sqrt, rsqrt, erf, pow, relu, leaky_relu, elu, "
    "gelu, sigmoid, tanh, softplus, softmax, log_softmax, reduce_sum, "
    "reduce_mean, reduce_max, flatten, reshape, transpose, concat, slice, "
    "one_hot, conv2d, max_pool, avg_pool, global_avg_pool, "
    "softmax_cross_entropy, sigmoid_cross_entropy, mean_squared_error, "
    "huber, dense, conv2d_layer, dropout, batch_norm, layer_norm";

FailureOr<DenseI64ArrayAttr>
Generator::windowPair(const ast::Expr *value, ArrayRef<int64_t> fallback,
                      StringRef what) {
  if (!value)
    return builder.getDenseI64ArrayAttr(fallback);
  auto list = evaluateIntegers(*value, 1, kMaxInt, errorFn());
  if (failed(list))
    return failure();
  if (list->size() == 1)
    list->push_back(list->front());
  if (list->size() != 2)
    return error(value->getLoc())
           << what << " must be one integer or a list [h, w]";
  return builder.getDenseI64ArrayAttr(*list);
}

FailureOr<StringAttr> Generator::padding(const ast::Expr *value) {
  if (!value)
    return builder.getStringAttr("VALID");
  auto text = evaluateString(*value, errorFn());
  if (failed(text))
    return failure();
  // tf.nn spells "SAME" and "VALID" in capitals, Keras in lower case.
  std::string upper = StringRef(*text).upper();
  if (failed(parsePadding(loc(value->getLoc()), upper)))
    return failure();
  return builder.getStringAttr(upper);
}

FailureOr<Value> Generator::call(const ast::CallExpr &call) {
  Location where = loc(call.getLoc());
  StringRef name = call.callee;
  SmallVector<const ast::Expr *> args;
  // Binds the call to `params`, of which the first `required` must be given.
  auto bind = [&](ArrayRef<StringRef> params, size_t required) {
    auto bound = bindArguments(call, params, required, errorFn());
    if (succeeded(bound))
      args = std::move(*bound);
    return LogicalResult(bound);
  };
  auto flag = [&](const ast::Expr *value) -> FailureOr<bool> {
    return value ? evaluateFlag(*value, errorFn()) : FailureOr<bool>(false);
  };
  auto number = [&](const ast::Expr *value,
                    double fallback) -> FailureOr<double> {
    return value ? evaluateNumber(*value, errorFn())
                 : FailureOr<double>(fallback);
  };
  auto integer = [&](const ast::Expr *value, int64_t fallback, int64_t min,
                     int64_t max) -> FailureOr<int64_t> {
    return value ? evaluateInteger(*value, min, max, errorFn())
                 : FailureOr<int64_t>(fallback);
  };
  // Axes: absent (all), one integer or a list.
  auto axes = [&](const ast::Expr *value) -> FailureOr<DenseI64ArrayAttr> {
    if (!value)
      return builder.getDenseI64ArrayAttr({});
    auto list = evaluateIntegers(*value, -kMaxInt, kMaxInt, errorFn());
    if (failed(list))
      return failure();
    return builder.getDenseI64ArrayAttr(*list);
  };
  auto tensor = [&](size_t i) { return f32Operand(*args[i]); };

  if (UnaryBuilder build = unaryBuilder(name)) {
    if (failed(bind({"x"}, 1)))
      return failure();
    auto x = tensor(0);
    if (failed(x))
      return failure();
    return build(builder, where, *x);
  }
  if (name == "leaky_relu" || name == "elu") {
    bool leaky = name == "leaky_relu";
    if (failed(bind({"x", "alpha"}, 1)))
      return failure();
    auto x = tensor(0);
    auto alpha = number(args[1], leaky ? 0.2 : 1.0);
    if (failed(x) || failed(alpha))
      return failure();
    auto alphaAttr = builder.getF32FloatAttr(*alpha);
    if (leaky)
      return LeakyReluOp::create(builder, where, *x, alphaAttr).getResult();
    return EluOp::create(builder, where, *x, alphaAttr).getResult();
  }
  if (name == "softmax" || name == "log_softmax") {
    if (failed(bind({"x", "axis"}, 1)))
      return failure();
    auto x = tensor(0);
    auto axis = integer(args[1], -1, -kMaxInt, kMaxInt);
    if (failed(x) || failed(axis))
      return failure();
    auto rank = cast<RankedTensorType>(x->getType()).getRank();
    if (failed(normalizeAxes(where, rank, {*axis})))
      return failure();
    if (name == "softmax")
      return SoftmaxOp::create(builder, where, *x, *axis).getResult();
    return LogSoftmaxOp::create(builder, where, *x, *axis).getResult();
  }
  if (name == "pow") {
    if (failed(bind({"x", "y"}, 2)))
      return failure();
    auto x = tensor(0);
    auto y = succeeded(x) ? tensor(1) : FailureOr<Value>();
    if (failed(x) || failed(y))
      return failure();
    return createInferred<PowOp>(builder, where, *x, *y);
  }
  if (name == "matmul") {
    if (failed(bind({"a", "b", "transpose_a", "transpose_b"}, 2)))
      return failure();
    auto a = tensor(0);
    auto b = succeeded(a) ? tensor(1) : FailureOr<Value>();
    auto ta = flag(args[2]), tb = flag(args[3]);
    if (failed(a) || failed(b) || failed(ta) || failed(tb))
      return failure();
    return createInferred<MatmulOp>(builder, where, *a, *b, *ta, *tb);
  }
  if (name == "reduce_mean" || name == "reduce_sum" || name == "reduce_max") {
    if (failed(bind({"input_tensor", "axis", "keepdims"}, 1)))
      return failure();
    auto x = tensor(0);
    auto axesAttr = axes(args[1]);
    auto keepdims = flag(args[2]);
    if (failed(x) || failed(axesAttr) || failed(keepdims))
      return failure();
    auto keepAttr = builder.getBoolAttr(*keepdims);
    if (name == "reduce_mean")
      return createInferred<ReduceMeanOp>(builder, where, *x, *axesAttr,
                                          keepAttr);
    if (name == "reduce_max")
      return createInferred<ReduceMaxOp>(builder, where, *x, *axesAttr,
                                         keepAttr);
    return createInferred<ReduceSumOp>(builder, where, *x, *axesAttr,
                                       keepAttr);
  }
  if (name == "flatten") {
    if (failed(bind({"x"}, 1)))
      return failure();
    auto x = expression(*args[0]);
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
  if (name == "reshape") {
    if (failed(bind({"tensor", "shape"}, 2)))
      return failure();
    auto x = expression(*args[0]);
    auto shape = succeeded(x) ? evaluateIntegers(*args[1], -1, kMaxInt,
                                                 errorFn())
                              : FailureOr<SmallVector<int64_t>>();
    if (failed(x) || failed(shape))
      return failure();
    // -1 takes what the other dimensions leave: the batch when dynamic.
    auto type = cast<RankedTensorType>(x->getType());
    if (llvm::count(*shape, -1) > 1)
      return error(args[1]->getLoc()) << "reshape allows one -1 at most";
    SmallVector<int64_t> target(*shape);
    int64_t known = 1;
    for (int64_t d : target)
      known *= d == -1 ? 1 : d;
    for (int64_t &d : target) {
      if (d != -1)
        continue;
      if (!type.hasStaticShape())
        d = ShapedType::kDynamic;
      else if (known != 0 && type.getNumElements() % known == 0)
        d = type.getNumElements() / known;
      else
        return error(call.getLoc())
               << "cannot reshape " << formatUserType(type) << " ("
               << type.getNumElements() << " elements) into rows of "
               << known;
    }
    auto targetType = RankedTensorType::get(target, type.getElementType());
    if (failed(verifyReshapeTypes(where, type, targetType)))
      return failure();
    return ReshapeOp::create(builder, where, targetType, *x).getResult();
  }
  if (name == "transpose") {
    if (failed(bind({"a", "perm"}, 1)))
      return failure();
    auto x = tensor(0);
    if (failed(x))
      return failure();
    int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
    // Without perm, the dimensions are reversed (tf.transpose).
    SmallVector<int64_t> perm(llvm::reverse(llvm::seq<int64_t>(0, rank)));
    if (args[1]) {
      auto given = evaluateIntegers(*args[1], 0, kMaxInt, errorFn());
      if (failed(given))
        return failure();
      perm = *given;
    }
    return createInferred<TransposeOp>(builder, where, *x,
                                       builder.getDenseI64ArrayAttr(perm));
  }
  if (name == "concat") {
    if (failed(bind({"values", "axis"}, 2)))
      return failure();
    auto *list = dyn_cast<ast::ListExpr>(args[0]);
    if (!list || list->elements.empty())
      return error(args[0]->getLoc())
             << "concat expects a list of tensors such as [a, b]";
    SmallVector<Value> values;
    for (const ast::ExprPtr &element : list->elements) {
      auto value = f32Operand(*element);
      if (failed(value))
        return failure();
      values.push_back(*value);
    }
    auto axis = integer(args[1], 0, -kMaxInt, kMaxInt);
    if (failed(axis))
      return failure();
    return createInferred<ConcatOp>(builder, where, values, *axis);
  }
  if (name == "slice") {
    if (failed(bind({"input", "begin", "size"}, 3)))
      return failure();
    auto x = tensor(0);
    auto begin = evaluateIntegers(*args[1], 0, kMaxInt, errorFn());
    auto size = succeeded(begin)
                    ? evaluateIntegers(*args[2], -1, kMaxInt, errorFn())
                    : FailureOr<SmallVector<int64_t>>();
    if (failed(x) || failed(begin) || failed(size))
      return failure();
    return createInferred<SliceOp>(builder, where, *x,
                                   builder.getDenseI64ArrayAttr(*begin),
                                   builder.getDenseI64ArrayAttr(*size));
  }
  if (name == "one_hot") {
    if (failed(bind({"indices", "depth"}, 2)))
      return failure();
    auto indices = expression(*args[0]);
    auto depth = integer(args[1], 0, 1, kMaxInt);
    if (failed(indices) || failed(depth))
      return failure();
    return createInferred<OneHotOp>(builder, where, *indices, *depth);
  }
  if (name == "conv2d") {
    if (failed(bind({"input", "filters", "strides", "padding", "dilations"},
                    2)))
      return failure();
    auto x = tensor(0);
    auto filter = succeeded(x) ? tensor(1) : FailureOr<Value>();
    auto strides = windowPair(args[2], {1, 1}, "strides");
    auto pad = padding(args[3]);
    auto dilations = windowPair(args[4], {1, 1}, "dilations");
    if (failed(x) || failed(filter) || failed(strides) || failed(pad) ||
        failed(dilations))
      return failure();
    return createInferred<Conv2DOp>(builder, where, *x, *filter, *strides,
                                    *dilations, *pad);
  }
  if (name == "max_pool" || name == "avg_pool") {
    if (failed(bind({"input", "ksize", "strides", "padding"}, 2)))
      return failure();
    auto x = tensor(0);
    auto window = windowPair(args[1], {}, "ksize");
    // Strides default to the window, as in Keras' pooling layers.
    auto strides = succeeded(window) ? windowPair(args[2], window->asArrayRef(),
                                                  "strides")
                                     : FailureOr<DenseI64ArrayAttr>();
    auto pad = padding(args[3]);
    if (failed(x) || failed(window) || failed(strides) || failed(pad))
      return failure();
    if (name == "max_pool")
      return createInferred<MaxPoolOp>(builder, where, *x, *window, *strides,
                                       *pad);
    return createInferred<AvgPoolOp>(builder, where, *x, *window, *strides,
                                     *pad);
  }
  if (name == "global_avg_pool") {
    if (failed(bind({"input"}, 1)))
      return failure();
    auto x = tensor(0);
    if (failed(x))
      return failure();
    if (cast<RankedTensorType>(x->getType()).getRank() != 4)
      return error(call.getLoc())
             << "global_avg_pool expects [batch, height, width, channels], got "
             << formatUserType(x->getType());
    return createInferred<ReduceMeanOp>(builder, where, *x,
                                        builder.getDenseI64ArrayAttr({1, 2}),
                                        builder.getBoolAttr(false));
  }
  if (name == "softmax_cross_entropy") {
    if (failed(bind({"logits", "labels"}, 2)))
      return failure();
    auto logits = expression(*args[0]);
    auto labels = succeeded(logits) ? expression(*args[1])
                                    : FailureOr<Value>();
    if (failed(logits) || failed(labels))
      return failure();
    return createInferred<SoftmaxCrossEntropyOp>(builder, where, *logits,
                                                 *labels);
  }
  if (name == "sigmoid_cross_entropy") {
    // Per element, as tf.nn.sigmoid_cross_entropy_with_logits:
    // softplus(x) - x * z, which the stable softplus keeps finite.
    if (failed(bind({"logits", "labels"}, 2)))
      return failure();
    auto logits = tensor(0);
    auto labels = succeeded(logits) ? tensor(1) : FailureOr<Value>();
    if (failed(logits) || failed(labels))
      return failure();
    auto agreement = createInferred<MulOp>(builder, where, *logits, *labels);
    if (failed(agreement))
      return failure();
    Value softplus = SoftplusOp::create(builder, where, *logits);
    return createInferred<SubOp>(builder, where, softplus, *agreement);
  }
  if (name == "mean_squared_error" || name == "huber") {
    // Per example, as Keras: the mean over the last axis.
    bool isHuber = name == "huber";
    if (failed(bind({"y_true", "y_pred", "delta"}, 2)))
      return failure();
    if (!isHuber && args[2])
      return error(args[2]->getLoc())
             << "unknown argument 'delta' of '" << name << "'";
    auto truth = tensor(0);
    auto prediction = succeeded(truth) ? tensor(1) : FailureOr<Value>();
    auto delta = number(args[2], 1.0);
    if (failed(truth) || failed(prediction) || failed(delta))
      return failure();
    if (*delta <= 0)
      return error(args[2]->getLoc()) << "huber needs delta > 0";
    auto e = createInferred<SubOp>(builder, where, *prediction, *truth);
    if (failed(e))
      return failure();
    auto c = [&](float v) -> Value {
      return ConstantOp::create(
          builder, where, RankedTensorType::get({}, builder.getF32Type()), v);
    };
    auto square = [&](Value v) -> Value {
      return MulOp::create(builder, where, v, v);
    };
    Value loss = square(*e);
    if (isHuber) {
      // 0.5 e^2 - 0.5 relu(|e| - delta)^2, with relu(|e| - delta) split
      // into relu(e - delta) + relu(-e - delta) (at most one is non-zero).
      Value d = c(*delta);
      Value above = ReluOp::create(builder, where,
                                   SubOp::create(builder, where, *e, d));
      Value below = ReluOp::create(
          builder, where,
          SubOp::create(builder, where, NegOp::create(builder, where, *e), d));
      Value excess = AddOp::create(builder, where, square(above), square(below));
      loss = MulOp::create(builder, where,
                           SubOp::create(builder, where, loss, excess), c(0.5f));
    }
    auto rank = cast<RankedTensorType>(loss.getType()).getRank();
    if (rank == 0)
      return loss;
    return createInferred<ReduceMeanOp>(builder, where, loss,
                                        builder.getDenseI64ArrayAttr({-1}),
                                        builder.getBoolAttr(false));
  }
  if (name == "dense" || name == "conv2d_layer")
    return layer(call);
  if (name == "batch_norm" || name == "layer_norm")
    return normalization(call);
  if (name == "dropout") {
    if (failed(bind({"x", "rate"}, 2)))
      return failure();
    auto x = tensor(0);
    auto rate = number(args[1], 0.0);
    if (failed(x) || failed(rate))
      return failure();
    if (*rate < 0 || *rate >= 1)
      return error(args[1]->getLoc()) << "dropout rate must be in [0, 1)";
    if (!rngSeed) {
      for (StringRef role : {"seed", "step"}) {
        NamedAttrList attrs;
        attrs.append(model::kRngAttr, builder.getStringAttr(role));
        argAttrs.push_back(attrs);
        (role == "seed" ? rngSeed : rngStep) =
            body->addArgument(builder.getI64Type(), where);
      }
    }
    return DropoutOp::create(builder, where, *x, rngSeed, rngStep,
                             builder.getF32FloatAttr(*rate),
                             builder.getI64IntegerAttr(dropoutCount++))
        .getResult();
  }
  return error(call.getLoc()) << "unknown function '" << name
                              << "' (expected one of " << kBuiltins << ")";
}

FailureOr<Value> Generator::activation(Value x, const ast::Expr *name) {
  if (!name)
    return x;
  auto text = evaluateString(*name, errorFn());
  if (failed(text))
    return failure();
  if (*text == "linear")
    return x;
  UnaryBuilder build = llvm::StringSwitch<UnaryBuilder>(*text)
                           .Case("relu", buildUnary<ReluOp>)
                           .Case("sigmoid", buildUnary<SigmoidOp>)
                           .Case("tanh", buildUnary<TanhOp>)
                           .Case("softmax", buildUnary<SoftmaxOp>)
                           .Case("softplus", buildUnary<SoftplusOp>)
                           .Case("gelu", buildUnary<GeluOp>)
                           .Case("elu", buildUnary<EluOp>)
                           .Case("leaky_relu", buildUnary<LeakyReluOp>)
                           .Case("exponential", buildUnary<ExpOp>)
                           .Default(nullptr);
  if (!build)
    return error(name->getLoc())
           << "unknown activation \"" << *text
           << "\" (expected relu, sigmoid, tanh, softmax, softplus, gelu, elu, "
              "leaky_relu, exponential or linear)";
  return build(builder, loc(name->getLoc()), x);
}

FailureOr<std::string> Generator::layerName(const ast::CallExpr &call,
                                            const ast::Expr *nameArg) {
  if (nameArg)
    return evaluateString(*nameArg, errorFn());
  if (assignment && assignment->value.get() == &call)
    return assignment->name;
  std::string base = call.callee == "dense"          ? "dense"
                     : call.callee == "batch_norm"   ? "batch_normalization"
                     : call.callee == "layer_norm"   ? "layer_normalization"
                                                     : "conv2d";
  while (true) {
    unsigned n = layerCounts[base]++;
    std::string candidate = n == 0 ? base : base + "_" + std::to_string(n);
    if (!symbols.count(candidate) && !paramNames.count(candidate + "/kernel") &&
        !paramNames.count(candidate + "/gamma"))
      return candidate;
  }
}

FailureOr<Value> Generator::addParameter(const std::string &name,
                                         RankedTensorType type,
                                         DictionaryAttr init,
                                         llvm::SMLoc where, bool trainable) {
  if (!paramNames.insert(name).second) {
    error(where) << "parameter '" << name << "' is already defined"
                 << " (give the layer another name = \"...\")";
    return failure();
  }
  NamedAttrList attrs;
  attrs.append(trainable ? model::kParamAttr : model::kBufferAttr,
               builder.getStringAttr(name));
  attrs.append(model::kInitAttr, init);
  argAttrs.push_back(attrs);
  return body->addArgument(type, loc(where));
}

FailureOr<Value> Generator::normalization(const ast::CallExpr &call) {
  // Keras' BatchNormalization / LayerNormalization(axis=-1) arguments.
  bool isBatch = call.callee == "batch_norm";
  static const StringRef params[] = {"x", "momentum", "epsilon", "name"};
  auto bound = bindArguments(call, params, 1, errorFn());
  if (failed(bound))
    return failure();
  auto arg = [&](StringRef key) {
    return (*bound)[llvm::find(params, key) - std::begin(params)];
  };
  auto x = f32Operand(*arg("x"));
  if (failed(x))
    return failure();
  auto number = [&](StringRef key, double fallback) -> FailureOr<double> {
    return arg(key) ? evaluateNumber(*arg(key), errorFn())
                    : FailureOr<double>(fallback);
  };
  if (!isBatch && arg("momentum"))
    return error(arg("momentum")->getLoc())
           << "unknown argument 'momentum' of 'layer_norm'";
  auto momentum = number("momentum", 0.99), epsilon = number("epsilon", 1e-3);
  if (failed(momentum) || failed(epsilon))
    return failure();
  if (*momentum < 0 || *momentum >= 1 || *epsilon <= 0)
    return error(call.getLoc()) << call.callee
                                << " needs momentum in [0, 1) and epsilon > 0";
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getRank() < 2 || type.isDynamicDim(type.getRank() - 1))
    return error(call.getLoc())
           << call.callee
           << " normalizes the last axis of an input with a batch, got "
           << formatUserType(type);
  auto name = layerName(call, arg("name"));
  if (failed(name))
    return failure();
  auto channels = RankedTensorType::get({type.getDimSize(type.getRank() - 1)},
                                        builder.getF32Type());
  auto constant = [&](float value) {
    return builder.getDictionaryAttr(
        {builder.getNamedAttr("kind", builder.getStringAttr("constant")),
         builder.getNamedAttr("value", builder.getF32FloatAttr(value))});
  };
  SmallVector<Value> state;
  for (auto [suffix, value, trainable] :
       {std::tuple{"gamma", 1.0f, true}, std::tuple{"beta", 0.0f, true},
        std::tuple{"moving_mean", 0.0f, false},
        std::tuple{"moving_variance", 1.0f, false}}) {
    if (!isBatch && !trainable)
      continue;
    auto created = addParameter(*name + "/" + suffix, channels,
                                constant(value), call.getLoc(), trainable);
    if (failed(created))
      return failure();
    state.push_back(*created);
  }
  Location where = loc(call.getLoc());
  if (!isBatch) {
    // (x - mean) * rsqrt(variance + epsilon) * gamma + beta, per example.
    auto meanOf = [&](Value v) -> Value {
      return ReduceMeanOp::create(builder, where, v,
                                  builder.getDenseI64ArrayAttr({-1}),
                                  builder.getBoolAttr(true));
    };
    Value centered = SubOp::create(builder, where, *x, meanOf(*x));
    Value variance =
        meanOf(MulOp::create(builder, where, centered, centered));
    Value eps = ConstantOp::create(
        builder, where, RankedTensorType::get({}, builder.getF32Type()),
        (float)*epsilon);
    Value scale = RsqrtOp::create(builder, where,
                                  AddOp::create(builder, where, variance, eps));
    Value normalized = MulOp::create(builder, where, centered, scale);
    return AddOp::create(builder, where,
                         MulOp::create(builder, where, normalized, state[0]),
                         state[1])
        .getResult();
  }
  return BatchNormOp::create(builder, where, *x, state[0],
                             state[1], state[2], state[3],
                             builder.getF32FloatAttr(*momentum),
                             builder.getF32FloatAttr(*epsilon))
      .getResult();
}

FailureOr<Value> Generator::layer(const ast::CallExpr &call) {
  // Keras' argument names of Dense and Conv2D.
  static const StringRef denseParams[] = {
      "x",        "units",   "activation", "use_bias", "kernel_initializer",
      "bias_initializer", "name"};
  static const StringRef convParams[] = {
      "x",          "filters",  "kernel_size",        "strides",
      "padding",    "dilation_rate", "activation",    "use_bias",
      "kernel_initializer", "bias_initializer", "name"};
  bool isDense = call.callee == "dense";
  ArrayRef<StringRef> params =
      isDense ? ArrayRef<StringRef>(denseParams) : ArrayRef<StringRef>(convParams);
  auto bound = bindArguments(call, params, isDense ? 2 : 3, errorFn());
  if (failed(bound))
    return failure();
  auto arg = [&](StringRef key) {
    return (*bound)[llvm::find(params, key) - params.begin()];
  };
  auto x = f32Operand(*arg("x"));
  // units (dense) or filters (conv2d_layer): the output channels.
  auto units = succeeded(x)
                   ? evaluateInteger(*(*bound)[1], 1, kMaxInt, errorFn())
                   : FailureOr<int64_t>();
  auto useBias = arg("use_bias") ? evaluateFlag(*arg("use_bias"), errorFn())
                                 : FailureOr<bool>(true);
  auto name = layerName(call, arg("name"));
  if (failed(x) || failed(units) || failed(useBias) || failed(name))
    return failure();
  auto inputType = cast<RankedTensorType>(x->getType());
  Location where = loc(call.getLoc());
  FailureOr<DenseI64ArrayAttr> strides, dilations;
  FailureOr<StringAttr> pad;
  SmallVector<int64_t> kernelShape;
  if (isDense) {
    if (inputType.getRank() != 2 || inputType.isDynamicDim(1))
      return error(call.getLoc())
             << "dense expects a 2-D input [batch, features], got "
             << formatUserType(inputType) << " (flatten it first)";
    kernelShape = {inputType.getDimSize(1), *units};
  } else {
    if (inputType.getRank() != 4 || inputType.isDynamicDim(3))
      return error(call.getLoc())
             << "conv2d_layer expects [batch, height, width, channels], got "
             << formatUserType(inputType);
    auto window = windowPair(arg("kernel_size"), {}, "kernel_size");
    strides = windowPair(arg("strides"), {1, 1}, "strides");
    dilations = windowPair(arg("dilation_rate"), {1, 1}, "dilation_rate");
    pad = padding(arg("padding"));
    if (failed(window) || failed(strides) || failed(dilations) || failed(pad))
      return failure();
    kernelShape = {(*window)[0], (*window)[1], inputType.getDimSize(3),
                   *units};
  }
  auto kernelType = RankedTensorType::get(kernelShape, builder.getF32Type());
  auto kernelInit = initializer(arg("kernel_initializer"), "glorot_uniform",
                                kernelType, call.getLoc());
  if (failed(kernelInit))
    return failure();
  auto kernel =
      addParameter(*name + "/kernel", kernelType, *kernelInit, call.getLoc());
  if (failed(kernel))
    return failure();
  FailureOr<Value> y =
      isDense ? createInferred<MatmulOp>(builder, where, *x, *kernel, false,
                                         false)
              : createInferred<Conv2DOp>(builder, where, *x, *kernel, *strides,
                                         *dilations, *pad);
  if (failed(y))
    return failure();
  if (*useBias) {
    auto biasType = RankedTensorType::get({*units}, builder.getF32Type());
    auto biasInit = initializer(arg("bias_initializer"), "zeros", biasType,
                                call.getLoc());
    if (failed(biasInit))
      return failure();
    auto bias =
        addParameter(*name + "/bias", biasType, *biasInit, call.getLoc());
    if (failed(bias))
      return failure();
    y = AddOp::create(builder, where, *y, *bias).getResult();
  }
  return activation(*y, arg("activation"));
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
  if (isa<ast::ListExpr>(expr))
    return error(expr.getLoc())
           << "a list is not a tensor (lists give shapes, axes and sizes)";
  return error(expr.getLoc()) << "a string is not a tensor";
}

LogicalResult Generator::checkMetrics(const MetricLocations &metrics,
                                      Value output) {
  SmallVector<const ast::InputDecl *> labels;
  for (const ast::InputDecl &input : module.inputs)
    if (input.isLabel)
      labels.push_back(&input);
  const ast::InputDecl *realLabel = nullptr;
  for (const ast::InputDecl *label : labels)
    if (label->type.elementType != ast::ElementType::I32 && !realLabel)
      realLabel = label;
  auto type = cast<RankedTensorType>(output.getType());
  int64_t count = std::max<int64_t>(labels.size(), 1);
  for (auto [where, metric] : {std::pair(metrics.accuracy, "accuracy"),
                               std::pair(metrics.topK, "top_k_accuracy")}) {
    if (!where.isValid())
      continue;
    if (labels.empty() || realLabel)
      return error(where) << metric << " needs i32 class labels"
                          << (realLabel
                                  ? ", but '" + realLabel->name + "' is f32"
                                  : "")
                          << " (a regression model reports its loss)";
    // Several labels: each has its block of the output's class scores.
    int64_t perExample = 1;
    for (int64_t d : type.getShape().drop_front())
      perExample = ShapedType::isDynamic(d) || ShapedType::isDynamic(perExample)
                       ? ShapedType::kDynamic
                       : perExample * d;
    if (count > 1 && (type.getRank() < 2 || ShapedType::isDynamic(perExample) ||
                      perExample % count != 0))
      return error(where) << metric << " with " << count
                          << " labels reads one block of class scores per "
                             "label from each row of the output, but '"
                          << module.output->first << "' is "
                          << formatUserType(type)
                          << ", whose rows do not split into " << count
                          << " equal blocks";
  }
  if (!metrics.topK.isValid())
    return success();
  if (type.getRank() != 2 || type.isDynamicDim(1))
    return error(metrics.topK)
           << "top_k_accuracy needs an output of class scores [batch, C], "
              "but '"
           << module.output->first << "' is " << formatUserType(type);
  int64_t classes = type.getDimSize(1) / count;
  if (recipe.topK > classes)
    return error(metrics.topK)
           << "k = " << recipe.topK << " exceeds the " << classes << " classes "
           << (count > 1 ? "per label " : "") << "of '" << module.output->first
           << "'";
  return success();
}

OwningOpRef<ModuleOp> Generator::generate() {
  MLIRContext *context = builder.getContext();
  context->loadDialect<KilnDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> result =
      ModuleOp::create(loc(module.loc), StringRef(module.name));

  MetricLocations metrics;
  if (failed(generateRecipe(module, *result, recipe, errorFn(), metrics)))
    return nullptr;

  // Arguments: inputs, then labels, then declared parameters, then the
  // parameters layers create. The function type is set once all are known.
  builder.setInsertionPointToEnd(result->getBody());
  auto forward = func::FuncOp::create(builder, loc(module.loc),
                                      model::kForwardFunc,
                                      builder.getFunctionType({}, {}));
  body = builder.createBlock(&forward.getBody());
  for (bool labels : {false, true})
    for (const ast::InputDecl &input : module.inputs) {
      if (input.isLabel != labels)
        continue;
      auto type = tensorType(input.type, /*allowBatch=*/true);
      if (failed(type))
        return nullptr;
      // Labels are i32 class indices or f32 values (regression targets,
      // probabilities); inputs are f32.
      if (!labels && !type->getElementType().isF32())
        return error(input.type.loc) << "inputs must be f32", nullptr;
      NamedAttrList attrs;
      attrs.append(labels ? model::kLabelAttr : model::kInputAttr,
                   builder.getStringAttr(input.name));
      argAttrs.push_back(attrs);
      symbols[input.name] = body->addArgument(*type, loc(input.loc));
    }
  for (const ast::ParamDecl &param : module.params) {
    auto type = tensorType(param.type, /*allowBatch=*/false);
    if (failed(type))
      return nullptr;
    if (!type->getElementType().isF32())
      return error(param.type.loc) << "parameters must be f32", nullptr;
    auto init = initializer(param.init.get(), "", *type, param.init->getLoc());
    if (failed(init))
      return nullptr;
    auto arg = addParameter(param.name, *type, *init, param.loc);
    if (failed(arg))
      return nullptr;
    symbols[param.name] = *arg;
  }

  builder.setInsertionPointToStart(body);
  const ast::Assignment *lossAssignment = nullptr;
  for (const ast::Assignment &statement : module.assignments) {
    assignment = &statement;
    auto value = expression(*statement.value);
    if (failed(value))
      return nullptr;
    symbols[statement.name] = *value;
    if (statement.name == "loss")
      lossAssignment = &statement;
  }
  assignment = nullptr;
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
  if (failed(checkMetrics(metrics, output)))
    return nullptr;
  func::ReturnOp::create(builder, loc(module.loc), ValueRange{loss, output});
  forward.setFunctionType(builder.getFunctionType(
      body->getArgumentTypes(), {loss.getType(), output.getType()}));
  for (auto [i, attrs] : llvm::enumerate(argAttrs))
    forward.setArgAttrs(i, attrs.getDictionary(context));
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
