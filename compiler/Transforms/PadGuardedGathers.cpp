//===- PadGuardedGathers.cpp - Guarded gathers as reads of a padded copy -===//
//
// The input gradient of a stride-1 convolution is lowered as a gather: its
// body reads dy at an affine function of the loop indices when that lies
// inside dy, and 0 otherwise. Reading a zero-padded copy of dy through an
// indexing map is the same and turns the op into a plain convolution that
// kiln-vectorize-convolutions can tile.
//
//===----------------------------------------------------------------------===//
#include "Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace kiln {
#define GEN_PASS_DEF_PADGUARDEDGATHERS
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// `value` as an affine function of the generic's loop indices (sums,
/// differences and constant multiples of linalg.index), or null.
AffineExpr asAffine(Value value, MLIRContext *context) {
  if (auto index = value.getDefiningOp<linalg::IndexOp>())
    return getAffineDimExpr(index.getDim(), context);
  APInt constant;
  if (matchPattern(value, m_ConstantInt(&constant)))
    return getAffineConstantExpr(constant.getSExtValue(), context);
  Operation *op = value.getDefiningOp();
  if (!op || !isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(op))
    return nullptr;
  AffineExpr lhs = asAffine(op->getOperand(0), context);
  AffineExpr rhs = asAffine(op->getOperand(1), context);
  if (!lhs || !rhs)
    return nullptr;
  if (isa<arith::AddIOp>(op))
    return lhs + rhs;
  if (isa<arith::SubIOp>(op))
    return lhs - rhs;
  if (!isa<AffineConstantExpr>(lhs) && !isa<AffineConstantExpr>(rhs))
    return nullptr; // not affine
  return lhs * rhs;
}

/// One conjunct of a guard: `expr >= 0` (lower) or `expr < bound`.
struct Bound {
  AffineExpr expr;
  bool lower;
  int64_t bound;
};

/// The conjuncts of `guard` (an `arith.andi` tree of such comparisons), or
/// failure when it holds anything else.
LogicalResult collectBounds(Value guard, SmallVectorImpl<Bound> &bounds) {
  if (auto both = guard.getDefiningOp<arith::AndIOp>())
    return success(succeeded(collectBounds(both.getLhs(), bounds)) &&
                   succeeded(collectBounds(both.getRhs(), bounds)));
  auto compare = guard.getDefiningOp<arith::CmpIOp>();
  APInt constant;
  if (!compare || !matchPattern(compare.getRhs(), m_ConstantInt(&constant)))
    return failure();
  AffineExpr expr = asAffine(compare.getLhs(), guard.getContext());
  if (!expr)
    return failure();
  int64_t value = constant.getSExtValue();
  if (compare.getPredicate() == arith::CmpIPredicate::sge && value == 0)
    bounds.push_back({expr, true, 0});
  else if (compare.getPredicate() == arith::CmpIPredicate::slt)
    bounds.push_back({expr, false, value});
  else
    return failure();
  return success();
}

/// The smallest and largest value of `expr` over the loop ranges, when
/// every loop it uses has a static size.
std::optional<std::pair<int64_t, int64_t>> exprRange(AffineExpr expr,
                                                     ArrayRef<int64_t> ranges) {
  int64_t low = 0, high = 0;
  for (unsigned d = 0; d < ranges.size(); ++d) {
    // The coefficient of d: the change from d = 0 to d = 1.
    SmallVector<AffineExpr> zeros(ranges.size(),
                                  getAffineConstantExpr(0, expr.getContext()));
    AffineExpr at0 = expr.replaceDims(zeros);
    zeros[d] = getAffineConstantExpr(1, expr.getContext());
    int64_t coefficient =
        cast<AffineConstantExpr>(expr.replaceDims(zeros)).getValue() -
        cast<AffineConstantExpr>(at0).getValue();
    if (coefficient == 0)
      continue;
    if (ShapedType::isDynamic(ranges[d]))
      return std::nullopt;
    int64_t span = coefficient * (ranges[d] - 1);
    low += std::min<int64_t>(0, span);
    high += std::max<int64_t>(0, span);
  }
  SmallVector<AffineExpr> zeros(ranges.size(),
                                getAffineConstantExpr(0, expr.getContext()));
  int64_t constant =
      cast<AffineConstantExpr>(expr.replaceDims(zeros)).getValue();
  return std::make_pair(low + constant, high + constant);
}

/// A guarded gather in a generic's body and how to pad its source.
struct Gather {
  tensor::ExtractOp extract;
  arith::SelectOp value; // select(guard, extract, 0)
  SmallVector<AffineExpr> indices;
  SmallVector<int64_t> padBefore, padAfter;
};

