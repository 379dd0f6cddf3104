//===- ObjectEmitter.cpp - LLVM dialect to LLVM IR and object code -------===//
#include "Target/ObjectEmitter.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Transforms/IPO/MergeFunctions.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>

using namespace mlir;

namespace kiln {
namespace {

/// The LLVM module for `module`, optimized for the target machine.
struct LoweredModule {
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module;
  std::unique_ptr<llvm::TargetMachine> machine;
};

/// The triple, target, CPU and features the options stand for.
struct ResolvedTarget {
  llvm::Triple triple;
  const llvm::Target *target = nullptr;
  std::string cpu, features, error;
};

ResolvedTarget resolve(const CodegenOptions &options) {
  static std::once_flag targetsReady;
  std::call_once(targetsReady, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
  ResolvedTarget resolved;
  bool host = options.triple.empty();
  resolved.triple = llvm::Triple(host ? llvm::sys::getDefaultTargetTriple()
                                      : options.triple);
  resolved.target =
      llvm::TargetRegistry::lookupTarget(resolved.triple, resolved.error);
  resolved.cpu = options.cpu;
  resolved.features = options.features;
  if (resolved.cpu.empty())
    resolved.cpu = host ? llvm::sys::getHostCPUName().str() : "generic";
  if (host && options.cpu.empty()) {
    // Every feature of this CPU, so the object uses its full vector width.
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      resolved.features += (resolved.features.empty() ? "" : ",") +
                           std::string(feature.second ? "+" : "-") +
                           feature.first().str();
  }
  return resolved;
}

/// Unrolling threshold of LLVM's loop unroller (the O3 default is 300). The
/// kernels come register-tiled and their vector transfers unrolled from
/// MLIR; past this size, unrolling only multiplied the code the backend then
/// had to compile: LeNet's object took 3.8 s of LLVM time at 300, 1.5 s at
/// 50, with the same training speed.
constexpr const char *kUnrollThreshold = "50";

/// Sets LLVM's -unroll-threshold (a process-wide option, as the pass builder
/// takes the threshold from nowhere else) unless the command line did.
void limitLoopUnrolling() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto &options = llvm::cl::getRegisteredOptions();
    auto found = options.find("unroll-threshold");
    if (found != options.end() && found->second->getNumOccurrences() == 0)
      found->second->addOccurrence(0, "unroll-threshold", kUnrollThreshold);
  });
}

/// LLVM's default pipeline at `optLevel` (0-3), without LoopLoadElimination:
/// the loops the MLIR pipeline emits give it nothing to forward (the objects
/// of every sample are byte-identical without it) and it analyzed each loop's
/// memory dependences again, about a tenth of the optimization time.
void optimize(llvm::Module &module, llvm::TargetMachine &machine,
              unsigned optLevel) {
  limitLoopUnrolling();
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = tuning.LoopInterleaving = true;
  tuning.LoopVectorization = tuning.SLPVectorization = true;
  llvm::PassInstrumentationCallbacks instrumentation;
  instrumentation.registerShouldRunOptionalPassCallback(
      [](llvm::StringRef pass, llvm::Any) {
        return pass != "LoopLoadEliminationPass";
      });
  llvm::PassBuilder builder(&machine, tuning, std::nullopt, &instrumentation);
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager sccs;
  llvm::ModuleAnalysisManager modules;
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(sccs);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, sccs, modules);
  llvm::OptimizationLevel level = optLevel >= 3   ? llvm::OptimizationLevel::O3
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                                  : llvm::OptimizationLevel::O0;
  // evaluate and predict run the same forward pass; with --threads its
  // parallel regions are outlined into identical functions in each.
  // Merging those first spares optimizing and compiling them twice (LeNet
  // with --threads 2: a tenth of its IR).
  llvm::ModulePassManager merge;
  merge.addPass(llvm::MergeFunctionsPass());
  merge.run(module, modules);
  builder.buildPerModuleDefaultPipeline(level).run(module, modules);
}

LogicalResult lower(ModuleOp module, const CodegenOptions &options,
                    LoweredModule &out) {
  ResolvedTarget resolved = resolve(options);
  const llvm::Triple &triple = resolved.triple;
  const std::string &cpu = resolved.cpu, &features = resolved.features;
  if (!resolved.target)
    return emitError(module.getLoc(), "unknown target '")
           << triple.str() << "': " << resolved.error;
  const llvm::Target *target = resolved.target;
  auto level = options.optLevel >= 3   ? llvm::CodeGenOptLevel::Aggressive
               : options.optLevel == 0 ? llvm::CodeGenOptLevel::None
                                       : llvm::CodeGenOptLevel::Default;
  out.machine.reset(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, level));
  if (!out.machine)
    return emitError(module.getLoc(), "cannot create a target machine for '")
           << triple.str() << "' (cpu '" << cpu << "')";

  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  // Objects compiled with --threads hold OpenMP parallel loops.
  registerOpenMPDialectTranslation(*module.getContext());
  out.module = translateModuleToLLVMIR(module, out.context);
  if (!out.module)
    return emitError(module.getLoc(), "translation to LLVM IR failed");
  out.module->setTargetTriple(triple);
  out.module->setDataLayout(out.machine->createDataLayout());
  // x86 backends default to 256-bit vectors even with AVX-512; the kernels
  // are tiled for the full register width (as clang's
  // -mprefer-vector-width=512), which Zen 4/5 and server Intel run at full
  // rate.
  if (triple.isX86() &&
      out.machine->getMCSubtargetInfo()->checkFeatures("+avx512f"))
    for (llvm::Function &function : *out.module)
      if (!function.isDeclaration())
        function.addFnAttr("prefer-vector-width", "512");
  optimize(*out.module, *out.machine, options.optLevel);
  return success();
}

} // namespace

unsigned vectorRegisterBits(const CodegenOptions &options) {
  ResolvedTarget resolved = resolve(options);
  if (!resolved.target)
    return 128;
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      resolved.target->createMCSubtargetInfo(resolved.triple, resolved.cpu,
                                             resolved.features));
  if (!subtarget || !resolved.triple.isX86())
    return 128; // NEON and the other 128-bit SIMD units
  if (subtarget->checkFeatures("+avx512f"))
    return 512;
  return subtarget->checkFeatures("+avx") ? 256 : 128;
}

LogicalResult emitLLVMIR(ModuleOp module, const CodegenOptions &options,
                         llvm::raw_ostream &os) {
  LoweredModule lowered;
  if (failed(lower(module, options, lowered)))
    return failure();
  lowered.module->print(os, nullptr);
  return success();
}

LogicalResult emitObject(ModuleOp module, const CodegenOptions &options,
                         llvm::raw_ostream &os) {
  LoweredModule lowered;
  if (failed(lower(module, options, lowered)))
    return failure();
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream bufferStream(buffer);
  llvm::legacy::PassManager passes;
  if (lowered.machine->addPassesToEmitFile(passes, bufferStream, nullptr,
                                           llvm::CodeGenFileType::ObjectFile))
    return emitError(module.getLoc(), "the target cannot emit object files");
  passes.run(*lowered.module);
  os.write(buffer.data(), buffer.size());
  return success();
}

} // namespace kiln
