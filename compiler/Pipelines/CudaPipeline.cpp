//===- CudaPipeline.cpp - Linalg on tensors to host LLVM + GPU kernels ----===//
//
// The CUDA counterpart of addCpuLoweringPasses. From the linalg stage:
//   state ABI, elementwise fusion, convolutions and other contractions as
//   gathers + matmuls (kiln-gpu-im2col), splat constants as fills,
//   bufferization;
//   buffers placed on the device (kiln-gpu-place-buffers);
//   matmul-like contractions as shared-memory tiled kernels with FMA
//   (kiln-gpu-tile-matmul); long reductions as two-stage shared-memory
//   tree reductions (kiln-gpu-parallel-reductions); everything else through parallel loops tiled
//   for 256-thread blocks and mapped to the grid (innermost dimension on x);
//   kernel outlining; the host code made async on one stream, so a call
//   synchronizes once, at its end, to return the loss/logits;
//   NVVM, PTX (or a fatbin with cubin + PTX when ptxas is found), embedded
//   in the host module as a gpu.binary; host LLVM dialect with the same
//   public C wrappers as the CPU target plus state copy helpers.
//
//===----------------------------------------------------------------------===//
#include "Pipelines/Pipelines.h"

#include "Transforms/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

#include <mutex>

using namespace mlir;

namespace kiln {

static void registerCudaPassesOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::registerAllPasses();
    registerKilnPasses();
  });
}

static LogicalResult parseInto(OpPassManager &pm, StringRef pipeline) {
  return parsePassPipeline(pipeline, pm, llvm::errs());
}

/// Everything from linalg to outlined kernels. `model`: the module holds
/// the training functions of a .kiln model (state ABI first); otherwise its
/// public functions take device buffers as they are (kernel libraries such
/// as the matmul benchmark of test/gpu).
static LogicalResult addKernelPasses(OpPassManager &pm, bool model) {
  registerCudaPassesOnce();
  if (failed(parseInto(
          pm, std::string(model ? "kiln-state-abi,canonicalize," : "") +
                  "linalg-fuse-elementwise-ops,eliminate-empty-tensors,"
                  "canonicalize,cse,kiln-gpu-im2col,kiln-gpu-splat-to-fill,"
                  "one-shot-bufferize{bufferize-function-boundaries "
                  "function-boundary-type-conversion=identity-layout-map},"
                  "buffer-deallocation-pipeline,canonicalize,"
                  "convert-bufferization-to-memref,kiln-gpu-place-buffers")))
    return failure();
  pm.addPass(createGpuTileMatmul());
  pm.addPass(createGpuParallelReductions());
  return parseInto(pm, "convert-linalg-to-parallel-loops,"
                       "kiln-gpu-map-host-code,"
                       "func.func(gpu-map-parallel-loops{mapping-policy=innermost-first}),"
                       "convert-parallel-loops-to-gpu,canonicalize,cse,"
                       "gpu-launch-sink-index-computations,"
                       "gpu-kernel-outlining,kiln-gpu-merge-kernel-modules,"
                       "gpu.module(kiln-gpu-align-workgroup-buffers),"
                       "lower-affine,"
                       "func.func(gpu-async-region)");
}

static LogicalResult addLowering(OpPassManager &pm, const CudaOptions &options,
                                 bool model) {
  if (failed(addKernelPasses(pm, model)))
    return failure();
  std::string format = options.format.empty() ? "isa" : options.format;
  std::string toolkit =
      options.toolkitPath.empty() ? "" : " toolkit=" + options.toolkitPath;
  return parseInto(
      pm,
      llvm::formatv(
          "nvvm-attach-target{{chip={0} O=3},"
          "convert-scf-to-cf,expand-strided-metadata,lower-affine,"
          "gpu.module(convert-gpu-to-nvvm,canonicalize,cse,"
          "reconcile-unrealized-casts),"
          "convert-math-to-llvm,finalize-memref-to-llvm,"
          "convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,"
          "convert-func-to-llvm,gpu-to-llvm,convert-ub-to-llvm,"
          "reconcile-unrealized-casts,"
          "gpu-module-to-binary{{format={1}{2}}{3}",
          options.chip, format, toolkit,
          model ? ",kiln-emit-c-interface,kiln-cuda-state-helpers,"
                  "kiln-embed-manifest{target=cuda}"
                : "")
          .str());
}

LogicalResult addCudaKernelPasses(OpPassManager &pm) {
  return addKernelPasses(pm, /*model=*/true);
}

LogicalResult addCudaLoweringPasses(OpPassManager &pm,
                                    const CudaOptions &options) {
  return addLowering(pm, options, /*model=*/true);
}

namespace {
struct CudaLibraryOptions : PassPipelineOptions<CudaLibraryOptions> {
  Option<std::string> chip{*this, "chip", llvm::cl::desc("GPU chip"),
                           llvm::cl::init("sm_80")};
  Option<std::string> format{*this, "format",
                             llvm::cl::desc("isa (PTX) or fatbin"),
                             llvm::cl::init("isa")};
  Option<std::string> toolkit{*this, "toolkit",
                              llvm::cl::desc("CUDA toolkit path"),
                              llvm::cl::init("")};
};
} // namespace

void registerKilnCudaPipelines() {
  registerCudaPassesOnce();
  PassPipelineRegistration<>(
      "kiln-cuda-kernels",
      "Linalg training functions to outlined GPU kernels and async host "
      "code (before NVVM)",
      [](OpPassManager &pm) { (void)addCudaKernelPasses(pm); });
  PassPipelineRegistration<>(
      "kiln-cuda-pipeline",
      "Linalg training functions to host LLVM dialect with embedded PTX "
      "(sm_80)",
      [](OpPassManager &pm) {
        CudaOptions options;
        (void)addCudaLoweringPasses(pm, options);
      });
  PassPipelineRegistration<CudaLibraryOptions>(
      "kiln-cuda-library-pipeline",
      "Public functions on linalg (tensors or device memrefs) to host LLVM "
      "dialect with embedded kernels (no model state ABI)",
      [](OpPassManager &pm, const CudaLibraryOptions &o) {
        CudaOptions options;
        options.chip = o.chip;
        options.format = o.format;
        options.toolkitPath = o.toolkit;
        (void)addLowering(pm, options, /*model=*/false);
      });
}

} // namespace kiln
