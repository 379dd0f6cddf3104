//===- CudaReductions.cpp - Long reductions as block tree reductions ------===//
//
// kiln-gpu-parallel-reductions (declared in Transforms/Passes.td). Without
// it a reduction becomes one thread per output element looping over the
// whole reduced extent: a full reduction to a scalar (the L2 penalty, a
// global norm, the mean loss over the batch) runs in a single GPU thread,
// and a bias gradient loops over the batch in a handful of threads.
//
// A linalg.generic on device buffers whose body folds a value into its one
// output with a commutative op that has a neutral element (out = out + v,
// max, min, ...) and whose reduced extent R is not a small constant becomes
// two kernels, with a fixed combination order (the same result every run):
//   1. G blocks per output element, each folding a contiguous chunk of R
//      (threads striding over it, at most kPerThread elements each while
//      G <= kMaxChunks), then a tree over the block's threads in shared
//      memory; thread 0 writes the block's partial result;
//   2. one block per output element folds its G partials the same way and
//      folds the total into the output.
// When R is static and one block covers it (G = 1), stage 1 folds into the
// output itself and there is no stage 2.
//
//===----------------------------------------------------------------------===//
#include "Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/MathExtras.h"

namespace kiln {
#define GEN_PASS_DEF_GPUPARALLELREDUCTIONS
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// Reductions over at most this many elements (a static extent, like the
/// ten classes of a softmax row) stay a loop in each output's thread.
constexpr int64_t kShortReduction = 32;
/// Elements each thread of stage 1 folds before the tree (more blocks
/// instead, up to kMaxChunks per output).
constexpr int64_t kPerThread = 8;
constexpr int64_t kMaxChunks = 2048;
/// Threads per block of stage 2 and of stage 1 when R is not small.
constexpr int64_t kThreads = 256;

/// out = combiner(out, value) in the body of a one-output generic.
struct ReductionForm {
  Operation *combiner;
  Value value;
};

std::optional<ReductionForm> matchReduction(linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0 ||
      !op.hasPureBufferSemantics() ||
      !isa<MemRefType>(op.getDpsInits()[0].getType()))
    return std::nullopt;
  Block &body = op.getRegion().front();
  Value out = body.getArgument(op.getNumDpsInputs());
  Value yielded = body.getTerminator()->getOperand(0);
  Operation *combiner = yielded.getDefiningOp();
  if (!combiner || combiner->getBlock() != &body ||
      combiner->getNumOperands() != 2 || combiner->getNumRegions() != 0 ||
      !combiner->hasTrait<OpTrait::IsCommutative>() ||
      !arith::getNeutralElement(combiner) || !out.hasOneUse() ||
      !yielded.hasOneUse())
    return std::nullopt;
  Value lhs = combiner->getOperand(0), rhs = combiner->getOperand(1);
  Value value = lhs == out ? rhs : rhs == out ? lhs : Value();
  if (!value || value == out)
    return std::nullopt;
  // The output element must not move along reduced dimensions.
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < iterators.size(); ++d)
    if (iterators[d] == utils::IteratorType::reduction &&
        outMap.isFunctionOfDim(d))
      return std::nullopt;
  return ReductionForm{combiner, value};
}

/// The reduced extent when it is static.
std::optional<int64_t> staticReducedExtent(linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto iterators = op.getIteratorTypesArray();
  int64_t extent = 1;
  for (unsigned d = 0; d < ranges.size(); ++d) {
    if (iterators[d] != utils::IteratorType::reduction)
      continue;
    if (ShapedType::isDynamic(ranges[d]))
      return std::nullopt;
    extent *= ranges[d];
  }
  return extent;
}

/// Builds the kernels of one reduction; see the file comment.
class ReductionEmitter {
public:
  ReductionEmitter(linalg::GenericOp op, const ReductionForm &form)
      : op(op), form(form), loc(op.getLoc()),
        elementType(getElementTypeOrSelf(op.getDpsInits()[0].getType())) {}