/// The one zero-guarded tensor.extract of `op` whose guard is exactly
/// "every guarded index lies inside the source", or nothing.
std::optional<Gather> matchGather(linalg::GenericOp op) {
  SmallVector<tensor::ExtractOp> extracts;
  op.getRegion().walk([&](tensor::ExtractOp e) { extracts.push_back(e); });
  if (extracts.size() != 1 || !extracts[0]->hasOneUse())
    return std::nullopt;
  Gather gather;
  gather.extract = extracts[0];
  gather.value = dyn_cast<arith::SelectOp>(*gather.extract->user_begin());
  if (!gather.value || gather.value.getTrueValue() != gather.extract ||
      !matchPattern(gather.value.getFalseValue(), m_AnyZeroFloat()))
    return std::nullopt;
  Value guard = gather.value.getCondition();
  auto source = cast<RankedTensorType>(gather.extract.getTensor().getType());
  if (op.getRegion().isAncestor(gather.extract.getTensor().getParentRegion()))
    return std::nullopt; // the padded copy is built before the op

  // Indices may be select(guard, index, anything): only in-range values
  // matter, and there the guard is true.
  for (Value index : gather.extract.getIndices()) {
    auto select = index.getDefiningOp<arith::SelectOp>();
    if (select && select.getCondition() == guard)
      index = select.getTrueValue();
    AffineExpr expr = asAffine(index, op.getContext());
    if (!expr)
      return std::nullopt;
    gather.indices.push_back(expr);
  }
  SmallVector<Bound> bounds;
  if (failed(collectBounds(guard, bounds)))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (auto [i, expr] : llvm::enumerate(gather.indices)) {
    bool lower = false, upper = false;
    for (const Bound &b : bounds) {
      if (b.expr != expr)
        continue;
      if (!b.lower && b.bound != source.getDimSize(i))
        return std::nullopt;
      (b.lower ? lower : upper) = true;
    }
    // An index the guard does not check is inside the source: the op read
    // it unconditionally.
    int64_t before = 0, after = 0;
    if (lower || upper) {
      auto range = exprRange(expr, ranges);
      if (!range || source.isDynamicDim(i))
        return std::nullopt;
      if (lower)
        before = std::max<int64_t>(0, -range->first);
      if (upper)
        after =
            std::max<int64_t>(0, range->second - (source.getDimSize(i) - 1));
    }
    gather.padBefore.push_back(before);
    gather.padAfter.push_back(after);
  }
  // Every conjunct must check some index against the source's bounds:
  // anything else would zero elements the padded copy does not.
  for (const Bound &b : bounds)
    if (!llvm::is_contained(gather.indices, b.expr))
      return std::nullopt;
  return gather;
}

/// A zero-filled tensor with `source` copied in at the padding offsets
/// (a copy into a slice, which bufferizes in place).
Value buildPadded(OpBuilder &b, Location loc, Value source,
                  const Gather &gather) {
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, source);
  SmallVector<OpFoldResult> paddedSizes, offsets, strides;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    int64_t pad = gather.padBefore[i] + gather.padAfter[i];
    paddedSizes.push_back(type.isDynamicDim(i)
                              ? sizes[i]
                              : b.getIndexAttr(type.getDimSize(i) + pad));
    offsets.push_back(b.getIndexAttr(gather.padBefore[i]));
    strides.push_back(b.getIndexAttr(1));
  }
  Value empty =
      tensor::EmptyOp::create(b, loc, paddedSizes, type.getElementType());
  Value zero =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
  Value zeros = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  Value slot =
      tensor::ExtractSliceOp::create(b, loc, zeros, offsets, sizes, strides);
  // A generic, not linalg.copy, which canonicalizes to a memref.copy that
  // the CPU pipeline lowers to a runtime call.
  AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
  Value copied = linalg::GenericOp::create(
                     b, loc, slot.getType(), source, slot,
                     SmallVector<AffineMap>{identity, identity},
                     SmallVector<utils::IteratorType>(
                         type.getRank(), utils::IteratorType::parallel),
                     [](OpBuilder &nb, Location l, ValueRange args) {
                       linalg::YieldOp::create(nb, l, args[0]);
                     })
                     .getResult(0);
  return tensor::InsertSliceOp::create(b, loc, copied, zeros, offsets, sizes,
                                       strides);
}

/// Replaces the gather of `op` by an input reading the padded source.
void rewrite(RewriterBase &rewriter, linalg::GenericOp op, Gather gather) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value padded = buildPadded(rewriter, loc, gather.extract.getTensor(), gather);
  SmallVector<AffineExpr> shifted;
  for (auto [i, expr] : llvm::enumerate(gather.indices))
    shifted.push_back(expr + gather.padBefore[i]);
  SmallVector<Value> inputs = op.getDpsInputs();
  inputs.push_back(padded);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned position = op.getNumDpsInputs();
  maps.insert(maps.begin() + position,
              AffineMap::get(op.getNumLoops(), 0, shifted, op.getContext()));
  auto generic = linalg::GenericOp::create(rewriter, loc, op.getResultTypes(),
                                           inputs, op.getDpsInits(), maps,
                                           op.getIteratorTypesArray());
  rewriter.inlineRegionBefore(op.getRegion(), generic.getRegion(),
                              generic.getRegion().begin());
  Block &body = generic.getRegion().front();
  Value element = body.insertArgument(
      position, cast<RankedTensorType>(padded.getType()).getElementType(), loc);
  rewriter.replaceAllUsesWith(gather.value.getResult(), element);
  // The index arithmetic and guards are dead now; later passes match the
  // body op by op.
  for (bool erased = true; erased;) {
    erased = false;
    for (Operation &inner :
         llvm::make_early_inc_range(body.without_terminator()))
      if (isOpTriviallyDead(&inner)) {
        rewriter.eraseOp(&inner);
        erased = true;
      }
  }
  rewriter.replaceOp(op, generic.getResults());
}

class PadGuardedGathersPass
    : public kiln::impl::PadGuardedGathersBase<PadGuardedGathersPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, Gather>> gathers;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.getNumReductionLoops() == 0)
        return; // a padding copy itself, or an elementwise gather
      if (auto gather = matchGather(op))
        gathers.emplace_back(op, *gather);
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, gather] : gathers)
      rewrite(rewriter, op, gather);
  }
};

} // namespace
