//===- TransposeProducts.cpp - A * B^T as (B * A^T)^T when B is large ----===//
//
// kiln-vectorize-contractions gives a product whose second operand is
// indexed (n, k) an explicit transposed copy of that operand. For the
// input gradient of a dense layer, dx = dy * W^T, that copies the whole
// weight every step. Computing dx^T = W * dy^T instead transposes dy and
// the result, which are a batch high, not the weight.
//
//===----------------------------------------------------------------------===//
#include "Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_TRANSPOSEPRODUCTS
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The M, N and K loop of C[m, n] += A[m, k] * B[n, k], or nothing.
std::optional<std::array<unsigned, 3>> transposedBDims(linalg::GenericOp op) {
  if (op.getNumLoops() != 3 || op.getNumDpsInputs() != 2 ||
      !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  auto dims = linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || !dims->batch.empty())
    return std::nullopt;
  unsigned m = dims->m[0], n = dims->n[0], k = dims->k[0];
  MLIRContext *context = op.getContext();
  auto map = [&](unsigned a, unsigned b) {
    return AffineMap::get(
        3, 0, {getAffineDimExpr(a, context), getAffineDimExpr(b, context)},
        context);
  };
  if (op.getIndexingMapsArray() !=
      SmallVector<AffineMap>{map(m, k), map(n, k), map(m, n)})
    return std::nullopt;
  return std::array<unsigned, 3>{m, n, k};
}

/// Whether transposing A and C copies fewer elements than transposing B.
/// A dynamic size counts as 64, a typical batch.
bool transposingResultIsCheaper(linalg::GenericOp op,
                                std::array<unsigned, 3> dims) {
  auto [m, n, k] = dims;
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  for (int64_t &size : sizes)
    if (ShapedType::isDynamic(size))
      size = 64;
  return sizes[n] * sizes[k] > sizes[m] * sizes[k] + sizes[m] * sizes[n];
}

Value transpose(OpBuilder &b, Location loc, Value matrix) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, matrix);
  std::swap(sizes[0], sizes[1]);
  Value init = tensor::EmptyOp::create(
      b, loc, sizes, cast<RankedTensorType>(matrix.getType()).getElementType());
  return linalg::TransposeOp::create(b, loc, matrix, init,
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

/// C = A * B^T becomes C = (B * A^T)^T: a product with B first, the same
/// body (its inputs swapped back), into the transposed C. Its loops are
/// (n, m, k) in that order, the order kiln-vectorize-contractions tiles.
void rewrite(RewriterBase &rewriter, linalg::GenericOp op) {
  constexpr unsigned n = 0, m = 1, k = 2;
  Location loc = op.getLoc();
  MLIRContext *context = op.getContext();
  rewriter.setInsertionPoint(op);
  Value transposedInit = transpose(rewriter, loc, op.getDpsInits()[0]);
  auto map = [&](unsigned a, unsigned b) {
    return AffineMap::get(
        3, 0, {getAffineDimExpr(a, context), getAffineDimExpr(b, context)},
        context);
  };
  Block &body = op.getRegion().front();
  auto swapped = linalg::GenericOp::create(
      rewriter, loc, TypeRange{transposedInit.getType()},
      ValueRange{op.getDpsInputs()[1], op.getDpsInputs()[0]},
      ValueRange{transposedInit},
      SmallVector<AffineMap>{map(n, k), map(m, k), map(n, m)},
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                       utils::IteratorType::parallel,
                                       utils::IteratorType::reduction},
      [&](OpBuilder &b, Location, ValueRange args) {
        IRMapping mapping;
        mapping.map(body.getArgument(0), args[1]);
        mapping.map(body.getArgument(1), args[0]);
        mapping.map(body.getArgument(2), args[2]);
        for (Operation &inner : body)
          b.clone(inner, mapping);
      });
  rewriter.replaceOp(op, transpose(rewriter, loc, swapped.getResult(0)));
}

class TransposeProductsPass
    : public kiln::impl::TransposeProductsBase<TransposeProductsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> products;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (auto dims = transposedBDims(op))
        if (transposingResultIsCheaper(op, *dims))
          products.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : products)
      rewrite(rewriter, op);
  }
};

} // namespace
