//===- KilnShapeRules.cpp - Result shapes of kiln ops ---------------------===//
#include "Kiln/IR/KilnShapeRules.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/Sequence.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace mlir;

namespace kiln {

static constexpr int64_t kDyn = ShapedType::kDynamic;

std::string formatUserType(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor) {
    os << type;
    return text;
  }
  os << tensor.getElementType() << "[";
  llvm::interleaveComma(tensor.getShape(), os, [&](int64_t d) {
    if (d == kDyn)
      os << "?";
    else
      os << d;
  });
  os << "]";
  return text;
}

static FailureOr<RankedTensorType> asRanked(std::optional<Location> loc,
                                            Type type, StringRef what) {
  if (auto ranked = dyn_cast<RankedTensorType>(type))
    return ranked;
  return emitOptionalError(loc, what, " must be a ranked tensor, got ", type);
}

FailureOr<RankedTensorType> inferBroadcastType(std::optional<Location> loc,
                                               Type lhs, Type rhs) {
  auto l = asRanked(loc, lhs, "left operand");
  auto r = asRanked(loc, rhs, "right operand");
  if (failed(l) || failed(r))
    return failure();
  ArrayRef<int64_t> ls = l->getShape(), rs = r->getShape();
  size_t rank = std::max(ls.size(), rs.size());
  SmallVector<int64_t> shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Walk from the trailing dimension; a missing dimension acts as 1.
    int64_t a = i < ls.size() ? ls[ls.size() - 1 - i] : 1;
    int64_t b = i < rs.size() ? rs[rs.size() - 1 - i] : 1;
    int64_t out;
    if (a == b || b == 1)
      out = a;
    else if (a == 1)
      out = b;
    else if (a == kDyn)
      out = b;
    else if (b == kDyn)
      out = a;
    else
      return emitOptionalError(
          loc, "shapes ", formatUserType(lhs), " and ", formatUserType(rhs),
          " cannot be broadcast together (dimension ", a, " vs ", b, ")");
    shape[rank - 1 - i] = out;
  }
  return RankedTensorType::get(shape, l->getElementType());
}

bool isBroadcastableTo(RankedTensorType from, RankedTensorType to) {
  if (from.getRank() > to.getRank())
    return false;
  int64_t offset = to.getRank() - from.getRank();
  for (auto [i, d] : llvm::enumerate(from.getShape())) {
    int64_t target = to.getDimSize(offset + i);
    if (d != 1 && d != target && d != kDyn)
      return false;
  }
  return true;
}

FailureOr<RankedTensorType> inferMatmulType(std::optional<Location> loc,
                                            Type a, Type b, bool transposeA,
                                            bool transposeB) {
  auto ta = asRanked(loc, a, "matmul operand");
  auto tb = asRanked(loc, b, "matmul operand");
  if (failed(ta) || failed(tb))
    return failure();
  if (ta->getRank() != 2 || tb->getRank() != 2)
    return emitOptionalError(loc, "matmul expects 2-D operands, got ",
                             formatUserType(a), " and ", formatUserType(b));
  int64_t m = ta->getDimSize(transposeA ? 1 : 0);
  int64_t k1 = ta->getDimSize(transposeA ? 0 : 1);
  int64_t k2 = tb->getDimSize(transposeB ? 1 : 0);
  int64_t n = tb->getDimSize(transposeB ? 0 : 1);
  if (k1 != kDyn && k2 != kDyn && k1 != k2)
    return emitOptionalError(loc, "matmul inner dimensions differ: ",
                             formatUserType(a), " x ", formatUserType(b),
                             " (", k1, " vs ", k2, ")");
  return RankedTensorType::get({m, n}, ta->getElementType());
}

FailureOr<SmallVector<int64_t>> normalizeAxes(std::optional<Location> loc,
                                              int64_t rank,
                                              ArrayRef<int64_t> axes) {
  SmallVector<int64_t> result;
  if (axes.empty()) {
    for (int64_t i = 0; i < rank; ++i)
      result.push_back(i);
    return result;
  }
  for (int64_t axis : axes) {
    int64_t normalized = axis < 0 ? axis + rank : axis;
    if (normalized < 0 || normalized >= rank)
      return emitOptionalError(loc, "axis ", axis,
                               " is out of range for a tensor of rank ", rank);
    result.push_back(normalized);
  }
  llvm::sort(result);
  if (std::adjacent_find(result.begin(), result.end()) != result.end())
    return emitOptionalError(loc, "axes must not repeat");
  return result;
}