  void emit();

private:
  Value cst(OpBuilder &b, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }
  Value combine(OpBuilder &b, Value x, Value y) {
    IRMapping map;
    map.map(form.combiner->getOperand(0), x);
    map.map(form.combiner->getOperand(1), y);
    return b.clone(*form.combiner, map)->getResult(0);
  }
  Value neutral(OpBuilder &b) {
    return arith::ConstantOp::create(b, loc,
                                     *arith::getNeutralElement(form.combiner));
  }
  /// Writes the loop indices of `dims` for row-major position `linear`.
  void delinearize(OpBuilder &b, Value linear, ArrayRef<unsigned> dims,
                   SmallVectorImpl<Value> &ivs) {
    for (unsigned i = dims.size(); i-- > 0;) {
      if (i == 0) {
        ivs[dims[i]] = linear;
        break;
      }
      ivs[dims[i]] = arith::RemUIOp::create(b, loc, linear, sizes[dims[i]]);
      linear = arith::DivUIOp::create(b, loc, linear, sizes[dims[i]]);
    }
  }
  SmallVector<Value> indices(OpBuilder &b, AffineMap map, ArrayRef<Value> ivs) {
    SmallVector<Value> result;
    for (AffineExpr e : map.getResults()) {
      if (auto dim = dyn_cast<AffineDimExpr>(e))
        result.push_back(ivs[dim.getPosition()]);
      else
        result.push_back(affine::AffineApplyOp::create(
            b, loc, AffineMap::get(map.getNumDims(), 0, e), ivs));
    }
    return result;
  }
  Value bodyValue(OpBuilder &b, ArrayRef<Value> ivs);
  void treeReduce(OpBuilder &b, Value shared, Value tid, Value acc,
                  int64_t threads,
                  function_ref<void(OpBuilder &, Value)> writeTotal);
  void foldIntoOutput(OpBuilder &b, Value outputIndex, Value total);
  gpu::LaunchOp launch(OpBuilder &b, Value blocks, int64_t threads);

  linalg::GenericOp op;
  ReductionForm form;
  Location loc;
  Type elementType;
  SmallVector<Value> sizes;
  SmallVector<unsigned> parallelDims, reducedDims;
};

/// The body's folded value at loop indices `ivs`: input elements loaded,
/// the body's ops (but the fold) cloned.
Value ReductionEmitter::bodyValue(OpBuilder &b, ArrayRef<Value> ivs) {
  Block &body = op.getRegion().front();
  IRMapping map;
  for (OpOperand *input : op.getDpsInputOperands()) {
    BlockArgument arg = body.getArgument(input->getOperandNumber());
    if (arg.use_empty())
      continue;
    Value source = input->get();
    if (!isa<MemRefType>(source.getType())) {
      map.map(arg, source);
      continue;
    }
    map.map(arg, memref::LoadOp::create(
                     b, loc, source,
                     indices(b, op.getMatchingIndexingMap(input), ivs)));
  }
  for (Operation &nested : body.without_terminator()) {
    if (&nested == form.combiner)
      continue;
    if (auto index = dyn_cast<linalg::IndexOp>(nested))
      map.map(index.getResult(), ivs[index.getDim()]);
    else
      b.clone(nested, map);
  }
  return map.lookupOrDefault(form.value);
}

