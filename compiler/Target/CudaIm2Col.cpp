//===- CudaIm2Col.cpp - Convolution-like contractions as matmuls ----------===//
//
// kiln-gpu-im2col (declared in Transforms/Passes.td). A linalg op that computes
// out[P] += a * b, where `a` depends on a leading group P_A of the output
// dimensions and `b` on the rest (P_B), plus any reduction
// dimensions R, is a matrix product once each factor is laid out as a
// matrix: A[P_A, R] (the im2col gather) and B[R, P_B]. Convolutions and
// both their gradients have that form:
//   forward       out[n,oh,ow | f]   a = x[n, oh*s+kh*d, ...]   b = w
//   filter grad   dw[kh,kw,ci | co]  a = x[n, oh*s+kh*d, ...]   b = dy
//   input grad    dx[n,ih,iw | ci]   a = guarded dy gather       b = w
// and so does a sum over many positions, out[P] += x (a = 1, P_A empty),
// like the bias gradient of a convolution, and a matmul whose operand is
// computed in its body by a fused producer. The factors are materialized by
// all-parallel generics (an operand already laid out as the matrix is only
// reshaped) and the product is a linalg.matmul, which the tiled
// shared-memory matmul kernel of kiln-gpu-tile-matmul then computes.
//
// The pass runs on tensors after elementwise fusion (whose reshape
// propagation would turn the product back into one generic); a factor may
// thus read several inputs, as when a fused producer computes it.
//
//===----------------------------------------------------------------------===//
#include "Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/SetVector.h"

