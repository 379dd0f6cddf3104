//===- EmitCInterface.cpp - Public C functions around impl functions -----===//
//
// Runs on the LLVM dialect, where an impl's memref arguments are expanded
// into (allocated, aligned, offset, sizes..., strides...). The wrapper
// builds those from plain pointers and the batch size.
//
//===----------------------------------------------------------------------===//
#include "Kiln/IR/KilnModel.h"
#include "Target/CInterface.h"
#include "Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/DenseMap.h"

namespace kiln {
#define GEN_PASS_DEF_EMITCINTERFACE
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Workspaces this large are aligned to it and advised for huge pages.
constexpr int64_t kHugePageBytes = 2 << 20;
/// Linux's MADV_HUGEPAGE (asm-generic/mman-common.h, every architecture).
constexpr int32_t kMadviseHugePage = 14;

class EmitCInterfacePass
    : public kiln::impl::EmitCInterfaceBase<EmitCInterfacePass> {
public:
  using EmitCInterfaceBase::EmitCInterfaceBase;
  void runOnOperation() override;

private:
  /// `packed`: several inputs or labels come in one buffer each, see
  /// needsPackedVariant; `metrics`: the Metric arguments are parameters
  /// (else scratch), see metricsFunctionName.
  LogicalResult emitWrapper(LLVM::LLVMFuncOp impl, int64_t stateSize,
                            bool packed, bool metrics);
  void emitStateSize(StringRef model, int64_t stateSize);
  /// The workspace kept between calls (kiln.workspace on the module):
  /// `<model>_workspace_reserve(bytes)` (internal) grows it, and the public
  /// `<model>_workspace_size(batch)` and `<model>_workspace_release()`.
  void emitWorkspace(StringRef model, ArrayRef<int64_t> bytes);
};

} // namespace

