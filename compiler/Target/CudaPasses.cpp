//===- CudaPasses.cpp - Device placement and kernel mapping for CUDA ------===//
//
// The passes of the CUDA pipeline declared in Transforms/Passes.td, except
// kiln-gpu-im2col (CudaIm2Col.cpp) and kiln-gpu-parallel-reductions
// (CudaReductions.cpp). The pipeline (Pipelines/CudaPipeline.cpp) runs
// these between upstream passes:
//
//   tensors --splat-to-fill--> bufferize --place-buffers--> device memrefs
//   --tile-matmul--> shared-memory matmul kernels (gpu.launch)
//   --parallel-reductions--> tree reduction kernels (CudaReductions.cpp)
//   --convert-linalg-to-parallel-loops--> scf.parallel
//   --map-host-code--> tiled scf.parallel + one-thread gpu.launch
//   --gpu-map-parallel-loops, convert-parallel-loops-to-gpu--> gpu.launch
//
//===----------------------------------------------------------------------===//
#include "Transforms/Passes.h"

#include "Kiln/IR/KilnModel.h"
#include "Target/CInterface.h"
#include "Target/CudaTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/SetVector.h"

#include <numeric>

namespace kiln {
#define GEN_PASS_DEF_GPUSPLATTOFILL
#define GEN_PASS_DEF_GPUPLACEBUFFERS
#define GEN_PASS_DEF_GPUTILEMATMUL
#define GEN_PASS_DEF_GPUMAPHOSTCODE
#define GEN_PASS_DEF_GPUALIGNWORKGROUPBUFFERS
#define GEN_PASS_DEF_GPUMERGEKERNELMODULES
#define GEN_PASS_DEF_CUDASTATEHELPERS
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace kiln {
namespace {

/// The role string of impl argument `index` ("state", "input", ...), or "".
StringRef argumentRole(func::FuncOp func, unsigned index) {
  auto roles = func->getAttrOfType<ArrayAttr>(kCInterfaceRolesAttr);
  if (!roles || index >= roles.size())
    return "";
  auto dict = dyn_cast<DictionaryAttr>(roles[index]);
  auto role = dict ? dict.getAs<StringAttr>("role") : StringAttr();
  return role ? role.getValue() : "";
}

/// Dynamic sizes of a memref value, for an allocation of the same type.
SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, Value memref) {
  SmallVector<Value> sizes;
  auto type = cast<MemRefType>(memref.getType());
  for (int64_t i = 0, e = type.getRank(); i < e; ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(memref::DimOp::create(b, loc, memref, i));
  return sizes;
}

bool isIdentityLayout(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity();
}

//===----------------------------------------------------------------------===//
// kiln-gpu-splat-to-fill
//===----------------------------------------------------------------------===//

struct GpuSplatToFillPass : impl::GpuSplatToFillBase<GpuSplatToFillPass> {
  void runOnOperation() override {
    SmallVector<arith::ConstantOp> splats;
    getOperation().walk([&](arith::ConstantOp op) {
      auto type = dyn_cast<RankedTensorType>(op.getType());
      auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
      if (type && type.hasStaticShape() && dense && dense.isSplat())
        splats.push_back(op);
    });
    for (arith::ConstantOp op : splats) {
      OpBuilder b(op);
      auto type = cast<RankedTensorType>(op.getType());
      auto dense = cast<DenseElementsAttr>(op.getValue());
      Value scalar = arith::ConstantOp::create(
          b, op.getLoc(), cast<TypedAttr>(dense.getSplatValue<Attribute>()));
      Value empty = tensor::EmptyOp::create(b, op.getLoc(), type.getShape(),
                                            type.getElementType());
      Value fill =
          linalg::FillOp::create(b, op.getLoc(), scalar, empty).getResult(0);
      op.replaceAllUsesWith(fill);
      op.erase();
    }
  }
};

//===----------------------------------------------------------------------===//
// kiln-gpu-place-buffers
//===----------------------------------------------------------------------===//

struct GpuPlaceBuffersPass : impl::GpuPlaceBuffersBase<GpuPlaceBuffersPass> {
  void getDependentDialects(DialectRegistry &registry) const override {
    GpuPlaceBuffersBase::getDependentDialects(registry);
    // The NVVM target and LLVM IR translations that serialization and
    // object emission need later in the pipeline (also under kiln-opt).
    registerCudaTargetExtensions(registry);
  }

  LogicalResult placeFunction(func::FuncOp func) {
    if (!func.getBody().hasOneBlock())
      return func.emitError("CUDA target: impl functions must have one block");
    Block &body = func.getBody().front();
    auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
    if (!ret)
      return func.emitError("CUDA target: expected func.return");
    Location loc = func.getLoc();
    OpBuilder b(func.getContext());

    // Buffers freed just before the return.
    SmallVector<Value> temporaries;

    // Host arguments: inputs and labels in, outputs and loss out.
    b.setInsertionPointToStart(&body);
    SmallVector<std::pair<Value, Value>> copyOut; // (host, device)
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
      Value arg = func.getArgument(i);
      if (!isa<MemRefType>(arg.getType()))
        continue;
      StringRef role = argumentRole(func, i);
      if (role == "state" || role.empty())
        continue; // device pointers
      auto type = cast<MemRefType>(arg.getType());
      SmallVector<Value> sizes = dynamicSizes(b, loc, arg);
      Value device = gpu::AllocOp::create(b, loc, type, Type(), ValueRange{},
                                          sizes, ValueRange{})
                         .getMemref();
      arg.replaceUsesWithIf(device, [&](OpOperand &use) {
        return !isa<memref::DimOp>(use.getOwner());
      });
      if (role == "input" || role == "label")
        gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, device, arg);
      else
        copyOut.push_back({arg, device});
      temporaries.push_back(device);
    }

    SmallVector<Operation *> toErase;
    for (Operation &op : body.without_terminator()) {
      b.setInsertionPoint(&op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        Value device = gpu::AllocOp::create(b, alloc.getLoc(), alloc.getType(),
                                            Type(), ValueRange{},
                                            alloc.getDynamicSizes(),
                                            alloc.getSymbolOperands())
                           .getMemref();
        alloc.replaceAllUsesWith(device);
        toErase.push_back(alloc);
      } else if (auto alloca = dyn_cast<memref::AllocaOp>(op)) {
        Value device = gpu::AllocOp::create(b, alloca.getLoc(),
                                            alloca.getType(), Type(),
                                            ValueRange{},
                                            alloca.getDynamicSizes(),
                                            alloca.getSymbolOperands())
                           .getMemref();
        alloca.replaceAllUsesWith(device);
        temporaries.push_back(device);
        toErase.push_back(alloca);
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        gpu::DeallocOp::create(b, dealloc.getLoc(), Type(), ValueRange{},
                               dealloc.getMemref());
        toErase.push_back(dealloc);
      } else if (auto global = dyn_cast<memref::GetGlobalOp>(op)) {
        // A host constant: copy it into a device buffer at this point.
        b.setInsertionPointAfter(global);
        Value device = gpu::AllocOp::create(b, global.getLoc(),
                                            global.getType(), Type(),
                                            ValueRange{}, ValueRange{},
                                            ValueRange{})
                           .getMemref();
        global.getResult().replaceAllUsesWith(device);
        gpu::MemcpyOp::create(b, global.getLoc(), Type(), ValueRange{}, device,
                              global.getResult());
        temporaries.push_back(device);
      } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        Value source = copy.getSource(), target = copy.getTarget();
        if (source.getType() == target.getType() &&
            isIdentityLayout(source.getType()))
          gpu::MemcpyOp::create(b, copy.getLoc(), Type(), ValueRange{}, target,
                                source);
        else
          linalg::CopyOp::create(b, copy.getLoc(), source, target);
        toErase.push_back(copy);
      }
    }
    for (Operation *op : toErase)
      op->erase();

    b.setInsertionPoint(ret);
    for (auto [host, device] : copyOut)
      gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, host, device);
    for (Value buffer : temporaries)
      gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, buffer);

    // Nothing else may touch memory on the host.
    WalkResult walk = func.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
              memref::CopyOp>(op)) {
        op->emitError("CUDA target: unexpected nested allocation or copy");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(walk.wasInterrupted());
  }

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (failed(placeFunction(func)))
        return signalPassFailure();
    }
  }
};