/// Folds every thread's `acc` over the block in shared memory, halving the
/// active threads each step (barriers in uniform control flow); then thread
/// 0 alone stores the total, with `writeTotal` (a builder inside its guard,
/// the total).
void ReductionEmitter::treeReduce(
    OpBuilder &b, Value shared, Value tid, Value acc, int64_t threads,
    function_ref<void(OpBuilder &, Value)> writeTotal) {
  memref::StoreOp::create(b, loc, acc, shared, tid);
  gpu::BarrierOp::create(b, loc);
  for (int64_t stride = threads / 2; stride >= 1; stride /= 2) {
    Value active = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, tid,
                                         cst(b, stride));
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{}, active, false);
    OpBuilder t = ifOp.getThenBodyBuilder();
    Value partner = arith::AddIOp::create(t, loc, tid, cst(t, stride));
    Value mine = memref::LoadOp::create(t, loc, shared, tid);
    Value theirs = memref::LoadOp::create(t, loc, shared, partner);
    memref::StoreOp::create(t, loc, combine(t, mine, theirs), shared, tid);
    gpu::BarrierOp::create(b, loc);
  }
  Value total = memref::LoadOp::create(b, loc, shared, cst(b, 0));
  Value leader =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, cst(b, 0));
  auto write = scf::IfOp::create(b, loc, TypeRange{}, leader, false);
  OpBuilder w = write.getThenBodyBuilder();
  writeTotal(w, total);
}

/// out[o] = combiner(out[o], total) for the output element at row-major
/// parallel position `outputIndex`.
void ReductionEmitter::foldIntoOutput(OpBuilder &b, Value outputIndex,
                                      Value total) {
  SmallVector<Value> ivs(sizes.size(), cst(b, 0));
  delinearize(b, outputIndex, parallelDims, ivs);
  OpOperand *init = op.getDpsInitOperand(0);
  SmallVector<Value> at = indices(b, op.getMatchingIndexingMap(init), ivs);
  Value old = memref::LoadOp::create(b, loc, init->get(), at);
  memref::StoreOp::create(b, loc, combine(b, old, total), init->get(), at);
}

/// A 1-D launch of `blocks` x `threads` with `threads` elements of shared
/// memory; its body ends with the terminator, the builder set before it.
gpu::LaunchOp ReductionEmitter::launch(OpBuilder &b, Value blocks,
                                       int64_t threads) {
  auto workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto sharedType =
      MemRefType::get({threads}, elementType, AffineMap(), workgroup);
  Value one = cst(b, 1);
  auto launchOp = gpu::LaunchOp::create(
      b, loc, blocks, one, one, cst(b, threads), one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, TypeRange{sharedType});
  OpBuilder k = OpBuilder::atBlockBegin(&launchOp.getBody().front());
  gpu::TerminatorOp::create(k, loc);
  return launchOp;
}