FailureOr<RankedTensorType> inferReduceType(std::optional<Location> loc,
                                            Type x, ArrayRef<int64_t> axes,
                                            bool keepdims) {
  auto tx = asRanked(loc, x, "reduction operand");
  if (failed(tx))
    return failure();
  auto normalized = normalizeAxes(loc, tx->getRank(), axes);
  if (failed(normalized))
    return failure();
  SmallVector<int64_t> shape;
  for (auto [i, d] : llvm::enumerate(tx->getShape())) {
    bool reduced = llvm::is_contained(*normalized, (int64_t)i);
    if (!reduced)
      shape.push_back(d);
    else if (keepdims)
      shape.push_back(1);
  }
  return RankedTensorType::get(shape, tx->getElementType());
}

FailureOr<RankedTensorType>
inferSoftmaxCrossEntropyType(std::optional<Location> loc, Type logits,
                             Type labels) {
  auto tl = asRanked(loc, logits, "logits");
  auto ty = asRanked(loc, labels, "labels");
  if (failed(tl) || failed(ty))
    return failure();
  if (tl->getRank() != 2 || !tl->getElementType().isF32())
    return emitOptionalError(loc, "softmax_cross_entropy expects f32 logits "
                                  "of shape [batch, classes], got ",
                             formatUserType(logits));
  bool dense = ty->getElementType().isF32();
  if (dense && ty->getRank() != 2)
    return emitOptionalError(loc, "softmax_cross_entropy expects f32 labels "
                                  "of shape [batch, classes], got ",
                             formatUserType(labels));
  if (!dense && (ty->getRank() != 1 || !ty->getElementType().isInteger(32)))
    return emitOptionalError(loc, "softmax_cross_entropy expects i32 labels "
                                  "of shape [batch], got ",
                             formatUserType(labels));
  int64_t n1 = tl->getDimSize(0), n2 = ty->getDimSize(0);
  if (n1 != kDyn && n2 != kDyn && n1 != n2)
    return emitOptionalError(loc, "logits ", formatUserType(logits),
                             " and labels ", formatUserType(labels),
                             " have different batch sizes");
  if (dense && tl->getDimSize(1) != ty->getDimSize(1))
    return emitOptionalError(loc, "logits ", formatUserType(logits),
                             " and labels ", formatUserType(labels),
                             " have different numbers of classes");
  return RankedTensorType::get({n1 == kDyn ? n2 : n1}, tl->getElementType());
}

FailureOr<RankedTensorType> inferTransposeType(std::optional<Location> loc,
                                               Type x, ArrayRef<int64_t> perm) {
  auto tx = asRanked(loc, x, "transpose operand");
  if (failed(tx))
    return failure();
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  bool isPermutation = (int64_t)perm.size() == tx->getRank() &&
                       llvm::equal(sorted, llvm::seq<int64_t>(0, perm.size()));
  if (!isPermutation) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvm::interleaveComma(perm, os);
    return emitOptionalError(loc, "perm [", text,
                             "] is not a permutation of the dimensions of ",
                             formatUserType(x));
  }
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(tx->getDimSize(p));
  return RankedTensorType::get(shape, tx->getElementType());
}

FailureOr<RankedTensorType> inferConcatType(std::optional<Location> loc,
                                            TypeRange inputs, int64_t axis) {
  if (inputs.empty())
    return emitOptionalError(loc, "concat needs at least one tensor");
  auto first = asRanked(loc, inputs[0], "concat operand");
  if (failed(first))
    return failure();
  auto normalized = normalizeAxes(loc, first->getRank(), {axis});
  if (failed(normalized))
    return failure();
  int64_t a = normalized->front();
  SmallVector<int64_t> shape(first->getShape());
  shape[a] = 0;
  for (Type input : inputs) {
    auto t = asRanked(loc, input, "concat operand");
    if (failed(t))
      return failure();
    if (t->getRank() != first->getRank())
      return emitOptionalError(loc, "concat operands ",
                               formatUserType(inputs[0]), " and ",
                               formatUserType(input), " differ in rank");
    for (int64_t i = 0; i < t->getRank(); ++i) {
      int64_t d = t->getDimSize(i);
      if (i == a) {
        if (d == kDyn)
          return emitOptionalError(loc, "concat axis ", axis, " of ",
                                   formatUserType(input),
                                   " must have a static size");
        shape[a] += d;
        continue;
      }
      if (d != kDyn && shape[i] != kDyn && d != shape[i])
        return emitOptionalError(loc, "concat operands ",
                                 formatUserType(inputs[0]), " and ",
                                 formatUserType(input),
                                 " differ in dimension ", i);
      if (shape[i] == kDyn)
        shape[i] = d;
    }
  }
  return RankedTensorType::get(shape, first->getElementType());
}

