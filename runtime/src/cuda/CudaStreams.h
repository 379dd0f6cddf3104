//===- CudaStreams.h - streams of libkilnrt's CUDA layer ------*- C++ -*-===//
#ifndef KILN_RUNTIME_CUDA_CUDASTREAMS_H
#define KILN_RUNTIME_CUDA_CUDASTREAMS_H

namespace kiln::cuda {

/// The stream the generated functions called on this thread run on.
void *computeStream();
/// A new non-blocking stream, for work beside the compute stream.
void *createStream();
void destroyStream(void *stream);

} // namespace kiln::cuda

#endif // KILN_RUNTIME_CUDA_CUDASTREAMS_H
