//===- Pipelines.cpp - Named pass pipelines of the Kiln compiler ---------===//
#include "Pipelines/Pipelines.h"

#include "Pipelines/PassSwitches.h"
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
  if (std::optional<std::string> error =
          checkDisabledPasses(options.disabledPasses)) {
    llvm::errs() << "error: " << *error << "\n";
    return failure();
  }
  // An optimization pass, followed by a comma, unless it is disabled.
  auto optional = [&](StringRef name, const Twine &text = "") {
    if (llvm::is_contained(options.disabledPasses, name))
      return std::string();
    return (text.isTriviallyEmpty() ? name : text).str() + ",";
  };
  bool threads = options.threads > 1;
  // Convolutions as direct kernels with the matmul's register tile, and
  // products with a large transposed operand computed transposed. They run
  // on each thread's chunk; the input gradient's padded copy
  // (kiln-pad-guarded-gathers) is made before the split, as a chunk of the
  // guarded gather would not match it.
  std::string kernels =
      optional("kiln-vectorize-convolutions",
               llvm::formatv("kiln-vectorize-convolutions{{tile-m={0} "
                             "tile-n={1}}",
                             options.tileM, options.tileN)) +
      optional("kiln-transpose-products");
  // The state ABI comes first so bufferization sees the in-place contract
  // (restrict/writable views of the state) of every function.
  return addPipeline(
      pm,
      "kiln-state-abi,canonicalize,"
          // Named ops (fill, convolution, pooling) as generics, so the
          // loop-order pass makes their inner loops unit-stride too.
          "linalg-generalize-named-ops," +
          optional("kiln-pad-guarded-gathers") +
          optional("linalg-fuse-elementwise-ops") +
          optional("kiln-fuse-epilogues") +
          // Split before register tiling, so each chunk is tiled whole, and
          // after the state updates write the state (eliminate-empty-tensors)
          // so a chunk can update its slice in place.
          (threads ? "eliminate-empty-tensors," +
                         optional("kiln-parallelize-loops",
                              llvm::formatv("kiln-parallelize-loops{{threads={0}}",
                                            options.threads))
                   : "") +
          optional("kiln-fuse-row-reductions") +
          kernels +
          optional("kiln-vectorize-contractions",
                   llvm::formatv("kiln-vectorize-contractions{{tile-m={0} "
                                 "tile-n={1}}",
                                 options.tileM, options.tileN)) +
          // The C tile of each product stays in registers across the K loop.
          optional("kiln-hoist-register-tiles") +
          optional("kiln-vectorizable-loop-order") +
          "eliminate-empty-tensors,canonicalize,cse,"
          "one-shot-bufferize{bufferize-function-boundaries "
          "function-boundary-type-conversion=identity-layout-map}," +
          optional("kiln-plan-arena") +
          (threads ? "scf-forall-to-parallel," : "") +
          "buffer-deallocation-pipeline,canonicalize," +
          // Each chunked loop becomes an OpenMP parallel loop with a static
          // schedule (chunk i on thread i).
          // (cse first: the copies of each chunk onto itself fold away; the
          // canonicalize after inlines the loop bodies' alloca scopes).
          (threads ? llvm::formatv("cse,canonicalize,convert-scf-to-openmp{{"
                                   "num-threads={0}},canonicalize,",
                                   options.threads)
                         .str()
                   : "") +
          // Strided copies as loops: the object must not need memrefCopy.
          "kiln-strided-copies-to-loops,"
          "convert-linalg-to-loops,convert-vector-to-scf{full-unroll=true},"
          "convert-bufferization-to-memref,expand-strided-metadata,"
          "lower-affine,convert-scf-to-cf,"
          "convert-vector-to-llvm{vector-contract-lowering=outerproduct},"
          "convert-math-to-llvm,finalize-memref-to-llvm,convert-arith-to-llvm,"
          "convert-index-to-llvm,convert-cf-to-llvm,convert-func-to-llvm," +
          (threads ? "convert-openmp-to-llvm," : "") +
          "convert-ub-to-llvm,reconcile-unrealized-casts," +
          (options.hugePages ? "kiln-emit-c-interface{huge-pages=1},"
                             : "kiln-emit-c-interface,") +
          (options.lineTables ? "ensure-debug-info-scope-on-llvm-func{"
                                "emission-kind=LineTablesOnly},"
                              : "") +
          llvm::formatv("kiln-embed-manifest{{target=cpu threads={0}}",
                        options.threads)
              .str());
}

namespace {
/// kiln-opt's options of the CPU pipelines, e.g.
/// `--kiln-train-pipeline="threads=2 disable-pass=kiln-vectorize-contractions"`.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<int64_t> threads{*this, "threads",
                          llvm::cl::desc("OpenMP team size (1: no threads)"),
                          llvm::cl::init(1)};
  ListOption<std::string> disablePass{
      *this, "disable-pass",
      llvm::cl::desc("optimization passes to leave out")};
};
} // namespace

/// Registers `name` as a kiln-opt pipeline whose CPU options come from the
/// command line; a bad option or pass name fails the pipeline's parsing.
static void registerCpuPipeline(StringRef name, StringRef description,
                                bool withTraining) {
  registerPassPipeline(
      name, description,
      [=](OpPassManager &pm, StringRef text,
          function_ref<LogicalResult(const Twine &)> errorHandler) {
        auto parsed = CpuPipelineOptions::createFromString(text);
        if (!parsed)
          return errorHandler("cannot parse the options '" + text + "'");
        CpuOptions options;
        options.threads = parsed->threads;
        options.disabledPasses.assign(parsed->disablePass.begin(),
                                      parsed->disablePass.end());
        if (std::optional<std::string> error =
                checkDisabledPasses(options.disabledPasses))
          return errorHandler(*error);
        if (withTraining && failed(addTrainingPasses(pm)))
          return failure();
        if (failed(addLinalgPasses(pm)))
          return failure();
        return addCpuLoweringPasses(pm, options);
      },
      [](function_ref<void(const detail::PassOptions &)> printOptions) {
        printOptions(CpuPipelineOptions());
      });
}

void registerKilnPipelines() {
  registerPassesOnce();
  registerKilnCudaPipelines();
  registerCpuPipeline(
      "kiln-cpu-pipeline",
      "Training functions in the kiln dialect to the LLVM dialect (CPU)",
      /*withTraining=*/false);
  registerCpuPipeline("kiln-train-pipeline",
                      "@forward in the kiln dialect to the LLVM dialect (CPU)",
                      /*withTraining=*/true);
}

} // namespace kiln
