//===- Compiler.cpp - Compile a .kiln file, stage by stage ---------------===//
#include "Driver/Compiler.h"

#include "Frontend/MLIRGen.h"
#include "Frontend/Parser.h"
#include "Kiln/IR/KilnDialect.h"
#include "Kiln/IR/KilnModel.h"
#include "Pipelines/PassSwitches.h"
#include "Pipelines/Pipelines.h"
#include "Target/HeaderWriter.h"
#include "Target/CudaTarget.h"
#include "Target/ObjectEmitter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;

namespace kiln {

int64_t TensorInfo::elementsPerExample() const {
  int64_t count = 1;
  for (int64_t d : shape)
    if (d >= 0)
      count *= d;
  return count;
}

/// The matrix-product register tile for the target's vector registers:
/// 16 of 512 bits (AVX-512), 16 of 256 bits (AVX2), or 128-bit ones.
static CpuOptions cpuOptionsFor(const TargetOptions &target) {
  CpuOptions options;
  switch (vectorRegisterBits(
      {target.triple, target.cpu, target.features, target.optLevel})) {
  case 512:
    options.tileM = 8, options.tileN = 32;
    break;
  case 256:
    options.tileM = 6, options.tileN = 16;
    break;
  default:
    options.tileM = 6, options.tileN = 8;
  }
  options.threads = target.threads;
  options.disabledPasses = target.disabledPasses;
  options.lineTables = target.lineTables;
  options.hugePages =
      llvm::Triple(target.triple.empty() ? llvm::sys::getDefaultTargetTriple()
                                         : target.triple)
          .isOSLinux();
  return options;
}

bool freeThreadsOptionName() {
  auto &options = llvm::cl::getRegisteredOptions();
  auto existing = options.find("threads");
  if (existing != options.end())
    existing->second->setArgStr("llvm-threads");
  return true;
}

std::optional<std::string> checkPassOptions(const TargetOptions &target) {
  if (target.threads < 1)
    return "--threads must be at least 1, not " +
           std::to_string(target.threads);
  if (target.backend == Backend::CUDA &&
      (target.threads != 1 || !target.disabledPasses.empty() ||
       target.lineTables))
    return std::string(
        "--threads, --disable-pass and -g apply to --target=cpu");
  return checkDisabledPasses(target.disabledPasses);
}

struct Compilation::State {
  llvm::SourceMgr sourceMgr;
  MLIRContext context;
  std::unique_ptr<SourceMgrDiagnosticHandler> diagnostics;
  std::unique_ptr<ast::Module> ast;
  OwningOpRef<ModuleOp> module;
  ModelInfo info;
  /// The last stage the module is at (AST: no module yet).
  EmitStage reached = EmitStage::AST;
  bool broken = false; // a stage failed; later calls fail at once

  State() : context(registry()) {
    diagnostics =
        std::make_unique<SourceMgrDiagnosticHandler>(sourceMgr, &context);
  }

  static DialectRegistry registry() {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registry.insert<KilnDialect>();
    return registry;
  }

