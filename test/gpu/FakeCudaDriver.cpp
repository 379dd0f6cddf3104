//===- FakeCudaDriver.cpp - a libcuda.so.1 stand-in for tests -------------===//
//
// Loaded by libkilnrt through KILN_CUDA_DRIVER in CudaPrefetchTest.cpp: the
// driver calls libkilnrt's CUDA layer makes for batch prefetching, on a
// machine without a GPU. "Device" memory is host memory (so a host-side
// fake model can read what a step would), every copy runs when it is
// issued, and streams and events are tokens. Copies, event records and
// stream waits are logged, so a test can ask whether a step's compute
// stream waited for the copy of the buffer it reads. Kernels and modules
// are not supported (the tests' models are host code).
//
//===----------------------------------------------------------------------===//
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long;
constexpr CUresult kSuccess = 0, kNotSupported = 801;

enum class Kind { Copy, Record, Wait };
struct Event {
  Kind kind;
  const void *stream;
  const void *token; // Copy: destination; Record, Wait: the event
  size_t bytes;      // Copy only
};

std::mutex mutex;
std::vector<Event> history;
std::map<uintptr_t, size_t> deviceBlocks; // start -> bytes

void *token() { return std::malloc(1); }

bool inDevice(uintptr_t p, size_t bytes) {
  auto it = deviceBlocks.upper_bound(p);
  if (it == deviceBlocks.begin())
    return false;
  --it;
  return p + bytes <= it->first + it->second;
}

} // namespace

extern "C" {

CUresult cuInit(unsigned) { return kSuccess; }
CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return kSuccess;
}
CUresult cuDeviceGet(int *device, int) {
  *device = 0;
  return kSuccess;
}
CUresult cuDeviceGetName(char *name, int length, int) {
  std::snprintf(name, size_t(length), "fake GPU");
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRetain(void **context, int) {
  static int theContext;
  *context = &theContext;
  return kSuccess;
}
CUresult cuCtxSetCurrent(void *) { return kSuccess; }
CUresult cuCtxSynchronize() { return kSuccess; }
CUresult cuGetErrorString(CUresult, const char **text) {
  *text = "not supported by the fake driver";
  return kSuccess;
}
CUresult cuModuleLoadData(void **, const void *) { return kNotSupported; }
CUresult cuModuleLoadDataEx(void **, const void *, unsigned, int *, void **) {
  return kNotSupported;
}
CUresult cuModuleUnload(void *) { return kSuccess; }
CUresult cuModuleGetFunction(void **, void *, const char *) { return kNotSupported; }
CUresult cuFuncSetAttribute(void *, int, int) { return kNotSupported; }
CUresult cuLaunchKernel(void *, unsigned, unsigned, unsigned, unsigned, unsigned,
                        unsigned, unsigned, void *, void **, void **) {
  return kNotSupported;
}

CUresult cuStreamCreate(void **stream, unsigned) {
  *stream = token();
  return kSuccess;
}
CUresult cuStreamDestroy_v2(void *stream) {
  std::free(stream);
  return kSuccess;
}
CUresult cuStreamSynchronize(void *) { return kSuccess; }
CUresult cuStreamWaitEvent(void *stream, void *event, unsigned) {
  std::lock_guard<std::mutex> lock(mutex);
  history.push_back({Kind::Wait, stream, event, 0});
  return kSuccess;
}
CUresult cuEventCreate(void **event, unsigned) {
  *event = token();
  return kSuccess;
}
CUresult cuEventDestroy_v2(void *event) {
  std::free(event);
  return kSuccess;
}
CUresult cuEventSynchronize(void *) { return kSuccess; }
CUresult cuEventRecord(void *event, void *stream) {
  std::lock_guard<std::mutex> lock(mutex);
  history.push_back({Kind::Record, stream, event, 0});
  return kSuccess;
}

CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  // The driver's allocations are 256-byte aligned (model state needs 64).
  size_t rounded = (bytes + 255) / 256 * 256;
  void *block = std::aligned_alloc(256, rounded ? rounded : 256);
  std::memset(block, 0, rounded);
  std::lock_guard<std::mutex> lock(mutex);
  deviceBlocks[uintptr_t(block)] = bytes;
  *pointer = CUdeviceptr(uintptr_t(block));
  return kSuccess;
}
CUresult cuMemFree_v2(CUdeviceptr pointer) {
  std::lock_guard<std::mutex> lock(mutex);
  deviceBlocks.erase(uintptr_t(pointer));
  std::free(reinterpret_cast<void *>(uintptr_t(pointer)));
  return kSuccess;
}
CUresult cuMemAllocHost_v2(void **pointer, size_t bytes) {
  *pointer = std::malloc(bytes);
  return kSuccess;
}
CUresult cuMemFreeHost(void *pointer) {
  std::free(pointer);
  return kSuccess;
}
CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t bytes) {
  std::memcpy(reinterpret_cast<void *>(uintptr_t(dst)),
              reinterpret_cast<const void *>(uintptr_t(src)), bytes);
  return kSuccess;
}
CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void *stream) {
  cuMemcpy(dst, src, bytes);
  std::lock_guard<std::mutex> lock(mutex);
  history.push_back(
      {Kind::Copy, stream, reinterpret_cast<const void *>(uintptr_t(dst)), bytes});
  return kSuccess;
}
CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char value, size_t count) {
  std::memset(reinterpret_cast<void *>(uintptr_t(dst)), value, count);
  return kSuccess;
}
CUresult cuMemsetD16Async(CUdeviceptr, unsigned short, size_t, void *) {
  return kNotSupported;
}
CUresult cuMemsetD32Async(CUdeviceptr, unsigned, size_t, void *) {
  return kNotSupported;
}

/// For the tests: whether [p, p + bytes) lies in one device allocation.
int fake_cuda_is_device(const void *p, size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex);
  return inDevice(uintptr_t(p), bytes);
}

/// For the tests: whether work queued on `stream` now would start after the
/// last copy that wrote [p, p + bytes): that copy's stream recorded an event
/// after it, and `stream` waited for that record since (on `stream` itself,
/// stream order does it).
int fake_cuda_stream_sees_copy(const void *stream, const void *p, size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex);
  uintptr_t begin = uintptr_t(p), end = begin + bytes;
  size_t copy = history.size();
  for (size_t i = history.size(); i-- > 0;) {
    const Event &e = history[i];
    uintptr_t dst = uintptr_t(e.token);
    if (e.kind == Kind::Copy && dst < end && begin < dst + e.bytes) {
      copy = i;
      break;
    }
  }
  if (copy == history.size())
    return 0;
  if (history[copy].stream == stream)
    return 1;
  for (size_t r = copy + 1; r < history.size(); ++r) {
    const Event &record = history[r];
    if (record.kind != Kind::Record || record.stream != history[copy].stream)
      continue;
    // The first record after the copy covers it; a later record of the
    // same event would not be the one waited for.
    for (size_t w = r + 1; w < history.size(); ++w) {
      const Event &e = history[w];
      if (e.kind == Kind::Record && e.token == record.token)
        break;
      if (e.kind == Kind::Wait && e.stream == stream && e.token == record.token)
        return 1;
    }
    return 0;
  }
  return 0;
}

/// For the tests: copies logged on `stream` so far.
int64_t fake_cuda_copies_on(const void *stream) {
  std::lock_guard<std::mutex> lock(mutex);
  int64_t count = 0;
  for (const Event &e : history)
    count += e.kind == Kind::Copy && e.stream == stream;
  return count;
}

} // extern "C"
