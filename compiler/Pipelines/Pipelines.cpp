//===- Pipelines.cpp - Named pass pipelines of the Kiln compiler ---------===//
#include "Pipelines/Pipelines.h"

#include "Transforms/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

#include <mutex>

using namespace mlir;

namespace kiln {

/// Upstream passes are named in textual pipelines, so they must be in the
/// registry before any pipeline is parsed.
static void registerPassesOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::registerAllPasses();
    registerKilnPasses();
  });
}

static LogicalResult addPipeline(OpPassManager &pm, const Twine &pipeline) {
  registerPassesOnce();
  return parsePassPipeline(pipeline.str(), pm, llvm::errs());
}

LogicalResult addTrainingPasses(OpPassManager &pm) {
  return addPipeline(pm, "kiln-generate-training,canonicalize,cse");
}

LogicalResult addLinalgPasses(OpPassManager &pm) {
  return addPipeline(pm, "kiln-to-linalg,canonicalize,cse");
}

LogicalResult addCpuLoweringPasses(OpPassManager &pm,
                                   const CpuOptions &options) {
  // The state ABI comes first so bufferization sees the in-place contract
  // (restrict/writable views of the state) of every function.
  std::string vectorize = llvm::formatv(
      "kiln-vectorize-contractions{{tile-m={0} tile-n={1}},"
      // The C tile of each product stays in registers across the K loop.
      "loop-invariant-subset-hoisting,",
      options.tileM,
      options.tileN);
  // Convolutions as direct kernels with the matmul's register tile, and
  // products with a large transposed operand computed transposed.
  std::string kernels =
      llvm::formatv("kiln-pad-guarded-gathers,"
                    "kiln-vectorize-convolutions{{tile-m={0} tile-n={1}},"
                    "kiln-transpose-products,",
                    options.tileM, options.tileN);
  return addPipeline(
      pm,
      "kiln-state-abi,canonicalize,"
          // Named ops (fill, convolution, pooling) as generics, so the
          // loop-order pass makes their inner loops unit-stride too.
          "linalg-generalize-named-ops," +
          kernels + "linalg-fuse-elementwise-ops," + vectorize +
          "kiln-vectorizable-loop-order,eliminate-empty-tensors,canonicalize,"
          "cse,"
          "one-shot-bufferize{bufferize-function-boundaries "
          "function-boundary-type-conversion=identity-layout-map},"
          "buffer-deallocation-pipeline,canonicalize,"
          "convert-linalg-to-loops,convert-vector-to-scf,"
          "convert-bufferization-to-memref,expand-strided-metadata,"
          "lower-affine,convert-scf-to-cf,"
          "convert-vector-to-llvm{vector-contract-lowering=outerproduct},"
          "convert-math-to-llvm,finalize-memref-to-llvm,convert-arith-to-llvm,"
          "convert-index-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,"
          "convert-ub-to-llvm,reconcile-unrealized-casts,kiln-emit-c-interface,"
          "kiln-embed-manifest{target=cpu}");
}

void registerKilnPipelines() {
  registerPassesOnce();
  registerKilnCudaPipelines();
  PassPipelineRegistration<>(
      "kiln-cpu-pipeline",
      "Training functions in the kiln dialect to the LLVM dialect (CPU)",
      [](OpPassManager &pm) {
        (void)addLinalgPasses(pm);
        (void)addCpuLoweringPasses(pm);
      });
  PassPipelineRegistration<>(
      "kiln-train-pipeline",
      "@forward in the kiln dialect to the LLVM dialect (CPU)",
      [](OpPassManager &pm) {
        (void)addTrainingPasses(pm);
        (void)addLinalgPasses(pm);
        (void)addCpuLoweringPasses(pm);
      });
}

} // namespace kiln