  /// The target of the last emit(); picks the lowering pipeline.
  TargetOptions target;
  LogicalResult advanceTo(EmitStage stage);
  LogicalResult lowerForCuda(bool ptx);
  LogicalResult
  runPasses(llvm::function_ref<LogicalResult(OpPassManager &)> add);
  void collectInfo();
  void collectStateLayout();
};

LogicalResult Compilation::State::runPasses(
    llvm::function_ref<LogicalResult(OpPassManager &)> add) {
  PassManager pm(&context);
  // The module is verified once the pipeline is through rather than after
  // each of its ~40 passes (a fifth of the MLIR time); kiln-opt and the lit
  // tests still verify after every pass.
  pm.enableVerifier(false);
  if (failed(add(pm)) || failed(pm.run(*module)))
    return failure();
  return verify(*module);
}

void Compilation::State::collectInfo() {
  info.name = module->getSymName().value_or("model").str();
  auto forward = module->lookupSymbol<func::FuncOp>(model::kForwardFunc);
  auto tensor = [](StringRef name, Type type) {
    TensorInfo t;
    t.name = name.str();
    auto tensorType = cast<RankedTensorType>(type);
    for (int64_t d : tensorType.getShape())
      t.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
    if (tensorType.getElementType().isInteger(32))
      t.dtype = "i32";
    return t;
  };
  for (unsigned i = 0, e = forward.getNumArguments(); i < e; ++i) {
    Type type = forward.getArgumentTypes()[i];
    if (auto name = forward.getArgAttrOfType<StringAttr>(i, model::kInputAttr))
      info.inputs.push_back(tensor(name, type));
    if (auto name = forward.getArgAttrOfType<StringAttr>(i, model::kLabelAttr))
      info.labels.push_back(tensor(name, type));
  }
  auto output = forward.getResultAttrOfType<StringAttr>(1, model::kResultAttr);
  info.outputs.push_back(tensor(output, forward.getResultTypes()[1]));
}

void Compilation::State::collectStateLayout() {
  auto layout = (*module)->getAttrOfType<ArrayAttr>(model::kStateLayoutAttr);
  if (!layout)
    return;
  for (Attribute entry : layout) {
    auto dict = cast<DictionaryAttr>(entry);
    StateEntryInfo &e = info.stateLayout.emplace_back();
    e.name = dict.getAs<StringAttr>("name").getValue().str();
    e.offset = dict.getAs<IntegerAttr>("offset").getInt();
    ArrayRef<int64_t> shape =
        dict.getAs<DenseI64ArrayAttr>("shape").asArrayRef();
    e.shape.assign(shape.begin(), shape.end());
    llvm::raw_string_ostream(e.dtype)
        << cast<TypeAttr>(dict.get("dtype")).getValue();
  }
}

LogicalResult Compilation::State::advanceTo(EmitStage stage) {
  if (broken)
    return failure();
  auto step = [&]() -> LogicalResult {
    switch (reached) {
    case EmitStage::AST:
      module = generateMLIR(context, sourceMgr, *ast, info.recipe);
      if (!module)
        return failure();
      collectInfo();
      reached = EmitStage::Kiln;
      return success();
    case EmitStage::Kiln:
      reached = EmitStage::Train;
      return runPasses(addTrainingPasses);
    case EmitStage::Train:
      reached = EmitStage::Linalg;
      return runPasses(addLinalgPasses);
    case EmitStage::Linalg:
      reached = EmitStage::LLVMDialect;
      if (target.backend == Backend::CUDA
              ? failed(lowerForCuda(stage == EmitStage::PTX))
              : failed(runPasses([&](OpPassManager &pm) {
                  return addCpuLoweringPasses(pm, cpuOptionsFor(target));
                })))
        return failure();
      if (auto size = (*module)->getAttrOfType<IntegerAttr>(
              model::kStateSizeAttr))
        info.stateSize = size.getInt();
      collectStateLayout();
      return success();
    default:
      llvm_unreachable("LLVM dialect is the last module stage");
    }
  };
  // Stages past the LLVM dialect are renderings of it.
  EmitStage target = stage > EmitStage::LLVMDialect ? EmitStage::LLVMDialect
                                                    : stage;
  while (reached < target)
    if (failed(step())) {
      broken = true;
      return failure();
    }
  return success();
}

/// CUDA lowering: PTX for --emit=ptx or without a toolkit; a fatbin (cubin
/// for the chip + PTX for newer GPUs) when ptxas is found.
LogicalResult Compilation::State::lowerForCuda(bool ptx) {
  DialectRegistry extensions;
  registerCudaTargetExtensions(extensions);
  context.appendDialectRegistry(extensions);
  CudaOptions options;
  options.chip = target.gpuArch.empty() ? "sm_80" : target.gpuArch;
  options.toolkitPath = findCudaToolkit();
  options.format = ptx || options.toolkitPath.empty() ? "isa" : "fatbin";
  return runPasses([&](OpPassManager &pm) {
    return addCudaLoweringPasses(pm, options);
  });
}

Compilation::Compilation() : state(std::make_unique<State>()) {}
Compilation::~Compilation() = default;

std::unique_ptr<Compilation> Compilation::open(llvm::StringRef path,
                                               llvm::StringRef tool) {
  auto file = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (std::error_code ec = file.getError()) {
    llvm::WithColor::error(llvm::errs(), tool)
        << "cannot open '" << path << "': " << ec.message() << '\n';
    return nullptr;
  }
  std::unique_ptr<Compilation> compilation(new Compilation());
  State &s = *compilation->state;
  unsigned id = s.sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  s.ast = parseModule(s.sourceMgr, id);
  if (!s.ast)
    return nullptr;
  return compilation;
}

bool Compilation::emit(EmitStage stage, const TargetOptions &target,
                       llvm::raw_ostream &os) {
  State &s = *state;
  if (stage == EmitStage::AST) {
    ast::print(*s.ast, os);
    return true;
  }
  if (s.reached <= EmitStage::Linalg)
    s.target = target;
  if (stage == EmitStage::PTX && s.target.backend != Backend::CUDA) {
    llvm::WithColor::error(llvm::errs(), "kilnc")
        << "--emit=ptx needs --target=cuda\n";
    return false;
  }
  if (failed(s.advanceTo(stage)))
    return false;
  CodegenOptions codegen{target.triple, target.cpu, target.features,
                         target.optLevel};
  switch (stage) {
  case EmitStage::LLVMIR:
    return succeeded(emitLLVMIR(*s.module, codegen, os));
  case EmitStage::Object:
    return succeeded(emitObject(*s.module, codegen, os));
  case EmitStage::Header:
    if (s.target.backend == Backend::CUDA) {
      std::string header;
      llvm::raw_string_ostream hs(header);
      if (failed(writeHeader(*s.module, hs, /*stateOnDevice=*/true)))
        return false;
      os << amendHeaderForCuda(header, s.info.name, s.target.gpuArch);
      return true;
    }
    return succeeded(writeHeader(*s.module, os));
  case EmitStage::PTX:
    return succeeded(emitPTX(*s.module, os));
  default:
    s.module->print(os);
    os << "\n";
    return true;
  }
}

const ModelInfo *Compilation::info() {
  if (failed(state->advanceTo(EmitStage::Kiln)))
    return nullptr;
  return &state->info;
}

bool writeFileAtomically(llvm::StringRef path,
                         llvm::function_ref<bool(llvm::raw_ostream &)> write,
                         llvm::StringRef tool) {
  llvm::SmallString<256> temporary;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(
          path + ".tmp-%%%%%%", fd, temporary)) {
    llvm::WithColor::error(llvm::errs(), tool)
        << "cannot write '" << path << "': " << ec.message() << '\n';
    return false;
  }
  bool ok;
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    ok = write(os);
    os.flush();
    if (os.has_error()) {
      llvm::WithColor::error(llvm::errs(), tool)
          << "cannot write '" << path << "': " << os.error().message() << '\n';
      os.clear_error();
      ok = false;
    }
  }
  if (ok) {
    if (std::error_code ec = llvm::sys::fs::rename(temporary, path)) {
      llvm::WithColor::error(llvm::errs(), tool)
          << "cannot write '" << path << "': " << ec.message() << '\n';
      ok = false;
    }
  }
  if (!ok)
    llvm::sys::fs::remove(temporary);
  return ok;
}

std::unique_ptr<ModelInfo> compileToFiles(llvm::StringRef path,
                                          const TargetOptions &target,
                                          llvm::StringRef objectPath,
                                          llvm::StringRef headerPath,
                                          llvm::StringRef tool) {
  auto compilation = Compilation::open(path, tool);
  if (!compilation)
    return nullptr;
  if (!writeFileAtomically(objectPath, [&](llvm::raw_ostream &os) {
        return compilation->emit(EmitStage::Object, target, os);
      }, tool))
    return nullptr;
  if (!headerPath.empty() &&
      !writeFileAtomically(headerPath, [&](llvm::raw_ostream &os) {
        return compilation->emit(EmitStage::Header, target, os);
      }, tool))
    return nullptr;
  const ModelInfo *info = compilation->info();
  return info ? std::make_unique<ModelInfo>(*info) : nullptr;
}

} // namespace kiln
