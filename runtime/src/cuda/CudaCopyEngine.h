//===- CudaCopyEngine.h - CopyEngine over the CUDA driver -----*- C++ -*-===//
#ifndef KILN_RUNTIME_CUDA_CUDACOPYENGINE_H
#define KILN_RUNTIME_CUDA_CUDACOPYENGINE_H

#include "CopyEngine.h"

#include <memory>

namespace kiln {

/// `slots` slots of xBytes + yBytes, page-locked on the host and on the
/// device; copies on a stream of their own, ordered against the calling
/// thread's compute stream (the one the generated functions run on) with
/// events. Without a GPU, exits with libkilnrt's one-line message.
std::unique_ptr<CopyEngine> createCudaCopyEngine(int slots, size_t xBytes,
                                                 size_t yBytes);

} // namespace kiln

#endif // KILN_RUNTIME_CUDA_CUDACOPYENGINE_H
