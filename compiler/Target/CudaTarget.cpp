//===- CudaTarget.cpp - PTX, translations and header of the CUDA target ---===//
#include "Target/CudaTarget.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace mlir;

namespace kiln {

void registerCudaTargetExtensions(DialectRegistry &registry) {
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerAllToLLVMIRTranslations(registry);
}

std::string findCudaToolkit() {
  auto hasPtxas = [](llvm::StringRef dir) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, "bin", "ptxas");
    return !dir.empty() && llvm::sys::fs::can_execute(path);
  };
  for (const char *env : {"KILN_CUDA_TOOLKIT", "CUDA_HOME", "CUDA_PATH"})
    if (const char *dir = std::getenv(env); dir && hasPtxas(dir))
      return dir;
  if (auto ptxas = llvm::sys::findProgramByName("ptxas")) {
    // <toolkit>/bin/ptxas
    llvm::StringRef dir = llvm::sys::path::parent_path(
        llvm::sys::path::parent_path(*ptxas));
    if (hasPtxas(dir))
      return dir.str();
  }
  if (hasPtxas("/usr/local/cuda"))
    return "/usr/local/cuda";
  return "";
}

LogicalResult emitPTX(ModuleOp module, llvm::raw_ostream &os) {
  bool any = false;
  WalkResult result = module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      if (!object || object.getFormat() != gpu::CompilationTarget::Assembly) {
        binary.emitError("gpu.binary holds no PTX (serialize with format=isa)");
        return WalkResult::interrupt();
      }
      os << "// kiln: gpu.binary @" << binary.getSymName() << "\n"
         << object.getObject().getValue();
      any = true;
    }
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return failure();
  if (!any)
    return emitError(module.getLoc(), "no GPU kernels in the module");
  return success();
}

std::string amendHeaderForCuda(llvm::StringRef header, llvm::StringRef model,
                               llvm::StringRef chip) {
  std::string upper;
  for (char c : model)
    upper += std::isalnum((unsigned char)c) ? (char)std::toupper(c) : '_';
  std::string notes;
  llvm::raw_string_ostream os(notes);
  os << "/* CUDA target (" << chip << "): the functions run on the GPU.\n"
     << " * `state` is a DEVICE pointer to " << upper
     << "_STATE_SIZE bytes, e.g. from\n"
     << " * kiln_cuda_malloc() in <kiln/cuda.h>; parameters and optimizer\n"
     << " * slots stay on the device between calls. x and y may be HOST or\n"
     << " * DEVICE pointers (libkilnrt's loop passes device copies it made\n"
     << " * while the previous step ran; pinned host memory from\n"
     << " * kiln_cuda_host_alloc() copies fastest); logits are HOST pointers.\n"
     << " * Inputs are copied on the call's stream, and each call returns once\n"
     << " * its results (the loss, the logits) are on the host. Link with\n"
     << " * libkilnrt, which loads libcuda.so.1 at run time. */\n"
     << "#define " << upper << "_TARGET_CUDA 1\n"
     << "/* Copies the whole device state to/from a host buffer of "
     << upper << "_STATE_SIZE\n * bytes (checkpoints, inspection). */\n"
     << "void " << model << "_state_to_host(const void *state, void *host);\n"
     << "void " << model
     << "_state_from_host(void *state, const void *host);\n\n";
  std::string text = header.str();
  size_t at = text.find("#ifdef KILN_MODEL_H");
  if (at == std::string::npos)
    at = text.rfind("#ifdef __cplusplus");
  if (at == std::string::npos)
    return text + notes;
  text.insert(at, notes);
  return text;
}

} // namespace kiln