namespace kiln {
#define GEN_PASS_DEF_GPUIM2COL
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// One factor of out += a * b: a value of the body computed from loop
/// indices, elements of some inputs and values defined above the op (an
/// input element itself is the simplest case), or the constant 1 (no
/// value).
struct Factor {
  Value value;
  SmallVector<Operation *> slice;   // body ops computing it, in block order
  llvm::SmallSetVector<unsigned, 4> inputs; // input numbers it reads
  llvm::SmallSetVector<unsigned, 8> dims;   // loop dimensions it reads
};

/// Adds the ops of `body` that `value` depends on to `f`; fails if it
/// reads the output element or an op with side effects.
LogicalResult collectSlice(Block &body, unsigned numInputs, Value value,
                           llvm::SetVector<Operation *> &slice, Factor &f) {
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    if (arg.getOwner() != &body)
      return success(); // a nested region's own argument
    if (arg.getArgNumber() >= numInputs)
      return failure();
    f.inputs.insert(arg.getArgNumber());
    return success();
  }
  Operation *def = value.getDefiningOp();
  if (def->getBlock() != &body || slice.contains(def))
    return success(); // defined above the op, or seen
  if (!isPure(def) && !isa<linalg::IndexOp>(def))
    return failure();
  WalkResult walk = def->walk([&](Operation *nested) {
    for (Value operand : nested->getOperands())
      if (failed(collectSlice(body, numInputs, operand, slice, f)))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  slice.insert(def);
  return success();
}

std::optional<Factor> analyzeFactor(linalg::GenericOp op, Value value) {
  Factor f;
  f.value = value;
  Block &body = op.getRegion().front();
  llvm::SetVector<Operation *> slice;
  if (failed(collectSlice(body, op.getNumDpsInputs(), value, slice, f)))
    return std::nullopt;
  f.slice.assign(slice.begin(), slice.end());
  llvm::sort(f.slice,
             [](Operation *x, Operation *y) { return x->isBeforeInBlock(y); });
  for (Operation *sliceOp : f.slice)
    sliceOp->walk(
        [&](linalg::IndexOp index) { f.dims.insert(index.getDim()); });
  for (unsigned input : f.inputs)
    op.getIndexingMapsArray()[input].walkExprs([&](AffineExpr e) {
      if (auto dim = dyn_cast<AffineDimExpr>(e))
        f.dims.insert(dim.getPosition());
    });
  return f;
}

/// out[P] += a * b (or out[P] += x, as 1 * x) split into the two factors.
struct Contraction {
  Factor a, b;           // a reads P_A (+R), b reads P_B (+R)
  SmallVector<unsigned> pa, pb, r; // loop dimensions of each group
};

std::optional<Contraction> matchContraction(linalg::GenericOp op) {
  if (op.getNumLoops() < 3 || op.getNumDpsInits() != 1 ||
      !op.hasPureTensorSemantics() || op->getNumResults() != 1)
    return std::nullopt;
  auto outType = dyn_cast<RankedTensorType>(op.getDpsInits()[0].getType());
  if (!outType || !outType.getElementType().isF32())
    return std::nullopt;
  // The output lists exactly the parallel dimensions.
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outMap.isProjectedPermutation())
    return std::nullopt;
  SmallVector<unsigned> parallel, reduction;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    (op.getIteratorTypesArray()[d] == utils::IteratorType::parallel
         ? parallel
         : reduction)
        .push_back(d);
  if (reduction.empty() || outMap.getNumResults() != parallel.size())
    return std::nullopt;

  // Body: yield(out + a * b) or yield(out + x).
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues().front().getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != &body)
    return std::nullopt;
  Value out = body.getArgument(op.getNumDpsInputs());
  Value term;
  if (add.getLhs() == out)
    term = add.getRhs();
  else if (add.getRhs() == out)
    term = add.getLhs();
  else
    return std::nullopt;
  Contraction c;
  std::optional<Factor> x, y;
  Operation *used[] = {add, yield, nullptr};
  if (auto mul = term.getDefiningOp<arith::MulFOp>();
      mul && mul->getBlock() == &body) {
    x = analyzeFactor(op, mul.getLhs());
    y = analyzeFactor(op, mul.getRhs());
    used[2] = mul;
  } else {
    x = Factor(); // the constant 1, reading nothing
    y = analyzeFactor(op, term);
  }
  if (!x || !y)
    return std::nullopt;
  // Every body op belongs to the product (nothing else is computed).
  for (Operation &bodyOp : body) {
    if (llvm::is_contained(used, &bodyOp) ||
        llvm::is_contained(x->slice, &bodyOp) ||
        llvm::is_contained(y->slice, &bodyOp))
      continue;
    return std::nullopt;
  }

  // P_A: a leading group of the output dimensions, P_B the rest.
  SmallVector<unsigned> outDims;
  for (AffineExpr e : outMap.getResults())
    outDims.push_back(cast<AffineDimExpr>(e).getPosition());
  auto parallelOf = [&](const Factor &f) {
    SmallVector<unsigned> dims;
    for (unsigned d : outDims)
      if (f.dims.contains(d))
        dims.push_back(d);
    return dims;
  };
  SmallVector<unsigned> px = parallelOf(*x), py = parallelOf(*y);
  if (px.size() + py.size() != outDims.size())
    return std::nullopt;
  auto isPrefix = [&](ArrayRef<unsigned> dims) {
    return llvm::equal(dims, ArrayRef(outDims).take_front(dims.size()));
  };
  if (isPrefix(px) && !py.empty() &&
      llvm::equal(py, ArrayRef(outDims).take_back(py.size()))) {
    c.a = std::move(*x);
    c.b = std::move(*y);
    c.pa = px;
    c.pb = py;
  } else if (isPrefix(py) && !px.empty() &&
             llvm::equal(px, ArrayRef(outDims).take_back(px.size()))) {
    c.a = std::move(*y);
    c.b = std::move(*x);
    c.pa = py;
    c.pb = px;
  } else {
    return std::nullopt;
  }
  // A factor without output dimensions (the 1 of a sum) makes a single-row
  // product; its output must then be a vector.
  if (c.pa.empty() && c.pb.size() != 1)
    return std::nullopt;
  // A plain matmul (two input elements, three loops) is already one.
  auto isElement = [&](const Factor &f) {
    return f.value && isa<BlockArgument>(f.value) && f.slice.empty();
  };
  if (op.getNumLoops() == 3 && isElement(c.a) && isElement(c.b))
    return std::nullopt;
  c.r = reduction;
  return c;
}