LogicalResult EmitCInterfacePass::emitWrapper(LLVM::LLVMFuncOp impl,
                                              int64_t stateSize, bool packed,
                                              bool metrics) {
  auto described = describeCFunction(
      impl.getSymName(), impl->getAttrOfType<ArrayAttr>(kCInterfaceRolesAttr));
  if (failed(described))
    return impl.emitError("malformed ") << kCInterfaceRolesAttr;
  const CFunction &function = *described;

  MLIRContext *context = &getContext();
  Location loc = impl.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(context);
  auto i64 = IntegerType::get(context, 64);
  auto f32 = Float32Type::get(context);

  // C parameters in the order formatCParameters prints them.
  SmallVector<Type> paramTypes;
  SmallVector<const CArgument *> paramOwners;
  auto addParams = [&](CRole role, Type type) {
    for (const CArgument &a : function.arguments)
      if (a.role == role) {
        paramTypes.push_back(type);
        paramOwners.push_back(&a);
      }
  };
  addParams(CRole::State, ptrType);
  // The one buffer of each packed role, by role.
  DenseMap<CRole, unsigned> packedIndex;
  for (CRole role : {CRole::Input, CRole::Label}) {
    if (packed && isPackedRole(function, role)) {
      packedIndex[role] = paramTypes.size();
      paramTypes.push_back(ptrType);
      paramOwners.push_back(nullptr);
    } else {
      addParams(role, ptrType);
    }
  }
  unsigned batchIndex = paramTypes.size();
  if (function.hasBatch) {
    paramTypes.push_back(i64);
    paramOwners.push_back(nullptr);
  }
  addParams(CRole::Output, ptrType);
  if (metrics)
    addParams(CRole::Metric, ptrType);
  addParams(CRole::Scalar, i64);

  OpBuilder b(context);
  b.setInsertionPointAfter(impl);
  Type resultType =
      function.returnsLoss ? Type(f32) : LLVM::LLVMVoidType::get(context);
  auto wrapper = LLVM::LLVMFuncOp::create(
      b, loc,
      metrics  ? metricsFunctionName(function)
      : packed ? packedFunctionName(function)
               : function.name,
      LLVM::LLVMFunctionType::get(resultType, paramTypes));
  Block *body = wrapper.addEntryBlock(b);
  b.setInsertionPointToStart(body);

  auto constant = [&](int64_t value) -> Value {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(value));
  };
  Value batch = function.hasBatch ? body->getArgument(batchIndex) : Value();
  auto paramOf = [&](const CArgument &a) {
    return body->getArgument(llvm::find(paramOwners, &a) - paramOwners.begin());
  };
  // Packed: argument i of a role starts after the blocks of those before it
  // (4-byte elements whether f32 or i32).
  DenseMap<CRole, Value> packedOffset;
  auto packedPointer = [&](const CArgument &a) -> Value {
    Value &offset = packedOffset[a.role];
    if (!offset)
      offset = constant(0);
    Value pointer = LLVM::GEPOp::create(b, loc, ptrType, f32,
                                        body->getArgument(packedIndex[a.role]),
                                        ValueRange{offset});
    Value elements = constant(1);
    for (int64_t d : a.shape)
      elements = LLVM::MulOp::create(
          b, loc, elements, d == ShapedType::kDynamic ? batch : constant(d));
    offset = LLVM::AddOp::create(b, loc, offset, elements);
    return pointer;
  };

  // Expand each argument into its memref descriptor fields.
  SmallVector<Value> callArgs;
  Value lossSlot;
  for (const CArgument &a : function.arguments) {
    if (a.role == CRole::Scalar) {
      callArgs.push_back(paramOf(a));
      continue;
    }
    Value pointer;
    SmallVector<int64_t> shape = a.shape;
    if (a.role == CRole::Loss) {
      lossSlot = LLVM::AllocaOp::create(b, loc, ptrType, f32, constant(1));
      pointer = lossSlot;
    } else if (a.role == CRole::Metric && !metrics) {
      // Computed and dropped (a few f32 sums beside the loss).
      pointer = LLVM::AllocaOp::create(b, loc, ptrType, f32, constant(1));
    } else if (packedIndex.count(a.role)) {
      pointer = packedPointer(a);
    } else {
      pointer = paramOf(a);
    }
    if (a.role == CRole::State)
      shape = {stateSize};
    callArgs.append({pointer, pointer, constant(0)});
    SmallVector<Value> sizes;
    for (int64_t d : shape)
      sizes.push_back(d == ShapedType::kDynamic ? batch : constant(d));
    SmallVector<Value> strides(shape.size());
    Value stride = constant(1);
    for (int64_t i = (int64_t)shape.size() - 1; i >= 0; --i) {
      strides[i] = stride;
      stride = LLVM::MulOp::create(b, loc, stride, sizes[i]);
    }
    llvm::append_range(callArgs, sizes);
    llvm::append_range(callArgs, strides);
  }
  // kiln-plan-arena's workspace, the last impl argument.
  if (auto workspace = impl->getAttrOfType<DenseI64ArrayAttr>(kWorkspaceAttr)) {
    Value bytes = constant(workspace[1]);
    if (workspace[0] != 0)
      bytes = LLVM::AddOp::create(
          b, loc, LLVM::MulOp::create(b, loc, batch, constant(workspace[0])),
          bytes);
    auto module = impl->getParentOfType<ModuleOp>();
    Value pointer =
        LLVM::CallOp::create(
            b, loc,
            module.lookupSymbol<LLVM::LLVMFuncOp>(
                workspaceReserveName(module.getSymName().value_or("model"))),
            ValueRange{bytes})
            .getResult();
    callArgs.append({pointer, pointer, constant(0), bytes, constant(1)});
  }
  LLVM::CallOp::create(b, loc, impl, callArgs);
  if (function.returnsLoss) {
    Value loss = LLVM::LoadOp::create(b, loc, f32, lossSlot);
    LLVM::ReturnOp::create(b, loc, ValueRange{loss});
  } else {
    LLVM::ReturnOp::create(b, loc, ValueRange{});
  }
  return success();
}