//===----------------------------------------------------------------------===//
// kiln-gpu-tile-matmul
//===----------------------------------------------------------------------===//

/// How a matmul-like linalg.generic reads its operands: C[i,j] += A * B
/// where A is indexed by (i,k) and B by (k,j) in some memory order.
struct MatmulForm {
  Value a, b, c;
  bool aKContiguous; // A's innermost memory dimension is k
  bool aIFirst;      // A's memory dims are (i, k) (else (k, i))
  bool bJContiguous; // B's innermost memory dimension is j
  bool bKFirst;      // B's memory dims are (k, j) (else (j, k))
};

/// Matches out[d0,d1] += x * y over d2 with 2-D f32 operands.
std::optional<MatmulForm> matchMatmul(linalg::GenericOp op) {
  if (op.getNumLoops() != 3 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !op.hasPureBufferSemantics())
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  if (iterators[0] != utils::IteratorType::parallel ||
      iterators[1] != utils::IteratorType::parallel ||
      iterators[2] != utils::IteratorType::reduction)
    return std::nullopt;
  for (Value v : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type || type.getRank() != 2 || !type.getElementType().isF32() ||
        !type.getLayout().isIdentity())
      return std::nullopt;
  }
  // Body: yield(addf(out, mulf(in0, in1))).
  Block &block = op.getRegion().front();
  if (block.getOperations().size() != 3)
    return std::nullopt;
  auto mul = dyn_cast<arith::MulFOp>(&block.front());
  auto add = dyn_cast<arith::AddFOp>(mul ? mul->getNextNode() : nullptr);
  auto yield = dyn_cast<linalg::YieldOp>(block.getTerminator());
  if (!mul || !add || !yield || yield.getValues().front() != add.getResult())
    return std::nullopt;
  Value in0 = block.getArgument(0), in1 = block.getArgument(1),
        out = block.getArgument(2);
  if (!((mul.getLhs() == in0 && mul.getRhs() == in1) ||
        (mul.getLhs() == in1 && mul.getRhs() == in0)))
    return std::nullopt;
  if (!((add.getLhs() == out && add.getRhs() == mul.getResult()) ||
        (add.getRhs() == out && add.getLhs() == mul.getResult())))
    return std::nullopt;

  auto maps = op.getIndexingMapsArray();
  MLIRContext *ctx = op.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  if (maps[2] != AffineMap::get(3, 0, {d0, d1}, ctx))
    return std::nullopt;
  auto dimsOf = [](AffineMap map) -> std::optional<std::pair<AffineExpr,
                                                              AffineExpr>> {
    if (map.getNumResults() != 2)
      return std::nullopt;
    return std::make_pair(map.getResult(0), map.getResult(1));
  };
  auto m0 = dimsOf(maps[0]), m1 = dimsOf(maps[1]);
  if (!m0 || !m1)
    return std::nullopt;
  auto uses = [](std::pair<AffineExpr, AffineExpr> p, AffineExpr x,
                 AffineExpr y) {
    return (p.first == x && p.second == y) || (p.first == y && p.second == x);
  };
  MatmulForm form;
  std::pair<AffineExpr, AffineExpr> aDims, bDims;
  if (uses(*m0, d0, d2) && uses(*m1, d2, d1)) {
    form.a = op.getDpsInputs()[0];
    form.b = op.getDpsInputs()[1];
    aDims = *m0;
    bDims = *m1;
  } else if (uses(*m1, d0, d2) && uses(*m0, d2, d1)) {
    form.a = op.getDpsInputs()[1];
    form.b = op.getDpsInputs()[0];
    aDims = *m1;
    bDims = *m0;
  } else {
    return std::nullopt;
  }
  form.c = op.getDpsInits()[0];
  form.aIFirst = aDims.first == d0;
  form.aKContiguous = aDims.second == d2;
  form.bKFirst = bDims.first == d2;
  form.bJContiguous = bDims.second == d1;
  return form;
}

