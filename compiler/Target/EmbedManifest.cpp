//===- EmbedManifest.cpp - The FlatBuffers manifest in every object ------===//
#include "Kiln/IR/KilnModel.h"
#include "Target/CInterface.h"
#include "Transforms/Passes.h"

#include "manifest_generated.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Config/llvm-config.h"

namespace kiln {
#define GEN_PASS_DEF_EMBEDMANIFEST
#include "Transforms/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// One tensor of the manifest before it is serialized.
struct TensorEntry {
  std::string name, dtype;
  std::vector<int64_t> shape; // -1 for the batch
  int64_t offset = -1;
};

TensorEntry makeEntry(StringRef name, ArrayRef<int64_t> shape,
                      StringRef dtype, int64_t offset = -1) {
  TensorEntry entry{name.str(), dtype.str(), {}, offset};
  for (int64_t d : shape)
    entry.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return entry;
}

class EmbedManifestPass
    : public kiln::impl::EmbedManifestBase<EmbedManifestPass> {
public:
  using EmbedManifestBase::EmbedManifestBase;
  void runOnOperation() override;

private:
  /// @<model>_manifest_data and `const void *<model>_manifest(size_t *)`.
  void emitAccessor(StringRef model, StringRef bytes);
};

} // namespace

void EmbedManifestPass::runOnOperation() {
  ModuleOp module = getOperation();
  StringRef model = module.getSymName().value_or("model");
  auto stateSize = module->getAttrOfType<IntegerAttr>(model::kStateSizeAttr);
  auto layout = module->getAttrOfType<ArrayAttr>(model::kStateLayoutAttr);
  if (!stateSize || !layout) {
    module.emitError("the manifest needs the state layout: run "
                     "kiln-state-abi first");
    return signalPassFailure();
  }

  // Inputs and labels as train_step takes them, outputs as predict writes.
  std::vector<TensorEntry> inputs, labels, outputs, state;
  for (Operation &op : module.getBody()->getOperations()) {
    auto roles = op.getAttrOfType<ArrayAttr>(kCInterfaceRolesAttr);
    if (!roles)
      continue;
    auto function = describeCFunction(SymbolTable::getSymbolName(&op), roles);
    if (failed(function))
      continue;
    bool isStep = StringRef(function->name).ends_with("_train_step");
    bool isPredict = StringRef(function->name).ends_with("_predict");
    for (const CArgument &a : function->arguments) {
      if (isStep && a.role == CRole::Input)
        inputs.push_back(makeEntry(a.name, a.shape, a.dtype));
      if (isStep && a.role == CRole::Label)
        labels.push_back(makeEntry(a.name, a.shape, a.dtype));
      if (isPredict && a.role == CRole::Output)
        outputs.push_back(makeEntry(a.name, a.shape, "f32"));
    }
  }

  // The state layout; a slot is an entry named "<another entry>/<slot>".
  llvm::StringSet<> names;
  for (Attribute entry : layout)
    names.insert(cast<DictionaryAttr>(entry).getAs<StringAttr>("name"));
  std::vector<std::string> slots;
  for (Attribute entry : layout) {
    auto dict = cast<DictionaryAttr>(entry);
    StringRef name = dict.getAs<StringAttr>("name").getValue();
    std::string dtype;
    llvm::raw_string_ostream(dtype) << cast<TypeAttr>(dict.get("dtype")).getValue();
    state.push_back(makeEntry(name,
                              dict.getAs<DenseI64ArrayAttr>("shape").asArrayRef(),
                              dtype, dict.getAs<IntegerAttr>("offset").getInt()));
    auto [owner, slot] = name.rsplit('/');
    if (!slot.empty() && names.contains(owner) &&
        !llvm::is_contained(slots, slot.str()))
      slots.push_back(slot.str());
  }
  auto optimizer = module->getAttrOfType<DictionaryAttr>(model::kOptimizerAttr);
  auto kind = optimizer ? optimizer.getAs<StringAttr>("kind") : StringAttr();
  auto workspace = module->getAttrOfType<DenseI64ArrayAttr>(kWorkspaceAttr);
  int64_t workspacePerExample = workspace ? workspace[0] : 0;
  int64_t workspaceFixed = workspace ? workspace[1] : 0;

  // Serialize: children before the table that holds them.
  flatbuffers::FlatBufferBuilder fbb;
  auto serialize = [&](const std::vector<TensorEntry> &tensors) {
    std::vector<flatbuffers::Offset<fb::ManifestTensor>> offsets;
    for (const TensorEntry &t : tensors)
      offsets.push_back(fb::CreateManifestTensorDirect(
          fbb, t.name.c_str(), &t.shape, t.dtype.c_str(), t.offset));
    return fbb.CreateVector(offsets);
  };
  auto inputsOffset = serialize(inputs);
  auto labelsOffset = serialize(labels);
  auto outputsOffset = serialize(outputs);
  auto stateOffset = serialize(state);
  auto slotsOffset = fbb.CreateVectorOfStrings(slots);
  auto modelOffset = fbb.CreateString(model.str());
  auto targetOffset = fbb.CreateString(target);
  auto compilerOffset =
      fbb.CreateString("kilnc (LLVM/MLIR " LLVM_VERSION_STRING ")");
  auto optimizerOffset = fbb.CreateString(kind ? kind.str() : std::string());
  auto manifest = fb::CreateManifest(
      fbb, /*format_version=*/1, modelOffset, targetOffset, compilerOffset,
      stateSize.getInt(), inputsOffset, labelsOffset, outputsOffset,
      stateOffset, optimizerOffset, slotsOffset, threads, workspacePerExample,
      workspaceFixed);
  fb::FinishManifestBuffer(fbb, manifest);
  emitAccessor(model, StringRef(reinterpret_cast<const char *>(
                                    fbb.GetBufferPointer()),
                                fbb.GetSize()));
}

