//===- CudaPasses.h - Passes of the CUDA pipeline -------------------------===//
//
// The passes that place a model's buffers on the GPU and map its linalg
// work onto kernels. They are written with PassWrapper (not Passes.td) so
// the CUDA target stays in its own files; CudaPipeline.cpp registers them
// with kiln-opt.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGET_CUDAPASSES_H
#define KILN_TARGET_CUDAPASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace kiln {

/// kiln-gpu-splat-to-fill: splat tensor constants become linalg.fill of
/// tensor.empty, so they live in device buffers instead of host globals.
std::unique_ptr<mlir::Pass> createGpuSplatToFillPass();

/// kiln-gpu-im2col (CudaIm2Col.cpp): on tensors, convolutions, their
/// gradients and other contractions of more than three loops become an
/// all-parallel gather of each factor into a matrix and a linalg.matmul,
/// so they run as tiled shared-memory matmul kernels.
std::unique_ptr<mlir::Pass> createGpuIm2ColPass();
void registerGpuIm2ColPass();

/// kiln-gpu-place-buffers: on bufferized impl functions, memref.alloc and
/// dealloc become gpu.alloc/gpu.dealloc, host inputs/labels are copied to
/// device buffers at entry and outputs (loss, logits) back at exit,
/// constant globals are copied to the device, memref.copy becomes
/// gpu.memcpy or linalg.copy. The state argument is a device pointer.
std::unique_ptr<mlir::Pass> createGpuPlaceBuffersPass();

/// kiln-gpu-tile-matmul: moves reduction loops of every linalg.generic
/// innermost, and turns f32 matmul-like contractions into gpu.launch
/// kernels that stage A/B tiles in workgroup (shared) memory and
/// accumulate a register tile per thread with FMA.
std::unique_ptr<mlir::Pass> createGpuTileMatmulPass();

/// kiln-gpu-parallel-reductions (CudaReductions.cpp): linalg reductions
/// over a long or dynamic extent (full reductions to a scalar, like the L2
/// penalty or a global norm, and long rows) become two-stage kernels: many
/// blocks each fold a chunk with a shared-memory tree, a second kernel folds
/// their partials in a fixed order (deterministic).
std::unique_ptr<mlir::Pass> createGpuParallelReductionsPass();
void registerGpuParallelReductionsPass();

/// kiln-gpu-map-host-code: after convert-linalg-to-parallel-loops, wraps
/// host-side memory accesses (0-d results, scalar loops) in one-thread
/// gpu.launch ops, sinks device loads into the kernels that use them, and
/// collapses every top-level scf.parallel into one dimension tiled for
/// 256-thread blocks.
std::unique_ptr<mlir::Pass> createGpuMapHostCodePass();

/// kiln-gpu-merge-kernel-modules: all outlined kernels in one gpu.module
/// named <model>_kernels (one PTX module per model), identical ones once.
std::unique_ptr<mlir::Pass> createGpuMergeKernelModulesPass();

/// kiln-cuda-state-helpers (LLVM dialect): adds <model>_state_to_host and
/// <model>_state_from_host, which copy the device state through libkilnrt.
std::unique_ptr<mlir::Pass> createCudaStateHelpersPass();

void registerCudaPasses();

} // namespace kiln

#endif // KILN_TARGET_CUDAPASSES_H