struct GpuTileMatmulPass : impl::GpuTileMatmulBase<GpuTileMatmulPass> {
  using GpuTileMatmulBase::GpuTileMatmulBase;

  /// Reduction loops innermost, so each parallel iteration owns its loop.
  void interchangeReductions(linalg::GenericOp op, RewriterBase &rewriter) {
    auto iterators = op.getIteratorTypesArray();
    SmallVector<unsigned> order;
    for (unsigned i = 0; i < iterators.size(); ++i)
      if (iterators[i] == utils::IteratorType::parallel)
        order.push_back(i);
    for (unsigned i = 0; i < iterators.size(); ++i)
      if (iterators[i] != utils::IteratorType::parallel)
        order.push_back(i);
    if (llvm::equal(order, llvm::seq<unsigned>(0, iterators.size())))
      return;
    rewriter.setInsertionPoint(op);
    (void)linalg::interchangeGenericOp(rewriter, op, order);
  }

  void emitMatmulKernel(linalg::GenericOp op, const MatmulForm &f);
  void emitSplitSum(OpBuilder &b, Location loc, Value partials, Value planes,
                    Value c);

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Named matmuls (from kiln-gpu-im2col) as generics, to match below.
    SmallVector<linalg::MatmulOp> named;
    getOperation().walk([&](linalg::MatmulOp op) { named.push_back(op); });
    for (linalg::MatmulOp op : named) {
      rewriter.setInsertionPoint(op);
      (void)linalg::generalizeNamedOp(rewriter, op);
    }
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>())
        generics.push_back(op);
    });
    for (linalg::GenericOp op : generics)
      interchangeReductions(op, rewriter);
    if (!enableMatmul)
      return;
    generics.clear();
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>())
        generics.push_back(op);
    });
    for (linalg::GenericOp op : generics)
      if (auto form = matchMatmul(op)) {
        emitMatmulKernel(op, *form);
        op.erase();
      }
  }
};

