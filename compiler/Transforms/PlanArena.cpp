//===- PlanArena.cpp - One workspace for the temporaries of each function ===//
//
// After bufferization every temporary of an impl function is a memref.alloc,
// i.e. a malloc/free per step. Their sizes are affine in the batch N
// (bytes = perExample * N + fixed), so their places in one workspace can be
// planned here, once, for every N: a buffer may reuse the bytes of another
// whose live range has ended, and an offset is again affine in N. Each
// planned alloc becomes a memref.view into a new trailing `memref<?xi8>`
// argument, which kiln-emit-c-interface fills from a workspace the generated
// code keeps between calls.
//
//===----------------------------------------------------------------------===//
#include "Target/CInterface.h"
#include "Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace kiln {
#define GEN_PASS_DEF_PLANARENA
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Every buffer starts on a cache line; a per-example size is rounded up
/// too, so an offset stays aligned for every batch size.
constexpr int64_t kAlignment = 64;

/// perExample * N + fixed bytes.
struct Bytes {
  int64_t perExample = 0, fixed = 0;

  /// Whether this is at most `other` for every batch size.
  bool fitsUnder(const Bytes &other) const {
    return perExample <= other.perExample && fixed <= other.fixed;
  }
  Bytes operator+(const Bytes &other) const {
    return {perExample + other.perExample, fixed + other.fixed};
  }
  Bytes operator*(int64_t times) const {
    return {perExample * times, fixed * times};
  }
  /// The order in which candidate offsets are tried: smallest at a typical
  /// training batch first.
  int64_t atTypicalBatch() const { return perExample * 64 + fixed; }
};

Bytes maxOf(const Bytes &a, const Bytes &b) {
  return {std::max(a.perExample, b.perExample), std::max(a.fixed, b.fixed)};
}

/// A temporary to place: its size and the range of entry-block positions
/// (inclusive) during which it, or a view of it, is in use. An alloc in the
/// body of a parallel loop of static chunks gets one slot per chunk: `size`
/// is `slot` times the chunks and chunk i uses the bytes at
/// offset + i * slot.
struct Buffer {
  memref::AllocOp alloc;
  Bytes size;
  unsigned begin, end;
  Bytes offset;
  Bytes slot;
  Value chunk; // the loop's induction variable; none at the top level
};

/// Whether dimension `dim` of the impl argument `argument` is the batch:
/// dynamic in its C role's shape (the state's role has no shape).
bool isBatchArgumentDim(BlockArgument argument, int64_t dim) {
  auto func = dyn_cast<func::FuncOp>(argument.getOwner()->getParentOp());
  auto roles =
      func ? func->getAttrOfType<ArrayAttr>(kCInterfaceRolesAttr) : ArrayAttr();
  if (!roles || argument.getArgNumber() >= roles.size())
    return false;
  auto role = dyn_cast<DictionaryAttr>(roles[argument.getArgNumber()]);
  auto shape =
      role ? role.getAs<DenseI64ArrayAttr>("shape") : DenseI64ArrayAttr();
  return shape && dim < shape.size() && ShapedType::isDynamic(shape[dim]);
}

bool isBatch(Value value);

/// Whether iteration argument `index` of `loop` leaves each iteration as the
/// same buffer (destination-passing style), perhaps through inner loops.
bool carriesThrough(scf::ForOp loop, unsigned index) {
  Value yielded = loop.getYieldedValues()[index];
  while (auto inner = yielded.getDefiningOp<scf::ForOp>()) {
    unsigned number = cast<OpResult>(yielded).getResultNumber();
    if (!carriesThrough(inner, number))
      return false;
    yielded = inner.getInits()[number];
  }
  return yielded == loop.getRegionIterArgs()[index];
}