void ReductionEmitter::emit() {
  OpBuilder b(op);
  auto linalgOp = cast<linalg::LinalgOp>(op.getOperation());
  for (Range range : linalgOp.createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
  auto iterators = op.getIteratorTypesArray();
  for (unsigned d = 0; d < iterators.size(); ++d)
    (iterators[d] == utils::IteratorType::parallel ? parallelDims : reducedDims)
        .push_back(d);
  auto product = [&](ArrayRef<unsigned> dims) {
    Value p = cst(b, 1);
    for (unsigned d : dims)
      p = arith::MulIOp::create(b, loc, p, sizes[d]);
    return p;
  };
  Value outputs = product(parallelDims), extent = product(reducedDims);
  Value one = cst(b, 1);

  // Stage 1's shape: threads per block, chunks (blocks) per output.
  std::optional<int64_t> staticExtent = staticReducedExtent(op);
  int64_t threads =
      staticExtent
          ? std::clamp<int64_t>(llvm::PowerOf2Ceil(*staticExtent), 32, kThreads)
          : kThreads;
  bool twoStages = !staticExtent || *staticExtent > threads * kPerThread;
  Value chunks = one;
  if (twoStages)
    chunks = arith::MinUIOp::create(
        b, loc, cst(b, kMaxChunks),
        arith::MaxUIOp::create(
            b, loc, one,
            arith::CeilDivUIOp::create(b, loc, extent,
                                       cst(b, threads * kPerThread))));
  Value chunk = arith::CeilDivUIOp::create(b, loc, extent, chunks);
  Value blocks = arith::MulIOp::create(b, loc, outputs, chunks);
  Value partials;
  if (twoStages)
    partials = gpu::AllocOp::create(
                   b, loc, MemRefType::get({ShapedType::kDynamic}, elementType),
                   Type(), ValueRange{}, ValueRange{blocks}, ValueRange{})
                   .getMemref();

  // Stage 1. A grid has at least one block; an empty output gets one that
  // does nothing (the guard is uniform over the block, as the barriers
  // need).
  {
    auto first =
        launch(b, arith::MaxUIOp::create(b, loc, one, blocks), threads);
    OpBuilder k(first.getBody().front().getTerminator());
    Value block = first.getBlockIds().x, tid = first.getThreadIds().x;
    Value output = arith::DivUIOp::create(k, loc, block, chunks);
    Value inRange = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ult,
                                          output, outputs);
    auto guard = scf::IfOp::create(k, loc, TypeRange{}, inRange, false);
    OpBuilder g = guard.getThenBodyBuilder();
    Value begin = arith::MulIOp::create(
        g, loc, arith::RemUIOp::create(g, loc, block, chunks), chunk);
    Value end = arith::MinUIOp::create(
        g, loc, extent, arith::AddIOp::create(g, loc, begin, chunk));
    SmallVector<Value> ivs(sizes.size());
    delinearize(g, output, parallelDims, ivs);
    auto loop =
        scf::ForOp::create(g, loc, arith::AddIOp::create(g, loc, begin, tid),
                           end, cst(g, threads), ValueRange{neutral(g)});
    {
      OpBuilder l = OpBuilder::atBlockBegin(loop.getBody());
      delinearize(l, loop.getInductionVar(), reducedDims, ivs);
      Value v = bodyValue(l, ivs);
      scf::YieldOp::create(l, loc, combine(l, loop.getRegionIterArgs()[0], v));
    }
    treeReduce(g, first.getWorkgroupAttributions()[0], tid, loop.getResult(0),
               threads, [&](OpBuilder &w, Value total) {
                 if (twoStages)
                   memref::StoreOp::create(w, loc, total, partials, block);
                 else
                   foldIntoOutput(w, output, total);
               });
  }
  if (!twoStages)
    return;

  // Stage 2: one block per output folds its partials in order.
  auto second =
      launch(b, arith::MaxUIOp::create(b, loc, one, outputs), kThreads);
  {
    OpBuilder k(second.getBody().front().getTerminator());
    Value output = second.getBlockIds().x, tid = second.getThreadIds().x;
    Value inRange = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ult,
                                          output, outputs);
    auto guard = scf::IfOp::create(k, loc, TypeRange{}, inRange, false);
    OpBuilder g = guard.getThenBodyBuilder();
    Value base = arith::MulIOp::create(g, loc, output, chunks);
    auto loop = scf::ForOp::create(g, loc, tid, chunks, cst(g, kThreads),
                                   ValueRange{neutral(g)});
    {
      OpBuilder l = OpBuilder::atBlockBegin(loop.getBody());
      Value at = arith::AddIOp::create(l, loc, base, loop.getInductionVar());
      Value v = memref::LoadOp::create(l, loc, partials, at);
      scf::YieldOp::create(l, loc, combine(l, loop.getRegionIterArgs()[0], v));
    }
    treeReduce(g, second.getWorkgroupAttributions()[0], tid,
               loop.getResult(0), kThreads, [&](OpBuilder &w, Value total) {
                 foldIntoOutput(w, output, total);
               });
  }
  b.setInsertionPointAfter(second);
  gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, partials);
}

struct GpuParallelReductionsPass
    : impl::GpuParallelReductionsBase<GpuParallelReductionsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>())
        generics.push_back(op);
    });
    for (linalg::GenericOp op : generics) {
      std::optional<ReductionForm> form = matchReduction(op);
      std::optional<int64_t> extent = staticReducedExtent(op);
      if (!form || (extent && *extent <= kShortReduction))
        continue;
      ReductionEmitter(op, *form).emit();
      op.erase();
    }
  }
};

} // namespace
} // namespace kiln