/// One kernel per matmul: a block of 16x16 threads computes a BMxBN tile
/// of C, staging BK-deep slices of A and B in workgroup memory. With small
/// tiles a thread owns TMxTN outputs at stride 16: warps read shared memory
/// without conflicts and store C coalesced (small products are short in K,
/// so their stores weigh). With large tiles it owns runs of 4 consecutive
/// rows and columns, the runs 64 apart: it reads its slices of A and B as
/// 16-byte vectors (a quarter warp's 8 fall in distinct banks), a quarter of
/// the shared-memory loads, and stores split-K partial sums as vectors.
/// Edges are guarded; C += A*B. When K is split, each block stores its
/// partial sums in its own plane of a scratch buffer and emitSplitSum's
/// kernel adds the planes to C in plane order: atomic adds would sum in
/// arrival order, and training would not be reproducible bit for bit.
void GpuTileMatmulPass::emitMatmulKernel(linalg::GenericOp op,
                                         const MatmulForm &f) {
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  OpBuilder b(op);
  auto cType = cast<MemRefType>(f.c.getType());
  // Bigger register tiles for big static problems, 4x4 otherwise.
  bool large = cType.hasStaticShape() && cType.getDimSize(0) >= 1024 &&
               cType.getDimSize(1) >= 1024;
  const int64_t T = 16, TM = large ? 8 : 4, TN = large ? 8 : 4,
                BK = large ? 8 : 16;
  const int64_t BM = T * TM, BN = T * TN, threads = T * T, V = 4;
  const bool runs = large;
  Type f32 = b.getF32Type();
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  auto aTileType = MemRefType::get({BK, BM}, f32, AffineMap(), workgroup);
  auto bTileType = MemRefType::get({BK, BN}, f32, AffineMap(), workgroup);

  auto cst = [&](OpBuilder &bb, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(bb, loc, v);
  };
  Value c0 = cst(b, 0), c1 = cst(b, 1);
  Value M = memref::DimOp::create(b, loc, f.c, 0);
  Value N = memref::DimOp::create(b, loc, f.c, 1);
  Value K = memref::DimOp::create(b, loc, f.a, f.aKContiguous ? 1 : 0);
  auto ceilDiv = [&](Value x, int64_t d) -> Value {
    return arith::CeilDivUIOp::create(b, loc, x, cst(b, d));
  };
  Value gridX = ceilDiv(N, BN), gridY = ceilDiv(M, BM);
  // Split K over blockIdx.z when the C tiles alone cannot fill the GPU
  // (weight gradients: small C, long K): about kTargetBlocks blocks, each
  // at least kMinSteps BK-slices; partial sums meet in emitSplitSum.
  const int64_t kTargetBlocks = 264, kMinSteps = 4;
  Value kStepsHost = ceilDiv(K, BK);
  Value tiles = arith::MulIOp::create(b, loc, gridX, gridY);
  Value wanted = arith::CeilDivUIOp::create(b, loc, cst(b, kTargetBlocks),
                                            tiles);
  Value splits = arith::MaxUIOp::create(
      b, loc, c1,
      arith::MinUIOp::create(b, loc, wanted, ceilDiv(kStepsHost, kMinSteps)));
  Value chunk = arith::CeilDivUIOp::create(b, loc, kStepsHost, splits);
  Value gridZ = arith::MaxUIOp::create(
      b, loc, c1, arith::CeilDivUIOp::create(b, loc, kStepsHost, chunk));
  Value split = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                      gridZ, c1);
  Value planes = arith::SelectOp::create(b, loc, split, gridZ, c0);
  auto partialsType = MemRefType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic, ShapedType::kDynamic}, f32);
  // Rows of whole vectors when runs are stored as vectors.
  Value partialsN = runs ? arith::MulIOp::create(b, loc, ceilDiv(N, V),
                                                 cst(b, V))
                         : N;
  Value partials =
      gpu::AllocOp::create(b, loc, partialsType, Type(), ValueRange{},
                           ValueRange{planes, M, partialsN}, ValueRange{})
          .getMemref();
  Value blockSize = cst(b, T);
  auto launch = gpu::LaunchOp::create(
      b, loc, gridX, gridY, gridZ, blockSize, blockSize, c1,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/{}, TypeRange{aTileType, bTileType});
  Region &region = launch.getBody();
  Block &body = region.front();
  OpBuilder k = OpBuilder::atBlockBegin(&body);
  Value aTile = launch.getWorkgroupAttributions()[0];
  Value bTile = launch.getWorkgroupAttributions()[1];
  auto ids = launch.getThreadIds();
  auto blocks = launch.getBlockIds();
  Value tx = ids.x, ty = ids.y;
  auto kc = [&](int64_t v) -> Value { return cst(k, v); };
  Value kc1 = kc(1);
  Value tid = arith::AddIOp::create(
      k, loc, arith::MulIOp::create(k, loc, ty, kc(T)), tx);
  Value rowBase = arith::MulIOp::create(k, loc, blocks.y, kc(BM));
  Value colBase = arith::MulIOp::create(k, loc, blocks.x, kc(BN));
  Value zero = arith::ConstantOp::create(k, loc, k.getF32FloatAttr(0.0f));
  // Offset in the block's tile of the thread's `i`th row (t = ty) or
  // column (t = tx).
  auto owned = [&](OpBuilder &bb, Value t, int64_t i) -> Value {
    if (!runs)
      return arith::AddIOp::create(bb, loc, t, cst(bb, i * T));
    return arith::AddIOp::create(
        bb, loc, arith::MulIOp::create(bb, loc, t, cst(bb, V)),
        cst(bb, i / V * T * V + i % V));
  };
  auto vectorType = VectorType::get({V}, f32);

  // Guarded global load: 0 outside [0,rows)x[0,cols).
  auto guardedLoad = [&](OpBuilder &bb, Value memref, Value r, Value c,
                         Value rows, Value cols) -> Value {
    Value inR = arith::CmpIOp::create(bb, loc, arith::CmpIPredicate::ult, r,
                                      rows);
    Value inC = arith::CmpIOp::create(bb, loc, arith::CmpIPredicate::ult, c,
                                      cols);
    Value in = arith::AndIOp::create(bb, loc, inR, inC);
    auto ifOp = scf::IfOp::create(bb, loc, TypeRange{f32}, in, true, true);
    {
      OpBuilder t = ifOp.getThenBodyBuilder();
      Value v = memref::LoadOp::create(t, loc, memref, ValueRange{r, c});
      scf::YieldOp::create(t, loc, v);
      OpBuilder e = ifOp.getElseBodyBuilder();
      scf::YieldOp::create(e, loc, zero);
    }
    return ifOp.getResult(0);
  };

  // k-tile loop carrying the TM*TN accumulators.
  SmallVector<Value> inits(TM * TN, zero);
  Value kSteps = arith::CeilDivUIOp::create(k, loc, K, kc(BK));
  Value kBegin = arith::MulIOp::create(k, loc, blocks.z, chunk);
  Value kEnd = arith::MinUIOp::create(
      k, loc, kSteps, arith::AddIOp::create(k, loc, kBegin, chunk));
  auto kLoop = scf::ForOp::create(k, loc, kBegin, kEnd, kc1, inits);
  {
    OpBuilder l = OpBuilder::atBlockBegin(kLoop.getBody());
    Value k0 = arith::MulIOp::create(l, loc, kLoop.getInductionVar(),
                                     cst(l, BK));
    // Stage A[BM x BK] as aTile[kk][m] and B[BK x BN] as bTile[kk][n].
    auto stage = [&](Value src, Value tile, int64_t extent, bool kInner,
                     bool kFirst, Value base, Value outer) {
      // extent: BM or BN; the tile holds BK*extent elements.
      for (int64_t r = 0; r < (BK * extent) / threads; ++r) {
        Value lin = arith::AddIOp::create(l, loc, tid, cst(l, r * threads));
        Value kk, mm;
        if (kInner) { // consecutive threads walk k
          kk = arith::RemUIOp::create(l, loc, lin, cst(l, BK));
          mm = arith::DivUIOp::create(l, loc, lin, cst(l, BK));
        } else { // consecutive threads walk m/n
          mm = arith::RemUIOp::create(l, loc, lin, cst(l, extent));
          kk = arith::DivUIOp::create(l, loc, lin, cst(l, extent));
        }
        Value gk = arith::AddIOp::create(l, loc, k0, kk);
        Value gm = arith::AddIOp::create(l, loc, base, mm);
        Value v = kFirst ? guardedLoad(l, src, gk, gm, K, outer)
                         : guardedLoad(l, src, gm, gk, outer, K);
        memref::StoreOp::create(l, loc, v, tile, ValueRange{kk, mm});
      }
    };
    stage(f.a, aTile, BM, f.aKContiguous, !f.aIFirst, rowBase, M);
    stage(f.b, bTile, BN, !f.bJContiguous, f.bKFirst, colBase, N);
    gpu::BarrierOp::create(l, loc);
    // Inner product over the staged slice, fully unrolled.
    SmallVector<Value> acc(kLoop.getRegionIterArgs().begin(),
                           kLoop.getRegionIterArgs().end());
    auto loadOwned = [&](Value tile, Value t, int64_t count, Value kIdx) {
      SmallVector<Value> values;
      for (int64_t i = 0; i < count; i += runs ? V : 1) {
        SmallVector<Value> at{kIdx, owned(l, t, i)};
        if (!runs) {
          values.push_back(memref::LoadOp::create(l, loc, tile, at));
          continue;
        }
        Value run = vector::LoadOp::create(l, loc, vectorType, tile, at,
                                           /*nontemporal=*/false,
                                           llvm::Align(4 * V));
        for (int64_t v = 0; v < V; ++v)
          values.push_back(vector::ExtractOp::create(l, loc, run, v));
      }
      return values;
    };
    for (int64_t kk = 0; kk < BK; ++kk) {
      Value kIdx = cst(l, kk);
      SmallVector<Value> av = loadOwned(aTile, ty, TM, kIdx);
      SmallVector<Value> bv = loadOwned(bTile, tx, TN, kIdx);
      for (int64_t i = 0; i < TM; ++i)
        for (int64_t j = 0; j < TN; ++j)
          acc[i * TN + j] =
              math::FmaOp::create(l, loc, av[i], bv[j], acc[i * TN + j]);
    }
    gpu::BarrierOp::create(l, loc);
    scf::YieldOp::create(l, loc, acc);
  }
  // Epilogue, where in bounds: C += acc, or the partial sums stored in
  // this block's plane when K is split (a run as one vector: its first
  // column is in bounds, the rest in the plane's padding at worst).
  Value unsplit = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::eq,
                                        launch.getGridSize().z, kc1);
  auto less = [&](OpBuilder &bb, Value x, Value bound) -> Value {
    return arith::CmpIOp::create(bb, loc, arith::CmpIPredicate::ult, x, bound);
  };
  const int64_t width = runs ? V : 1;
  for (int64_t i = 0; i < TM; ++i)
    for (int64_t j = 0; j < TN; j += width) {
      Value r = arith::AddIOp::create(k, loc, rowBase, owned(k, ty, i));
      Value c = arith::AddIOp::create(k, loc, colBase, owned(k, tx, j));
      Value in = arith::AndIOp::create(k, loc, less(k, r, M), less(k, c, N));
      auto ifOp = scf::IfOp::create(k, loc, TypeRange{}, in, false);
      OpBuilder t = ifOp.getThenBodyBuilder();
      ValueRange sums = kLoop.getResults().slice(i * TN + j, width);
      auto whole = scf::IfOp::create(t, loc, TypeRange{}, unsplit, true);
      OpBuilder w = whole.getThenBodyBuilder();
      for (int64_t v = 0; v < width; ++v) {
        Value col = v == 0 ? c : arith::AddIOp::create(w, loc, c, cst(w, v));
        OpBuilder e = w;
        if (v > 0) {
          auto inCol = scf::IfOp::create(w, loc, TypeRange{}, less(w, col, N),
                                         false);
          e = inCol.getThenBodyBuilder();
        }
        Value old = memref::LoadOp::create(e, loc, f.c, ValueRange{r, col});
        memref::StoreOp::create(e, loc,
                                arith::AddFOp::create(e, loc, old, sums[v]),
                                f.c, ValueRange{r, col});
      }
      OpBuilder p = whole.getElseBodyBuilder();
      SmallVector<Value> at{blocks.z, r, c};
      if (runs)
        vector::StoreOp::create(
            p, loc, vector::FromElementsOp::create(p, loc, vectorType, sums),
            partials, at, /*nontemporal=*/false, llvm::Align(4 * V));
      else
        memref::StoreOp::create(p, loc, sums[0], partials, at);
    }
  gpu::TerminatorOp::create(k, loc);
  launch->setAttr("kiln.matmul_tile",
                  b.getDenseI64ArrayAttr({BM, BN, BK, TM, TN}));

  b.setInsertionPointAfter(launch);
  emitSplitSum(b, loc, partials, planes, f.c);
  gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, partials);
}