FailureOr<RankedTensorType> inferSliceType(std::optional<Location> loc, Type x,
                                           ArrayRef<int64_t> begin,
                                           ArrayRef<int64_t> size) {
  auto tx = asRanked(loc, x, "slice operand");
  if (failed(tx))
    return failure();
  if ((int64_t)begin.size() != tx->getRank() ||
      (int64_t)size.size() != tx->getRank())
    return emitOptionalError(loc, "slice of ", formatUserType(x), " needs ",
                             tx->getRank(), " begin and size entries, got ",
                             begin.size(), " and ", size.size());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < tx->getRank(); ++i) {
    int64_t d = tx->getDimSize(i), b = begin[i], n = size[i];
    if (d == kDyn) {
      if (b != 0 || n != -1)
        return emitOptionalError(loc, "slice can only take the dynamic "
                                      "dimension ",
                                 i, " of ", formatUserType(x),
                                 " whole (begin 0, size -1)");
      shape.push_back(kDyn);
      continue;
    }
    int64_t end = n == -1 ? d : b + n;
    if (b < 0 || n < -1 || end > d)
      return emitOptionalError(loc, "slice [", b, ", ", end,
                               ") is out of range for dimension ", i, " of ",
                               formatUserType(x));
    shape.push_back(end - b);
  }
  return RankedTensorType::get(shape, tx->getElementType());
}

FailureOr<RankedTensorType> inferOneHotType(std::optional<Location> loc,
                                            Type indices, int64_t depth) {
  auto ti = asRanked(loc, indices, "one_hot indices");
  if (failed(ti))
    return failure();
  if (!ti->getElementType().isInteger(32))
    return emitOptionalError(loc, "one_hot expects i32 indices, got ",
                             formatUserType(indices));
  if (depth < 1)
    return emitOptionalError(loc, "one_hot depth must be positive, got ",
                             depth);
  SmallVector<int64_t> shape(ti->getShape());
  shape.push_back(depth);
  return RankedTensorType::get(shape, Float32Type::get(ti->getContext()));
}

WindowDim windowDim(int64_t inSize, int64_t window, int64_t stride,
                    int64_t dilation, bool same) {
  int64_t extent = (window - 1) * dilation + 1;
  if (!same)
    return {(inSize - extent) / stride + 1, 0};
  int64_t out = (inSize + stride - 1) / stride;
  int64_t total = std::max<int64_t>((out - 1) * stride + extent - inSize, 0);
  return {out, total / 2};
}

FailureOr<bool> parsePadding(std::optional<Location> loc, StringRef padding) {
  if (padding == "SAME" || padding == "VALID")
    return padding == "SAME";
  return emitOptionalError(loc, "padding must be \"SAME\" or \"VALID\", "
                                "got \"",
                           padding, "\"");
}

/// Checks `values` (strides, dilations, window) has two positive entries.
static LogicalResult checkPair(std::optional<Location> loc,
                               const llvm::Twine &what,
                               ArrayRef<int64_t> values) {
  if (values.size() == 2 && values[0] > 0 && values[1] > 0)
    return success();
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(values, os);
  return emitOptionalError(loc, what, " must be two positive integers [h, w], "
                                      "got [",
                           text, "]");
}

/// An NHWC activation with static H, W and C.
static FailureOr<RankedTensorType> asNHWC(std::optional<Location> loc,
                                          StringRef name, Type x) {
  auto tx = asRanked(loc, x, "input");
  if (failed(tx))
    return failure();
  if (tx->getRank() != 4 || !tx->getElementType().isF32() ||
      llvm::any_of(tx->getShape().drop_front(),
                   [](int64_t d) { return d == kDyn; }))
    return emitOptionalError(loc, name, " expects an f32 input of shape "
                                        "[batch, height, width, channels] "
                                        "(only the batch dynamic), got ",
                             formatUserType(x));
  return tx;
}

/// Output spatial sizes of a window op over `x`, or an error when the
/// window does not fit a VALID input.
static FailureOr<std::pair<WindowDim, WindowDim>>
windowDims(std::optional<Location> loc, const llvm::Twine &what,
           RankedTensorType x,
           ArrayRef<int64_t> window, ArrayRef<int64_t> strides,
           ArrayRef<int64_t> dilations, bool same) {
  WindowDim dims[2];
  for (int i = 0; i < 2; ++i) {
    int64_t extent = (window[i] - 1) * dilations[i] + 1;
    if (!same && extent > x.getDimSize(1 + i))
      return emitOptionalError(
          loc, what, " ", window[0], "x", window[1],
          dilations[i] > 1 ? " (dilated)" : "", " is larger than the input ",
          x.getDimSize(1), "x", x.getDimSize(2), " with VALID padding");
    dims[i] = windowDim(x.getDimSize(1 + i), window[i], strides[i],
                        dilations[i], same);
  }
  return std::make_pair(dims[0], dims[1]);
}