void EmitCInterfacePass::emitStateSize(StringRef model, int64_t stateSize) {
  MLIRContext *context = &getContext();
  ModuleOp module = getOperation();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto i64 = IntegerType::get(context, 64);
  auto func = LLVM::LLVMFuncOp::create(
      b, module.getLoc(), (model + "_state_size").str(),
      LLVM::LLVMFunctionType::get(i64, {}));
  b.setInsertionPointToStart(func.addEntryBlock(b));
  Value size = LLVM::ConstantOp::create(b, module.getLoc(), i64,
                                        b.getI64IntegerAttr(stateSize));
  LLVM::ReturnOp::create(b, module.getLoc(), ValueRange{size});
}

/// The C runtime function `name`, declared once.
static LLVM::LLVMFuncOp libcFunction(ModuleOp module, StringRef name,
                                     LLVM::LLVMFunctionType type) {
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), name, type);
}

void EmitCInterfacePass::emitWorkspace(StringRef model,
                                       ArrayRef<int64_t> bytes) {
  MLIRContext *context = &getContext();
  ModuleOp module = getOperation();
  Location loc = module.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(context);
  auto i64 = IntegerType::get(context, 64);
  auto voidType = LLVM::LLVMVoidType::get(context);
  LLVM::LLVMFuncOp alignedAlloc = libcFunction(
      module, "aligned_alloc", LLVM::LLVMFunctionType::get(ptr, {i64, i64}));
  LLVM::LLVMFuncOp free = libcFunction(
      module, "free", LLVM::LLVMFunctionType::get(voidType, {ptr}));

  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  std::string dataName = (model + "_workspace_data").str();
  std::string capacityName = (model + "_workspace_capacity").str();
  // One workspace per calling thread, so the functions stay safe to call
  // from several threads at once (each with its own state).
  auto data = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                     LLVM::Linkage::Internal, dataName,
                                     Attribute(), /*alignment=*/0,
                                     /*addrSpace=*/0, /*dsoLocal=*/false,
                                     /*threadLocal=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.createBlock(&data.getInitializerRegion());
    LLVM::ReturnOp::create(b, loc,
                           ValueRange{LLVM::ZeroOp::create(b, loc, ptr)});
  }
  LLVM::GlobalOp::create(b, loc, i64, /*isConstant=*/false,
                         LLVM::Linkage::Internal, capacityName,
                         b.getI64IntegerAttr(0), /*alignment=*/0,
                         /*addrSpace=*/0, /*dsoLocal=*/false,
                         /*threadLocal=*/true);
  auto constant = [&](int64_t value) -> Value {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(value));
  };
  auto global = [&](StringRef name) -> Value {
    return LLVM::AddressOfOp::create(b, loc, ptr, name);
  };

  // Reserve: a larger request frees the old block and allocates the new
  // one; every other call returns the block it already has.
  auto reserve = LLVM::LLVMFuncOp::create(
      b, loc, workspaceReserveName(model),
      LLVM::LLVMFunctionType::get(ptr, {i64}), LLVM::Linkage::Internal);
  Block *entry = reserve.addEntryBlock(b);
  Block *grow = reserve.addBlock();
  Block *done = reserve.addBlock();
  b.setInsertionPointToStart(entry);
  Value wanted = entry->getArgument(0);
  Value capacity = LLVM::LoadOp::create(b, loc, i64, global(capacityName));
  Value tooSmall =
      LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ugt, wanted, capacity);
  LLVM::CondBrOp::create(b, loc, tooSmall, grow, done);
  b.setInsertionPointToStart(grow);
  LLVM::CallOp::create(
      b, loc, free,
      ValueRange{LLVM::LoadOp::create(b, loc, ptr, global(dataName))});
  // kiln-plan-arena keeps sizes multiples of 64, as aligned_alloc needs; a
  // large block is a whole number of 2 MiB pages.
  Value large = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::uge, wanted,
                                     constant(kHugePageBytes));
  Value alignment = LLVM::SelectOp::create(b, loc, large,
                                           constant(kHugePageBytes),
                                           constant(64));
  Value blockSize = LLVM::AndOp::create(
      b, loc,
      LLVM::AddOp::create(
          b, loc, wanted,
          LLVM::SubOp::create(b, loc, alignment, constant(1))),
      LLVM::SubOp::create(b, loc, constant(0), alignment));
  Value block = LLVM::CallOp::create(b, loc, alignedAlloc,
                                     ValueRange{alignment, blockSize})
                    .getResult();
  LLVM::StoreOp::create(b, loc, block, global(dataName));
  LLVM::StoreOp::create(b, loc, wanted, global(capacityName));
  if (hugePages) {
    // Advice only, before the block's first touch; its result is ignored.
    auto i32 = IntegerType::get(context, 32);
    LLVM::LLVMFuncOp madvise = libcFunction(
        module, "madvise", LLVM::LLVMFunctionType::get(i32, {ptr, i64, i32}));
    Block *advise = reserve.addBlock();
    LLVM::CondBrOp::create(b, loc, large, advise, done);
    b.setInsertionPointToStart(advise);
    LLVM::CallOp::create(
        b, loc, madvise,
        ValueRange{block, blockSize,
                   LLVM::ConstantOp::create(b, loc, i32,
                                            b.getI32IntegerAttr(
                                                kMadviseHugePage))});
  }
  LLVM::BrOp::create(b, loc, done);
  b.setInsertionPointToStart(done);
  LLVM::ReturnOp::create(
      b, loc, ValueRange{LLVM::LoadOp::create(b, loc, ptr, global(dataName))});

  // size_t <model>_workspace_size(int64_t batch)
  b.setInsertionPointToEnd(module.getBody());
  auto size =
      LLVM::LLVMFuncOp::create(b, loc, (model + "_workspace_size").str(),
                               LLVM::LLVMFunctionType::get(i64, {i64}));
  b.setInsertionPointToStart(size.addEntryBlock(b));
  Value total = LLVM::AddOp::create(
      b, loc,
      LLVM::MulOp::create(b, loc, size.getArgument(0), constant(bytes[0])),
      constant(bytes[1]));
  LLVM::ReturnOp::create(b, loc, ValueRange{total});

  // void <model>_workspace_release(void)
  b.setInsertionPointToEnd(module.getBody());
  auto release =
      LLVM::LLVMFuncOp::create(b, loc, (model + "_workspace_release").str(),
                               LLVM::LLVMFunctionType::get(voidType, {}));
  b.setInsertionPointToStart(release.addEntryBlock(b));
  LLVM::CallOp::create(
      b, loc, free,
      ValueRange{LLVM::LoadOp::create(b, loc, ptr, global(dataName))});
  LLVM::StoreOp::create(b, loc, LLVM::ZeroOp::create(b, loc, ptr),
                        global(dataName));
  LLVM::StoreOp::create(b, loc, constant(0), global(capacityName));
  LLVM::ReturnOp::create(b, loc, ValueRange{});
}