/// C += the sum of `partials`' planes (K split `planes` ways), added in
/// plane order, one thread per element of C; no blocks when `planes` is 0
/// (K not split). A thread issues the loads of kGroup planes before adding
/// them: with one load per add, it would wait for every load in turn (up
/// to 264 planes).
void GpuTileMatmulPass::emitSplitSum(OpBuilder &b, Location loc,
                                     Value partials, Value planes, Value c) {
  const int64_t threads = 256;
  auto cst = [&](OpBuilder &bb, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(bb, loc, v);
  };
  Value c0 = cst(b, 0), c1 = cst(b, 1);
  Value M = memref::DimOp::create(b, loc, c, 0);
  Value N = memref::DimOp::create(b, loc, c, 1);
  Value total = arith::MulIOp::create(b, loc, M, N);
  Value split = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, planes,
                                      c0);
  Value blocks = arith::SelectOp::create(
      b, loc, split,
      arith::CeilDivUIOp::create(b, loc, total, cst(b, threads)), c0);
  auto launch = gpu::LaunchOp::create(b, loc, blocks, c1, c1,
                                      cst(b, threads), c1, c1);
  OpBuilder k = OpBuilder::atBlockBegin(&launch.getBody().front());
  Value index = arith::AddIOp::create(
      k, loc,
      arith::MulIOp::create(k, loc, launch.getBlockIds().x,
                            cst(k, threads)),
      launch.getThreadIds().x);
  Value in = arith::CmpIOp::create(k, loc, arith::CmpIPredicate::ult, index,
                                   total);
  auto ifOp = scf::IfOp::create(k, loc, TypeRange{}, in, false);
  {
    OpBuilder t = ifOp.getThenBodyBuilder();
    Value r = arith::DivUIOp::create(t, loc, index, N);
    Value col = arith::RemUIOp::create(t, loc, index, N);
    const int64_t kGroup = 8;
    // Adds planes [from, to) to `acc`, `group` loads at a time.
    auto addPlanes = [&](Value from, Value to, int64_t group, Value acc) {
      auto loop = scf::ForOp::create(t, loc, from, to, cst(t, group),
                                     ValueRange{acc});
      OpBuilder l = OpBuilder::atBlockBegin(loop.getBody());
      SmallVector<Value> values;
      for (int64_t g = 0; g < group; ++g) {
        Value plane = loop.getInductionVar();
        if (g > 0)
          plane = arith::AddIOp::create(l, loc, plane, cst(l, g));
        values.push_back(memref::LoadOp::create(l, loc, partials,
                                                ValueRange{plane, r, col}));
      }
      Value sum = loop.getRegionIterArgs()[0];
      for (Value v : values)
        sum = arith::AddFOp::create(l, loc, sum, v);
      scf::YieldOp::create(l, loc, ValueRange{sum});
      return loop.getResult(0);
    };
    Value grouped = arith::SubIOp::create(
        t, loc, planes, arith::RemUIOp::create(t, loc, planes, cst(t, kGroup)));
    Value start = memref::LoadOp::create(t, loc, c, ValueRange{r, col});
    Value sum = addPlanes(cst(t, 0), grouped, kGroup, start);
    sum = addPlanes(grouped, planes, 1, sum);
    memref::StoreOp::create(t, loc, sum, c, ValueRange{r, col});
  }
  gpu::TerminatorOp::create(k, loc);
  launch->setAttr("kiln.split_k_sum", b.getUnitAttr());
}

