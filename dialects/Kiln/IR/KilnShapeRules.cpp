//===- KilnShapeRules.cpp - Result shapes of kiln ops ---------------------===//
#include "Kiln/IR/KilnShapeRules.h"

#include "mlir/IR/Diagnostics.h"
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
  if (ty->getRank() != 1 || !ty->getElementType().isInteger(32))
    return emitOptionalError(loc, "softmax_cross_entropy expects i32 labels "
                                  "of shape [batch], got ",
                             formatUserType(labels));
  int64_t n1 = tl->getDimSize(0), n2 = ty->getDimSize(0);
  if (n1 != kDyn && n2 != kDyn && n1 != n2)
    return emitOptionalError(loc, "logits ", formatUserType(logits),
                             " and labels ", formatUserType(labels),
                             " have different batch sizes");
  return RankedTensorType::get({n1 == kDyn ? n2 : n1}, tl->getElementType());
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