/// Builds the im2col-style rewrite of one matched op.
class Im2ColRewriter {
public:
  Im2ColRewriter(linalg::GenericOp op, const Contraction &c,
                 RewriterBase &rewriter)
      : op(op), c(c), b(rewriter), loc(op.getLoc()) {}

  void rewrite() {
    b.setInsertionPoint(op);
    for (Range range : cast<linalg::LinalgOp>(op.getOperation())
                           .createLoopRanges(b, loc))
      loopSizes.push_back(range.size);

    // A as [M, K]: M = prod(P_A) (1 when P_A is empty), K = prod(R).
    SmallVector<unsigned> aDims(c.pa);
    aDims.append(c.r);
    Value a = materialize(c.a, aDims);
    if (c.pa.empty()) {
      // [R...] -> [K] -> [1, K].
      if (c.r.size() > 1)
        a = tensor::CollapseShapeOp::create(
            b, loc, a,
            SmallVector<ReassociationIndices>{groupOf(0, c.r.size())});
      a = tensor::ExpandShapeOp::create(
          b, loc,
          RankedTensorType::get(
              {1, cast<RankedTensorType>(a.getType()).getDimSize(0)},
              b.getF32Type()),
          a, SmallVector<ReassociationIndices>{{0, 1}},
          SmallVector<OpFoldResult>{b.getIndexAttr(1),
                                    tensor::getMixedSize(b, loc, a, 0)});
    } else {
      a = collapse(a, c.pa.size());
    }
    // B as [K, N]: the operand itself when it is laid out that way.
    SmallVector<unsigned> bDims(c.r);
    bDims.append(c.pb);
    Value bMatrix = collapse(asLaidOut(c.b, bDims), c.r.size());

    // C as [M, N] over the output, the product, and back to its shape.
    Value init = op.getDpsInits()[0];
    Value cMatrix;
    if (c.pa.empty()) {
      auto initType = cast<RankedTensorType>(init.getType());
      cMatrix = tensor::ExpandShapeOp::create(
          b, loc,
          RankedTensorType::get({1, initType.getDimSize(0)}, b.getF32Type()),
          init, SmallVector<ReassociationIndices>{{0, 1}},
          SmallVector<OpFoldResult>{b.getIndexAttr(1),
                                    tensor::getMixedSize(b, loc, init, 0)});
    } else {
      cMatrix = collapse(init, c.pa.size());
    }
    Value product =
        linalg::MatmulOp::create(b, loc, TypeRange{cMatrix.getType()},
                                 ValueRange{a, bMatrix}, ValueRange{cMatrix})
            ->getResult(0);
    Value result;
    if (c.pa.empty())
      result = tensor::CollapseShapeOp::create(
          b, loc, init.getType(), product,
          SmallVector<ReassociationIndices>{{0, 1}});
    else
      result = tensor::ExpandShapeOp::create(
          b, loc, init.getType(), product,
          SmallVector<ReassociationIndices>{groupOf(0, c.pa.size()),
                                            groupOf(c.pa.size(), c.pb.size())},
          tensor::getMixedSizes(b, loc, init));
    b.replaceOp(op, result);
  }

private:
  static ReassociationIndices groupOf(int64_t first, int64_t count) {
    ReassociationIndices group;
    for (int64_t i = 0; i < count; ++i)
      group.push_back(first + i);
    return group;
  }