//===----------------------------------------------------------------------===//
// kiln-gpu-map-host-code
//===----------------------------------------------------------------------===//

struct GpuMapHostCodePass : impl::GpuMapHostCodeBase<GpuMapHostCodePass> {

  /// Ops that may stay on the host: ops without memory effects (index
  /// math, including divisions by launch sizes, memref metadata) and GPU
  /// runtime ops. Everything else touching memory is device work.
  static bool isHostOp(Operation *op) {
    if (isa<gpu::LaunchOp, gpu::AllocOp, gpu::DeallocOp, gpu::MemcpyOp,
            gpu::MemsetOp, gpu::WaitOp, scf::ParallelOp, func::ReturnOp,
            memref::GetGlobalOp>(op))
      return true;
    return isMemoryEffectFree(op) && op->getNumRegions() == 0;
  }

  /// Moves the top-level definitions of `op`'s operands that come after
  /// `anchor` (pure ops between the kernel and `op`) before `anchor`.
  static void hoistOperandsBefore(Operation *op, Operation *anchor) {
    SmallVector<Value> used;
    op->walk([&](Operation *nested) {
      llvm::append_range(used, nested->getOperands());
    });
    for (Value v : used) {
      Operation *def = v.getDefiningOp();
      if (!def || def->getBlock() != anchor->getBlock() || def == anchor ||
          def->isBeforeInBlock(anchor))
        continue;
      hoistOperandsBefore(def, anchor);
      def->moveBefore(anchor);
    }
  }