/// Whether dimension `dim` of `memref` is the batch: a batch dimension of an
/// impl argument, seen through reshapes that keep it whole, or that of a
/// temporary allocated with the batch there.
bool isBatchDim(Value memref, int64_t dim) {
  auto type = cast<MemRefType>(memref.getType());
  if (dim >= type.getRank() || !type.isDynamicDim(dim))
    return false;
  if (auto argument = dyn_cast<BlockArgument>(memref))
    return isBatchArgumentDim(argument, dim);
  if (auto alloc = memref.getDefiningOp<memref::AllocOp>())
    return isBatch(alloc.getDynamicSizes()[type.getDynamicDimIndex(dim)]);
  if (auto loop = memref.getDefiningOp<scf::ForOp>()) {
    unsigned number = cast<OpResult>(memref).getResultNumber();
    return carriesThrough(loop, number) &&
           isBatchDim(loop.getInits()[number], dim);
  }
  if (auto collapse = memref.getDefiningOp<memref::CollapseShapeOp>()) {
    // The batch alone in its group, with unit dimensions at most.
    MemRefType source = collapse.getSrcType();
    std::optional<int64_t> only;
    for (int64_t d : collapse.getReassociationIndices()[dim]) {
      if (source.getDimSize(d) == 1)
        continue;
      if (only)
        return false;
      only = d;
    }
    return only && isBatchDim(collapse.getSrc(), *only);
  }
  if (auto expand = memref.getDefiningOp<memref::ExpandShapeOp>()) {
    for (auto [group, dims] : llvm::enumerate(expand.getReassociationIndices()))
      if (llvm::is_contained(dims, dim))
        return llvm::all_of(dims,
                            [&](int64_t d) {
                              return d == dim || type.getDimSize(d) == 1;
                            }) &&
               isBatchDim(expand.getSrc(), group);
  }
  return false;
}

/// Whether `value` is the batch, read with memref.dim.
bool isBatch(Value value) {
  auto dim = value.getDefiningOp<memref::DimOp>();
  std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
  return index && isBatchDim(dim.getSource(), *index);
}

/// The chunks when `value` is the extent of one chunk of the batch split
/// into equal chunks by kiln-parallelize-loops: `max(0, min(ceil(batch /
/// chunks), batch - i * ceil(batch / chunks)))`, at most ceil(batch /
/// chunks); none otherwise.
std::optional<int64_t> batchChunks(Value value) {
  if (auto max = value.getDefiningOp<affine::AffineMaxOp>()) {
    AffineMap map = max.getAffineMap();
    if (map.getNumResults() != 2 || map.getNumInputs() != 1 ||
        !llvm::is_contained(map.getResults(),
                            getAffineConstantExpr(0, map.getContext())) ||
        !llvm::is_contained(map.getResults(),
                            getAffineDimExpr(0, map.getContext())))
      return std::nullopt;
    value = max.getOperands()[0];
  }
  auto min = value.getDefiningOp<affine::AffineMinOp>();
  if (!min)
    return std::nullopt;
  AffineMap map = min.getAffineMap();
  for (AffineExpr result : map.getResults()) {
    auto ceilDiv = dyn_cast<AffineBinaryOpExpr>(result);
    if (!ceilDiv || ceilDiv.getKind() != AffineExprKind::CeilDiv)
      continue;
    auto symbol = dyn_cast<AffineSymbolExpr>(ceilDiv.getLHS());
    auto chunks = dyn_cast<AffineConstantExpr>(ceilDiv.getRHS());
    if (symbol && chunks && chunks.getValue() > 0 &&
        isBatch(min.getSymbolOperands()[symbol.getPosition()]))
      return chunks.getValue();
  }
  return std::nullopt;
}

/// The rounded size of a plannable alloc: identity layout, whole bytes per
/// element, at most one dynamic dimension, which is the batch or one chunk
/// of it (sized for ceil(batch / chunks) rows).
std::optional<Bytes> plannableSize(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  // Index elements (argmax of pooling) are lowered to i64: the targets are
  // 64-bit.
  Type element = type.getElementType();
  if (!element.isIntOrIndexOrFloat())
    return std::nullopt;
  unsigned bits = element.isIndex() ? 64 : element.getIntOrFloatBitWidth();
  if (!type.getLayout().isIdentity() || bits % 8 != 0 ||
      alloc.getDynamicSizes().size() > 1)
    return std::nullopt;
  std::optional<int64_t> chunks;
  if (!type.hasStaticShape()) {
    Value size = alloc.getDynamicSizes()[0];
    chunks = isBatch(size) ? std::optional<int64_t>(1) : batchChunks(size);
    if (!chunks)
      return std::nullopt;
  }
  int64_t bytes = bits / 8;
  for (int64_t d : type.getShape())
    if (!ShapedType::isDynamic(d))
      bytes *= d;
  bytes = llvm::alignTo(bytes, kAlignment);
  if (type.hasStaticShape())
    return Bytes{0, bytes};
  if (*chunks == 1)
    return Bytes{bytes, 0};
  // bytes * ceil(batch / chunks) <= (bytes / chunks) * batch + bytes.
  return Bytes{static_cast<int64_t>(llvm::alignTo(
                   llvm::divideCeil(bytes, *chunks), kAlignment)),
               bytes};
}

