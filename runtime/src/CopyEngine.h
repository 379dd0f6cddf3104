//===- CopyEngine.h - batch copies to the device, as a pipeline sees them -*- C++ -*-===//
//
// The few operations BatchPrefetcher needs from a GPU: per slot, a host
// buffer to gather a batch into (page-locked on CUDA), a device buffer the
// step reads, an asynchronous copy between them on a stream of its own, and
// the events that order that copy against the steps on the compute stream.
// cuda/CudaCopyEngine.cpp implements it; the unit tests use a fake that
// checks the ordering.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_COPYENGINE_H
#define KILN_RUNTIME_COPYENGINE_H

#include <cstddef>

namespace kiln {

/// A slot's buffers: inputs and labels of one batch, host and device side.
struct SlotBuffers {
  float *hostX;
  void *hostY;
  const float *deviceX;
  const void *deviceY;
};

class CopyEngine {
public:
  virtual ~CopyEngine() = default;
  /// The buffers of `slot`, each big enough for a whole batch.
  virtual SlotBuffers buffers(int slot) = 0;
  /// Queues the copy of the first xBytes and yBytes of the slot's host
  /// buffers to its device buffers, to start once the compute work that
  /// last read them (releaseAfterCompute) is done; returns at once.
  virtual void copyToDevice(int slot, size_t xBytes, size_t yBytes) = 0;
  /// Blocks until the slot's last copy is done, so that its host buffers
  /// may be refilled.
  virtual void waitCopied(int slot) = 0;
  /// Compute work queued from now on starts after the slot's last copy.
  virtual void computeWaitsFor(int slot) = 0;
  /// The compute work queued so far is the last to read the slot's device
  /// buffers before its next copy.
  virtual void releaseAfterCompute(int slot) = 0;
};

} // namespace kiln

#endif // KILN_RUNTIME_COPYENGINE_H