  LogicalResult mapFunction(func::FuncOp func) {
    Block &body = func.getBody().front();
    Location loc = func.getLoc();

    // 1. Device work at the top level runs in a one-thread kernel;
    //    consecutive ones share a kernel.
    gpu::LaunchOp current;
    for (Operation &op : llvm::make_early_inc_range(body)) {
      bool load = isa<memref::LoadOp>(op);
      if (isHostOp(&op) || load) {
        if (!isMemoryEffectFree(&op) && !load)
          current = {};
        continue;
      }
      if (!current) {
        OpBuilder b(&op);
        Value one = arith::ConstantIndexOp::create(b, loc, 1);
        current = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
        OpBuilder t = OpBuilder::atBlockBegin(&current.getBody().front());
        gpu::TerminatorOp::create(t, loc);
      }
      hoistOperandsBefore(&op, current);
      op.moveBefore(current.getBody().front().getTerminator());
    }

    // 2. Loads of device memory (and what is computed from them) move into
    //    the regions that use them.
    llvm::SmallPtrSet<Operation *, 16> tainted;
    for (Operation &op : body)
      if (isa<memref::LoadOp>(op) ||
          llvm::any_of(op.getOperands(), [&](Value v) {
            return v.getDefiningOp() && tainted.count(v.getDefiningOp());
          }))
        tainted.insert(&op);
    SmallVector<Operation *> order;
    for (Operation &op : body)
      if (tainted.count(&op))
        order.push_back(&op);
    for (Operation *op : llvm::reverse(order)) {
      for (OpOperand &use : llvm::make_early_inc_range(op->getUses())) {
        Operation *user = use.getOwner();
        if (user->getBlock() == &body)
          return user->emitError(
              "CUDA target: a value read from device memory is used on the "
              "host");
        OpBuilder b(user);
        Operation *clone = b.clone(*op);
        use.set(clone->getResult(cast<OpResult>(use.get()).getResultNumber()));
      }
      op->erase();
    }

    // 3. Each top-level scf.parallel becomes one dimension (its iterations
    //    in row-major order, so consecutive threads touch consecutive
    //    elements) tiled for 256-thread blocks: every iteration gets a
    //    thread, whatever the rank (the GPU mapping has only x, y, z).
    IRRewriter rewriter(func.getContext());
    for (scf::ParallelOp loop :
         llvm::to_vector(body.getOps<scf::ParallelOp>())) {
      if (loop.getNumLoops() < 2)
        continue;
      std::vector<unsigned> all(loop.getNumLoops());
      std::iota(all.begin(), all.end(), 0u);
      rewriter.setInsertionPoint(loop);
      collapseParallelLoops(rewriter, loop, {all});
    }
    for (scf::ParallelOp loop :
         llvm::to_vector(body.getOps<scf::ParallelOp>())) {
      int64_t tile = 256;
      auto lb = getConstantIntValue(loop.getLowerBound()[0]);
      auto ub = getConstantIntValue(loop.getUpperBound()[0]);
      auto st = getConstantIntValue(loop.getStep()[0]);
      if (lb && ub && st && *st > 0 && *ub > *lb)
        tile = std::min<int64_t>(tile,
                                 llvm::PowerOf2Ceil((*ub - *lb + *st - 1) / *st));
      SmallVector<int64_t> tiles(loop.getNumLoops(), 1);
      tiles.back() = tile;
      scf::tileParallelLoop(loop, tiles, /*noMinMaxBounds=*/true);
    }
    return success();
  }

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (!func.getBody().hasOneBlock()) {
        func.emitError("CUDA target: impl functions must have one block");
        return signalPassFailure();
      }
      if (failed(mapFunction(func)))
        return signalPassFailure();
    }
  }
};

//===----------------------------------------------------------------------===//
// kiln-gpu-align-workgroup-buffers
//===----------------------------------------------------------------------===//

struct GpuAlignWorkgroupBuffersPass
    : impl::GpuAlignWorkgroupBuffersBase<GpuAlignWorkgroupBuffersPass> {
  void runOnOperation() override {
    StringRef name = LLVM::LLVMDialect::getAlignAttrName();
    auto align = IntegerAttr::get(IntegerType::get(&getContext(), 64), 16);
    getOperation().walk([&](gpu::GPUFuncOp fn) {
      for (unsigned i = 0, e = fn.getNumWorkgroupAttributions(); i < e; ++i)
        if (!fn.getWorkgroupAttributionAttr(i, name))
          fn.setWorkgroupAttributionAttr(i, name, align);
    });
  }
};