/// The last entry-block position, from `begin` on, at which `alloc` or one
/// of its aliases is used; none when the buffer escapes the function.
std::optional<unsigned>
lastUse(memref::AllocOp alloc, unsigned begin, Block *entry,
        BufferViewFlowAnalysis &aliases,
        const llvm::DenseMap<Operation *, unsigned> &position) {
  unsigned last = begin;
  for (Value alias : aliases.resolve(alloc.getResult()))
    for (Operation *user : alias.getUsers()) {
      if (isa<func::ReturnOp, func::CallOp>(user))
        return std::nullopt;
      Operation *ancestor = entry->findAncestorOpInBlock(*user);
      if (!ancestor)
        return std::nullopt;
      last = std::max(last, position.lookup(ancestor));
    }
  return last;
}

/// Places each buffer, largest first, at the lowest candidate offset (the
/// start or the end of a buffer it overlaps in time) that keeps it apart
/// from every such buffer for all batch sizes. Returns the workspace size.
Bytes place(MutableArrayRef<Buffer> buffers) {
  // Ties in program order, so the plan does not depend on the sort.
  llvm::sort(buffers, [](const Buffer &a, const Buffer &b) {
    return std::make_pair(-a.size.atTypicalBatch(), a.begin) <
           std::make_pair(-b.size.atTypicalBatch(), b.begin);
  });
  Bytes total;
  for (unsigned i = 0; i < buffers.size(); ++i) {
    Buffer &buffer = buffers[i];
    SmallVector<const Buffer *> live;
    for (const Buffer &other : buffers.take_front(i))
      if (other.begin <= buffer.end && buffer.begin <= other.end)
        live.push_back(&other);
    SmallVector<Bytes> candidates{Bytes{}};
    Bytes above;
    for (const Buffer *other : live) {
      candidates.push_back(other->offset + other->size);
      above = maxOf(above, other->offset + other->size);
    }
    candidates.push_back(above); // always apart from all of them
    llvm::sort(candidates, [](const Bytes &a, const Bytes &b) {
      return std::make_tuple(a.atTypicalBatch(), a.perExample) <
             std::make_tuple(b.atTypicalBatch(), b.perExample);
    });
    for (const Bytes &candidate : candidates) {
      bool apart = llvm::all_of(live, [&](const Buffer *other) {
        return (candidate + buffer.size).fitsUnder(other->offset) ||
               (other->offset + other->size).fitsUnder(candidate);
      });
      if (apart) {
        buffer.offset = candidate;
        break;
      }
    }
    total = maxOf(total, buffer.offset + buffer.size);
  }
  return total;
}

class PlanArenaPass : public kiln::impl::PlanArenaBase<PlanArenaPass> {
public:
  void runOnOperation() override;

private:
  /// Plans `func`'s top-level temporaries; returns the workspace it needs.
  Bytes planFunction(func::FuncOp func);
};

} // namespace

/// The chunks of `loop` when it is a parallel loop of static chunks
/// (kiln-parallelize-loops' `scf.forall (%i) in (T)`), each run once.
static std::optional<int64_t> staticChunks(scf::ForallOp loop) {
  if (loop.getRank() != 1 || !loop.getOutputs().empty())
    return std::nullopt;
  std::optional<int64_t> lower =
      getConstantIntValue(loop.getMixedLowerBound()[0]);
  std::optional<int64_t> step = getConstantIntValue(loop.getMixedStep()[0]);
  std::optional<int64_t> upper =
      getConstantIntValue(loop.getMixedUpperBound()[0]);
  if (lower != 0 || step != 1 || !upper || *upper < 1)
    return std::nullopt;
  return upper;
}

/// `bytes` at run time, for the batch `batch`.
static Value emitBytes(OpBuilder &b, Location loc, Value batch,
                       const Bytes &bytes) {
  Value value = arith::ConstantIndexOp::create(b, loc, bytes.fixed);
  if (bytes.perExample == 0)
    return value;
  Value perExample = arith::ConstantIndexOp::create(b, loc, bytes.perExample);
  return arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, batch, perExample), value);
}

/// The batch as an index at the top of `func`, if an argument has one.
static Value batchAt(func::FuncOp func, OpBuilder &b) {
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    for (int64_t i = 0; type && i < type.getRank(); ++i)
      if (isBatchArgumentDim(arg, i))
        return memref::DimOp::create(b, func.getLoc(), arg, i);
  }
  return Value();
}