  /// `value` (rank = the number of dims) as a matrix: the first `rows`
  /// dimensions are one axis, the others the second.
  Value collapse(Value value, int64_t rows) {
    int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
    if (rank == 2 && rows == 1)
      return value;
    return tensor::CollapseShapeOp::create(
        b, loc, value,
        SmallVector<ReassociationIndices>{groupOf(0, rows),
                                          groupOf(rows, rank - rows)});
  }

  /// The input operand itself when the factor is its element and its map
  /// lists exactly `dims`, else the factor materialized over `dims`.
  Value asLaidOut(const Factor &f, ArrayRef<unsigned> dims) {
    auto arg = dyn_cast_or_null<BlockArgument>(f.value);
    if (arg && arg.getOwner() == &op.getRegion().front()) {
      SmallVector<AffineExpr> want;
      for (unsigned d : dims)
        want.push_back(b.getAffineDimExpr(d));
      if (op.getIndexingMapsArray()[arg.getArgNumber()].getResults() ==
          ArrayRef(want))
        return op.getDpsInputs()[arg.getArgNumber()];
    }
    return materialize(f, dims);
  }

  /// A tensor over `dims` (in that order) holding the factor's value at
  /// each point: a gather through the operand's map, or the cloned
  /// computation with its indices renumbered, or 1.
  Value materialize(const Factor &f, ArrayRef<unsigned> dims) {
    SmallVector<OpFoldResult> sizes;
    for (unsigned d : dims)
      sizes.push_back(loopSizes[d]);
    Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
    unsigned rank = dims.size();
    MLIRContext *ctx = b.getContext();
    // Original loop dimension -> dimension of the new op.
    SmallVector<AffineExpr> renumber(op.getNumLoops(),
                                     getAffineConstantExpr(0, ctx));
    for (auto [i, d] : llvm::enumerate(dims))
      renumber[d] = getAffineDimExpr(i, ctx);
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    for (unsigned input : f.inputs) {
      inputs.push_back(op.getDpsInputs()[input]);
      maps.push_back(op.getIndexingMapsArray()[input].replaceDimsAndSymbols(
          renumber, {}, rank, 0));
    }
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    Block &body = op.getRegion().front();
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{empty.getType()}, inputs, ValueRange{empty}, maps,
        iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
          if (!f.value) {
            linalg::YieldOp::create(
                nb, l,
                ValueRange{arith::ConstantOp::create(
                    nb, l, nb.getF32FloatAttr(1.0f))});
            return;
          }
          IRMapping mapping;
          for (auto [i, input] : llvm::enumerate(f.inputs))
            mapping.map(body.getArgument(input), args[i]);
          for (Operation *sliceOp : f.slice) {
            if (auto index = dyn_cast<linalg::IndexOp>(sliceOp)) {
              unsigned at = llvm::find(dims, index.getDim()) - dims.begin();
              mapping.map(index.getResult(),
                          linalg::IndexOp::create(nb, l, at).getResult());
              continue;
            }
            nb.clone(*sliceOp, mapping);
          }
          linalg::YieldOp::create(nb, l,
                                  ValueRange{mapping.lookupOrDefault(f.value)});
        });
    return generic.getResult(0);
  }

  linalg::GenericOp op;
  const Contraction &c;
  RewriterBase &b;
  Location loc;
  SmallVector<OpFoldResult> loopSizes;
};

struct GpuIm2ColPass : impl::GpuIm2ColBase<GpuIm2ColPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::Conv2DNhwcHwcfOp> convs;
    getOperation().walk(
        [&](linalg::Conv2DNhwcHwcfOp conv) { convs.push_back(conv); });
    for (linalg::Conv2DNhwcHwcfOp conv : convs) {
      rewriter.setInsertionPoint(conv);
      (void)linalg::generalizeNamedOp(rewriter, conv);
    }
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      if (std::optional<Contraction> c = matchContraction(op))
        Im2ColRewriter(op, *c, rewriter).rewrite();
  }
};

} // namespace
} // namespace kiln