//===----------------------------------------------------------------------===//
// kiln-gpu-merge-kernel-modules
//===----------------------------------------------------------------------===//

/// gpu-kernel-outlining makes one gpu.module per kernel; one module per
/// model gives one PTX file (one ptxas run, one module load at run time).
/// Identical kernels are kept once.
struct GpuMergeKernelModulesPass
    : impl::GpuMergeKernelModulesBase<GpuMergeKernelModulesPass> {
  /// The kernel's text under a fixed name: equal keys, equal kernels.
  static std::string bodyKey(gpu::GPUFuncOp fn) {
    std::string name = SymbolTable::getSymbolName(fn).str();
    SymbolTable::setSymbolName(fn, "kernel");
    std::string key;
    llvm::raw_string_ostream os(key);
    fn->print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
    SymbolTable::setSymbolName(fn, name);
    return key;
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernels(module.getOps<gpu::GPUModuleOp>());
    if (kernels.size() < 2)
      return;
    std::string name =
        (module.getSymName().value_or("model") + "_kernels").str();
    OpBuilder b(kernels.front());
    auto merged = gpu::GPUModuleOp::create(b, module.getLoc(), name);
    SymbolTable mergedSymbols(merged);
    llvm::DenseMap<Attribute, SymbolRefAttr> renamed;
    llvm::StringMap<SymbolRefAttr> kept; // bodyKey -> kernel in `merged`
    for (gpu::GPUModuleOp kernel : kernels) {
      SmallVector<Operation *> ops;
      for (Operation &op : kernel.getBody()->getOperations())
        ops.push_back(&op);
      for (Operation *op : ops) {
        auto fn = dyn_cast<gpu::GPUFuncOp>(op);
        if (!fn) {
          op->moveBefore(merged.getBody(), merged.getBody()->end());
          continue;
        }
        auto oldRef = SymbolRefAttr::get(
            kernel.getSymNameAttr(),
            {FlatSymbolRefAttr::get(SymbolTable::getSymbolName(fn))});
        // A kernel identical to one kept already (evaluate and predict
        // repeat train_step's forward kernels) is not compiled twice.
        std::string key = bodyKey(fn);
        if (auto it = kept.find(key); it != kept.end()) {
          renamed[oldRef] = it->second;
          fn->erase();
          continue;
        }
        fn->moveBefore(merged.getBody(), merged.getBody()->end());
        std::string newName = kernel.getSymName().str();
        if (mergedSymbols.lookup(newName))
          newName += "_" + SymbolTable::getSymbolName(fn).str();
        SymbolTable::setSymbolName(fn, newName);
        mergedSymbols.insert(fn);
        renamed[oldRef] = SymbolRefAttr::get(
            merged.getSymNameAttr(),
            {FlatSymbolRefAttr::get(SymbolTable::getSymbolName(fn))});
        kept[key] = renamed[oldRef];
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = renamed.find(launch.getKernel());
      if (it != renamed.end())
        launch.setKernelAttr(it->second);
    });
    for (gpu::GPUModuleOp kernel : kernels)
      kernel.erase();
  }
};

//===----------------------------------------------------------------------===//
// kiln-cuda-state-helpers
//===----------------------------------------------------------------------===//

struct CudaStateHelpersPass : impl::CudaStateHelpersBase<CudaStateHelpersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto size = module->getAttrOfType<IntegerAttr>(model::kStateSizeAttr);
    if (!size) {
      module.emitError("no ") << model::kStateSizeAttr
                              << ": run kiln-state-abi first";
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    Location loc = module.getLoc();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    auto voidType = LLVM::LLVMVoidType::get(ctx);
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    // void kiln_cuda_copy(void *dst, const void *src, uint64_t bytes)
    auto copyType = LLVM::LLVMFunctionType::get(voidType, {ptr, ptr, i64});
    StringRef copyName = "kiln_cuda_copy";
    auto copyFn = module.lookupSymbol<LLVM::LLVMFuncOp>(copyName);
    if (!copyFn)
      copyFn = LLVM::LLVMFuncOp::create(b, loc, copyName, copyType);
    std::string name = module.getSymName().value_or("model").str();
    // to_host(state, host): host <- state; from_host(state, host).
    for (bool toHost : {true, false}) {
      auto fnType = LLVM::LLVMFunctionType::get(voidType, {ptr, ptr});
      auto fn = LLVM::LLVMFuncOp::create(
          b, loc, name + (toHost ? "_state_to_host" : "_state_from_host"),
          fnType);
      OpBuilder fb = OpBuilder::atBlockBegin(fn.addEntryBlock(b));
      Value state = fn.getArgument(0), host = fn.getArgument(1);
      Value bytes = LLVM::ConstantOp::create(fb, loc, i64,
                                             fb.getI64IntegerAttr(size.getInt()));
      LLVM::CallOp::create(fb, loc, copyFn,
                           toHost ? ValueRange{host, state, bytes}
                                  : ValueRange{state, host, bytes});
      LLVM::ReturnOp::create(fb, loc, ValueRange{});
    }
  }
};

} // namespace
} // namespace kiln