FailureOr<RankedTensorType>
inferConv2DType(std::optional<Location> loc, Type x, Type filter,
                ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                StringRef padding) {
  auto tx = asNHWC(loc, "conv2d", x);
  auto tf = asRanked(loc, filter, "filter");
  if (failed(tx) || failed(tf))
    return failure();
  if (tf->getRank() != 4 || !tf->hasStaticShape() ||
      !tf->getElementType().isF32())
    return emitOptionalError(loc, "conv2d expects an f32 filter of static "
                                  "shape [height, width, in_channels, "
                                  "out_channels], got ",
                             formatUserType(filter));
  if (tx->getDimSize(3) != tf->getDimSize(2))
    return emitOptionalError(loc, "conv2d input ", formatUserType(x), " has ",
                             tx->getDimSize(3), " channels but the filter ",
                             formatUserType(filter), " expects ",
                             tf->getDimSize(2));
  auto same = parsePadding(loc, padding);
  if (failed(checkPair(loc, "conv2d strides", strides)) ||
      failed(checkPair(loc, "conv2d dilations", dilations)) || failed(same))
    return failure();
  auto dims = windowDims(loc, "conv2d filter", *tx, tf->getShape().take_front(2),
                         strides, dilations, *same);
  if (failed(dims))
    return failure();
  return RankedTensorType::get({tx->getDimSize(0), dims->first.outSize,
                                dims->second.outSize, tf->getDimSize(3)},
                               tx->getElementType());
}

FailureOr<RankedTensorType> inferPoolType(std::optional<Location> loc,
                                          StringRef name, Type x,
                                          ArrayRef<int64_t> window,
                                          ArrayRef<int64_t> strides,
                                          StringRef padding) {
  auto tx = asNHWC(loc, name, x);
  if (failed(tx))
    return failure();
  auto same = parsePadding(loc, padding);
  if (failed(checkPair(loc, name + " window", window)) ||
      failed(checkPair(loc, name + " strides", strides)) || failed(same))
    return failure();
  int64_t ones[] = {1, 1};
  auto dims =
      windowDims(loc, name + " window", *tx, window, strides, ones, *same);
  if (failed(dims))
    return failure();
  return RankedTensorType::get({tx->getDimSize(0), dims->first.outSize,
                                dims->second.outSize, tx->getDimSize(3)},
                               tx->getElementType());
}

LogicalResult verifyCompatibleType(std::optional<Location> loc, StringRef what,
                                   Type actual, Type expected) {
  if (succeeded(mlir::verifyCompatibleShape(actual, expected)) &&
      getElementTypeOrSelf(actual) == getElementTypeOrSelf(expected))
    return success();
  return emitOptionalError(loc, what, " must be ", formatUserType(expected),
                           ", got ", formatUserType(actual));
}

/// Product of the static dimensions, and how many are dynamic.
static std::pair<int64_t, int> staticProduct(RankedTensorType t) {
  int64_t product = 1;
  int dynamic = 0;
  for (int64_t d : t.getShape()) {
    if (d == kDyn)
      ++dynamic;
    else
      product *= d;
  }
  return {product, dynamic};
}

LogicalResult verifyReshapeTypes(std::optional<Location> loc, Type from,
                                 Type to) {
  auto tf = asRanked(loc, from, "reshape operand");
  auto tt = asRanked(loc, to, "reshape result");
  if (failed(tf) || failed(tt))
    return failure();
  if (tf->getElementType() != tt->getElementType())
    return emitOptionalError(loc, "reshape cannot change the element type");
  auto [fromCount, fromDyn] = staticProduct(*tf);
  auto [toCount, toDyn] = staticProduct(*tt);
  if (fromDyn > 1 || toDyn > 1)
    return emitOptionalError(loc, "reshape supports at most one dynamic "
                                  "dimension, got ",
                             formatUserType(from), " to ", formatUserType(to));
  auto mismatch = [&]() {
    return emitOptionalError(loc, "cannot reshape ", formatUserType(from),
                             " to ", formatUserType(to));
  };
  if (fromDyn == 0 && toDyn == 0)
    return fromCount == toCount ? success() : mismatch();
  if (fromDyn == 1 && toDyn == 0)
    return emitOptionalError(loc, "cannot reshape ", formatUserType(from),
                             " (dynamic size) to the static shape ",
                             formatUserType(to));
  if (toCount == 0 || fromCount % toCount != 0)
    return mismatch();
  return success();
}

LogicalResult pushInferredType(FailureOr<RankedTensorType> type,
                               SmallVectorImpl<Type> &results) {
  if (failed(type))
    return failure();
  results.push_back(*type);
  return success();
}

} // namespace kiln