void EmitCInterfacePass::runOnOperation() {
  ModuleOp module = getOperation();
  auto stateSize = module->getAttrOfType<IntegerAttr>(model::kStateSizeAttr);
  if (!stateSize) {
    module.emitError("no ") << model::kStateSizeAttr
                            << ": run kiln-state-abi first";
    return signalPassFailure();
  }
  StringRef model = module.getSymName().value_or("model");
  if (auto workspace = module->getAttrOfType<DenseI64ArrayAttr>(kWorkspaceAttr))
    emitWorkspace(model, workspace.asArrayRef());
  SmallVector<LLVM::LLVMFuncOp> impls;
  module.walk([&](LLVM::LLVMFuncOp func) {
    if (func->hasAttr(kCInterfaceRolesAttr))
      impls.push_back(func);
  });
  for (LLVM::LLVMFuncOp impl : impls) {
    auto roles = impl->getAttrOfType<ArrayAttr>(kCInterfaceRolesAttr);
    FailureOr<CFunction> function = describeCFunction(impl.getSymName(), roles);
    bool packed = succeeded(function) && needsPackedVariant(*function);
    if (failed(emitWrapper(impl, stateSize.getInt(), false, false)) ||
        (packed &&
         failed(emitWrapper(impl, stateSize.getInt(), true, false))) ||
        (function->hasMetrics &&
         failed(emitWrapper(impl, stateSize.getInt(), packed, true))))
      return signalPassFailure();
  }
  emitStateSize(model, stateSize.getInt());
}
