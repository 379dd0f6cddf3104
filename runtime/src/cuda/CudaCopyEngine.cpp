//===- CudaCopyEngine.cpp - CopyEngine over the CUDA driver ---------------===//
//
// Each slot: one page-locked host buffer and one device buffer, inputs
// first and labels at a 256-byte aligned offset; a `copied` event recorded
// on the copy stream after the slot's copy and a `released` event recorded
// on the compute stream after the last step that read it.
//
//===----------------------------------------------------------------------===//
#include "cuda/CudaCopyEngine.h"
#include "cuda/CudaStreams.h"

#include "kiln/cuda.h"

#include <cstdint>
#include <vector>

using namespace kiln;

namespace {

class CudaCopyEngine final : public CopyEngine {
public:
  CudaCopyEngine(int slotCount, size_t xBytes, size_t yBytes)
      : yOffset((xBytes + 255) / 256 * 256), copyStream(cuda::createStream()) {
    for (int i = 0; i < slotCount; ++i) {
      Slot slot;
      slot.host = static_cast<char *>(kiln_cuda_host_alloc(yOffset + yBytes));
      slot.device = static_cast<char *>(kiln_cuda_malloc(yOffset + yBytes));
      slot.copied = mgpuEventCreate();
      slot.released = mgpuEventCreate();
      slots.push_back(slot);
    }
  }

  ~CudaCopyEngine() override {
    // kiln_cuda_free waits for all queued work first.
    for (Slot &slot : slots) {
      kiln_cuda_free(slot.device);
      kiln_cuda_host_free(slot.host);
      mgpuEventDestroy(slot.copied);
      mgpuEventDestroy(slot.released);
    }
    cuda::destroyStream(copyStream);
  }

  SlotBuffers buffers(int i) override {
    Slot &slot = slots[i];
    return {reinterpret_cast<float *>(slot.host), slot.host + yOffset,
            reinterpret_cast<const float *>(slot.device),
            slot.device + yOffset};
  }

  void copyToDevice(int i, size_t xBytes, size_t yBytes) override {
    Slot &slot = slots[i];
    mgpuStreamWaitEvent(copyStream, slot.released);
    mgpuMemcpy(slot.device, slot.host, xBytes, copyStream);
    mgpuMemcpy(slot.device + yOffset, slot.host + yOffset, yBytes, copyStream);
    mgpuEventRecord(slot.copied, copyStream);
  }

  void waitCopied(int i) override { mgpuEventSynchronize(slots[i].copied); }

  void computeWaitsFor(int i) override {
    mgpuStreamWaitEvent(cuda::computeStream(), slots[i].copied);
  }

  void releaseAfterCompute(int i) override {
    mgpuEventRecord(slots[i].released, cuda::computeStream());
  }

private:
  struct Slot {
    char *host, *device;
    void *copied, *released;
  };
  size_t yOffset;
  void *copyStream;
  std::vector<Slot> slots;
};

} // namespace

std::unique_ptr<CopyEngine> kiln::createCudaCopyEngine(int slots, size_t xBytes,
                                                       size_t yBytes) {
  return std::make_unique<CudaCopyEngine>(slots, xBytes, yBytes);
}