/// The allocs in sequential loops under `root` (an entry-block op) whose
/// buffer lives one iteration: every op between the alloc and `root` is an
/// scf.for (`root` too, unless it is a parallel loop, whose own body the
/// caller plans) and no alias is carried to a later iteration or out of a
/// loop. Iterations run one after another, so they can share one slot.
SmallVector<memref::AllocOp> loopTemporaries(Operation *root,
                                             BufferViewFlowAnalysis &aliases) {
  SmallVector<memref::AllocOp> allocs;
  root->walk([&](memref::AllocOp alloc) {
    SmallVector<scf::ForOp> loops;
    for (Operation *parent = alloc->getParentOp(); parent != root;
         parent = parent->getParentOp()) {
      auto loop = dyn_cast<scf::ForOp>(parent);
      if (!loop)
        return;
      loops.push_back(loop);
    }
    if (auto loop = dyn_cast<scf::ForOp>(root))
      loops.push_back(loop);
    else if (loops.empty())
      return;
    for (Value alias : aliases.resolve(alloc.getResult()))
      for (scf::ForOp loop : loops)
        if (llvm::is_contained(loop.getRegionIterArgs(), alias) ||
            llvm::is_contained(loop->getResults(), alias))
          return;
    allocs.push_back(alloc);
  });
  return allocs;
}

Bytes PlanArenaPass::planFunction(func::FuncOp func) {
  if (!func.getBody().hasOneBlock())
    return {};
  Block &entry = func.getBody().front();
  llvm::DenseMap<Operation *, unsigned> position;
  for (Operation &op : entry)
    position[&op] = position.size();

  BufferViewFlowAnalysis aliases(func);
  SmallVector<Buffer> buffers;
  // `chunks` slots, used from the entry-block op `at` on.
  auto consider = [&](memref::AllocOp alloc, Operation *at, int64_t chunks,
                      Value chunk) {
    std::optional<Bytes> slot = plannableSize(alloc);
    unsigned begin = position[at];
    std::optional<unsigned> end =
        slot ? lastUse(alloc, begin, &entry, aliases, position) : std::nullopt;
    if (end)
      buffers.push_back({alloc, *slot * chunks, begin, *end, {}, *slot, chunk});
  };
  for (Operation &op : entry) {
    if (auto alloc = dyn_cast<memref::AllocOp>(op))
      consider(alloc, alloc, 1, Value());
    auto loop = dyn_cast<scf::ForallOp>(op);
    std::optional<int64_t> chunks = loop ? staticChunks(loop) : std::nullopt;
    if (chunks)
      for (auto alloc : loop.getBody()->getOps<memref::AllocOp>())
        consider(alloc, loop, *chunks, loop.getInductionVar(0));
    if (isa<scf::ForOp>(op) || chunks)
      for (memref::AllocOp alloc : loopTemporaries(&op, aliases))
        consider(alloc, &op, chunks.value_or(1),
                 chunks ? loop.getInductionVar(0) : Value());
  }
  if (buffers.empty())
    return {};
  Bytes total = place(buffers);

  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  Value batch = batchAt(func, b);
  if (total.perExample != 0 && !batch)
    return {}; // unreachable: a per-example size came from a batch dimension
  MLIRContext *context = &getContext();
  auto workspaceType =
      MemRefType::get({ShapedType::kDynamic}, IntegerType::get(context, 8));
  if (failed(func.insertArgument(func.getNumArguments(), workspaceType, {},
                                 func.getLoc())))
    return {};
  Value workspace = func.getArguments().back();
  for (Buffer &buffer : buffers) {
    b.setInsertionPoint(buffer.alloc);
    Location loc = buffer.alloc.getLoc();
    Value offset = emitBytes(b, loc, batch, buffer.offset);
    if (buffer.chunk)
      offset = arith::AddIOp::create(
          b, loc, offset,
          arith::MulIOp::create(b, loc, buffer.chunk,
                                emitBytes(b, loc, batch, buffer.slot)));
    auto view =
        memref::ViewOp::create(b, loc, buffer.alloc.getType(), workspace,
                               offset, buffer.alloc.getDynamicSizes());
    buffer.alloc.replaceAllUsesWith(view.getResult());
    buffer.alloc.erase();
  }
  func->setAttr(kWorkspaceAttr, DenseI64ArrayAttr::get(
                                    context, {total.perExample, total.fixed}));
  return total;
}

void PlanArenaPass::runOnOperation() {
  ModuleOp module = getOperation();
  Bytes total;
  for (auto func : module.getOps<func::FuncOp>()) {
    // Only an impl has a caller that can pass the workspace (its C wrapper).
    if (!func->hasAttr(kCInterfaceRolesAttr) || func.isExternal() ||
        SymbolTable::symbolKnownUseEmpty(func, module) == false)
      continue;
    total = maxOf(total, planFunction(func));
  }
  module->setAttr(
      kWorkspaceAttr,
      DenseI64ArrayAttr::get(&getContext(), {total.perExample, total.fixed}));
}