void EmbedManifestPass::emitAccessor(StringRef model, StringRef bytes) {
  ModuleOp module = getOperation();
  MLIRContext *context = &getContext();
  Location loc = module.getLoc();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto i8 = IntegerType::get(context, 8);
  auto i64 = IntegerType::get(context, 64);
  auto ptr = LLVM::LLVMPointerType::get(context);
  auto arrayType = LLVM::LLVMArrayType::get(i8, bytes.size());
  std::string dataName = (model + "_manifest_data").str();
  // Aligned for the FlatBuffers verifier, which checks scalar alignment.
  auto global = LLVM::GlobalOp::create(b, loc, arrayType, /*isConstant=*/true,
                                       LLVM::Linkage::External, dataName,
                                       b.getStringAttr(bytes),
                                       /*alignment=*/16);
  (void)global;

  // size_t may be null; the data's address is returned either way.
  auto func = LLVM::LLVMFuncOp::create(
      b, loc, (model + "_manifest").str(),
      LLVM::LLVMFunctionType::get(ptr, {ptr}));
  Block *entry = func.addEntryBlock(b);
  Block *store = func.addBlock();
  Block *done = func.addBlock();
  b.setInsertionPointToStart(entry);
  Value sizeOut = entry->getArgument(0);
  Value null = LLVM::ZeroOp::create(b, loc, ptr);
  Value given = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, sizeOut,
                                     null);
  LLVM::CondBrOp::create(b, loc, given, store, done);
  b.setInsertionPointToStart(store);
  Value size = LLVM::ConstantOp::create(b, loc, i64,
                                        b.getI64IntegerAttr(bytes.size()));
  LLVM::StoreOp::create(b, loc, size, sizeOut);
  LLVM::BrOp::create(b, loc, done);
  b.setInsertionPointToStart(done);
  Value address = LLVM::AddressOfOp::create(b, loc, ptr, dataName);
  LLVM::ReturnOp::create(b, loc, ValueRange{address});
}
