//===- CudaRuntime.cpp - libkilnrt's CUDA layer (driver API via dlopen) ---===//
//
// Objects from `kilnc --target=cuda` call the mgpu* functions (MLIR's GPU
// runtime ABI) and kiln_cuda_copy. Everything goes through the CUDA driver
// API, resolved from libcuda.so.1 with dlopen on first use: libkilnrt has no
// link-time CUDA dependency and keeps working on machines without a GPU.
//
// Design points:
//  - Module loads run from the objects' global constructors: they only
//    record the blob; the driver is touched when a kernel is first looked
//    up, so a program that links a CUDA object but never calls it runs on a
//    CPU-only machine.
//  - One non-blocking stream per thread, reused by every call (the generated
//    code "creates" and "destroys" a stream per call); each call ends with
//    one stream synchronization, for the loss/logits.
//  - Temporaries use the stream-ordered allocator (cuMemAllocAsync) with a
//    pool that keeps its memory, so steady-state steps do not allocate.
//  - Without a driver or device: `kiln: no CUDA device available (...)` on
//    stderr, exit status 1.
//
//===----------------------------------------------------------------------===//
#include "kiln/cuda.h"
#include "cuda/CudaStreams.h"

#include <dlfcn.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace {

// The few driver API types and constants used here (no cuda.h needed).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUmemoryPool = struct CUmemPoolHandle_st *;
constexpr CUresult CUDA_SUCCESS = 0;
constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
constexpr int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
constexpr int CU_JIT_OPTIMIZATION_LEVEL = 7;
constexpr int CU_MEMPOOL_ATTR_RELEASE_THRESHOLD = 4;
constexpr unsigned CU_EVENT_DISABLE_TIMING = 2;

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, unsigned, CUstream,
                             void **, void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventDestroy)(CUevent);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t, CUstream); // optional
  CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream);            // optional
  CUresult (*cuDeviceGetDefaultMemPool)(CUmemoryPool *, CUdevice); // optional
  CUresult (*cuMemPoolSetAttribute)(CUmemoryPool, int, void *);    // optional
  CUresult (*cuMemAllocHost)(void **, size_t);
  CUresult (*cuMemFreeHost)(void *);
  CUresult (*cuMemcpy)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);

  bool ready = false;
  std::string whyNot; // the reason when !ready
  CUdevice device = 0;
  CUcontext context = nullptr;
  char name[256] = "";
};

Driver &driver() {
  static Driver d;
  static std::once_flag once;
  std::call_once(once, [] {
    const char *path = std::getenv("KILN_CUDA_DRIVER");
    if (!path || !*path)
      path = "libcuda.so.1";
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char *error = dlerror();
      d.whyNot = std::string("cannot load ") + path + ": " +
                 (error ? error : "unknown error");
      return;
    }
    bool missing = false;
    std::string missingName;
    auto bind = [&](auto &fn, const char *name, bool required = true) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(lib, name));
      if (!fn && required && !missing) {
        missing = true;
        missingName = name;
      }
    };
    bind(d.cuInit, "cuInit");
    bind(d.cuDeviceGetCount, "cuDeviceGetCount");
    bind(d.cuDeviceGet, "cuDeviceGet");
    bind(d.cuDeviceGetName, "cuDeviceGetName");
    bind(d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    bind(d.cuCtxSetCurrent, "cuCtxSetCurrent");
    bind(d.cuCtxSynchronize, "cuCtxSynchronize");
    bind(d.cuGetErrorString, "cuGetErrorString");
    bind(d.cuModuleLoadData, "cuModuleLoadData");
    bind(d.cuModuleLoadDataEx, "cuModuleLoadDataEx");
    bind(d.cuModuleUnload, "cuModuleUnload");
    bind(d.cuModuleGetFunction, "cuModuleGetFunction");
    bind(d.cuFuncSetAttribute, "cuFuncSetAttribute");
    bind(d.cuLaunchKernel, "cuLaunchKernel");
    bind(d.cuStreamCreate, "cuStreamCreate");
    bind(d.cuStreamDestroy, "cuStreamDestroy_v2");
    bind(d.cuStreamSynchronize, "cuStreamSynchronize");
    bind(d.cuStreamWaitEvent, "cuStreamWaitEvent");
    bind(d.cuEventCreate, "cuEventCreate");
    bind(d.cuEventDestroy, "cuEventDestroy_v2");
    bind(d.cuEventSynchronize, "cuEventSynchronize");
    bind(d.cuEventRecord, "cuEventRecord");
    bind(d.cuMemAlloc, "cuMemAlloc_v2");
    bind(d.cuMemFree, "cuMemFree_v2");
    bind(d.cuMemAllocAsync, "cuMemAllocAsync", false);
    bind(d.cuMemFreeAsync, "cuMemFreeAsync", false);
    bind(d.cuDeviceGetDefaultMemPool, "cuDeviceGetDefaultMemPool", false);
    bind(d.cuMemPoolSetAttribute, "cuMemPoolSetAttribute", false);
    bind(d.cuMemAllocHost, "cuMemAllocHost_v2");
    bind(d.cuMemFreeHost, "cuMemFreeHost");
    bind(d.cuMemcpy, "cuMemcpy");
    bind(d.cuMemcpyAsync, "cuMemcpyAsync");
    bind(d.cuMemsetD8, "cuMemsetD8_v2");
    bind(d.cuMemsetD16Async, "cuMemsetD16Async");
    bind(d.cuMemsetD32Async, "cuMemsetD32Async");
    if (missing) {
      d.whyNot = std::string(path) + " lacks " + missingName;
      return;
    }
    auto describe = [&](const char *call, CUresult r) {
      const char *text = nullptr;
      d.cuGetErrorString(r, &text);
      d.whyNot = std::string(call) + " failed: " +
                 (text ? text : ("error " + std::to_string(r)).c_str());
    };
    if (CUresult r = d.cuInit(0); r != CUDA_SUCCESS)
      return describe("cuInit", r);
    int count = 0;
    if (CUresult r = d.cuDeviceGetCount(&count); r != CUDA_SUCCESS)
      return describe("cuDeviceGetCount", r);
    if (count == 0) {
      d.whyNot = "the driver sees no GPU";
      return;
    }
    int ordinal = 0;
    if (const char *env = std::getenv("KILN_CUDA_DEVICE"))
      ordinal = std::atoi(env);
    if (CUresult r = d.cuDeviceGet(&d.device, ordinal); r != CUDA_SUCCESS)
      return describe("cuDeviceGet", r);
    if (CUresult r = d.cuDevicePrimaryCtxRetain(&d.context, d.device);
        r != CUDA_SUCCESS)
      return describe("cuDevicePrimaryCtxRetain", r);
    d.cuDeviceGetName(d.name, sizeof(d.name), d.device);
    d.cuCtxSetCurrent(d.context);
    // Keep freed temporaries in the pool: steps reuse them without
    // returning memory to the OS.
    CUmemoryPool pool = nullptr;
    if (d.cuMemAllocAsync && d.cuDeviceGetDefaultMemPool &&
        d.cuMemPoolSetAttribute &&
        d.cuDeviceGetDefaultMemPool(&pool, d.device) == CUDA_SUCCESS) {
      uint64_t threshold = UINT64_MAX;
      d.cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                              &threshold);
    } else {
      d.cuMemAllocAsync = nullptr;
      d.cuMemFreeAsync = nullptr;
    }
    d.ready = true;
  });
  return d;
}

[[noreturn]] void noDevice(const Driver &d) {
  std::fprintf(stderr, "kiln: no CUDA device available (%s)\n",
               d.whyNot.c_str());
  std::exit(1);
}

/// The driver with this thread's context current; exits without a device.
Driver &device() {
  Driver &d = driver();
  if (!d.ready)
    noDevice(d);
  thread_local bool current = false;
  if (!current) {
    d.cuCtxSetCurrent(d.context);
    current = true;
  }
  return d;
}

void check(CUresult result, const char *call) {
  if (result == CUDA_SUCCESS)
    return;
  const char *text = nullptr;
  driver().cuGetErrorString(result, &text);
  std::fprintf(stderr, "kiln: CUDA error in %s: %s\n", call,
               text ? text : "unknown error");
  std::exit(1);
}

/// A module blob recorded by a global constructor, loaded on first use.
struct LazyModule {
  const void *data;
  size_t size;
  bool jit;
  int optLevel;
  std::once_flag loaded;
  CUmodule module = nullptr;
};

CUmodule loadedModule(LazyModule *lazy) {
  Driver &d = device();
  std::call_once(lazy->loaded, [&] {
    if (!lazy->jit) {
      check(d.cuModuleLoadData(&lazy->module, lazy->data), "cuModuleLoadData");
      return;
    }
    // PTX: JIT-compile for this GPU.
    int options[] = {CU_JIT_OPTIMIZATION_LEVEL};
    void *values[] = {reinterpret_cast<void *>(
        static_cast<intptr_t>(lazy->optLevel < 0 ? 4 : lazy->optLevel))};
    check(d.cuModuleLoadDataEx(&lazy->module, lazy->data, 1, options, values),
          "cuModuleLoadDataEx (PTX JIT)");
  });
  return lazy->module;
}

CUstream threadStream() {
  thread_local CUstream stream = nullptr;
  if (!stream)
    check(device().cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
          "cuStreamCreate");
  return stream;
}

CUdeviceptr dptr(const void *p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}

} // namespace

void *kiln::cuda::computeStream() { return threadStream(); }

void *kiln::cuda::createStream() {
  CUstream stream = nullptr;
  check(device().cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
        "cuStreamCreate");
  return stream;
}

void kiln::cuda::destroyStream(void *stream) {
  check(device().cuStreamDestroy(static_cast<CUstream>(stream)),
        "cuStreamDestroy");
}

extern "C" {

int kiln_cuda_available(char *why, size_t why_len) {
  Driver &d = driver();
  if (d.ready)
    return 1;
  if (why && why_len)
    std::snprintf(why, why_len, "kiln: no CUDA device available (%s)",
                  d.whyNot.c_str());
  return 0;
}

const char *kiln_cuda_device_name(void) {
  Driver &d = driver();
  return d.ready ? d.name : "";
}

void *kiln_cuda_malloc(size_t bytes) {
  Driver &d = device();
  CUdeviceptr p = 0;
  check(d.cuMemAlloc(&p, bytes ? bytes : 1), "cuMemAlloc");
  check(d.cuMemsetD8(p, 0, bytes), "cuMemsetD8");
  return reinterpret_cast<void *>(static_cast<uintptr_t>(p));
}

void kiln_cuda_free(void *p) {
  if (!p)
    return;
  Driver &d = device();
  check(d.cuCtxSynchronize(), "cuCtxSynchronize");
  check(d.cuMemFree(dptr(p)), "cuMemFree");
}

void *kiln_cuda_host_alloc(size_t bytes) {
  void *p = nullptr;
  check(device().cuMemAllocHost(&p, bytes ? bytes : 1), "cuMemAllocHost");
  return p;
}

void kiln_cuda_host_free(void *p) {
  if (p)
    check(device().cuMemFreeHost(p), "cuMemFreeHost");
}

void kiln_cuda_copy(void *dst, const void *src, uint64_t bytes) {
  Driver &d = device();
  // Work queued by the generated functions runs on non-blocking streams.
  check(d.cuCtxSynchronize(), "cuCtxSynchronize");
  check(d.cuMemcpy(dptr(dst), dptr(src), bytes), "cuMemcpy");
}

void kiln_cuda_synchronize(void) {
  check(device().cuCtxSynchronize(), "cuCtxSynchronize");
}

void *mgpuModuleLoad(void *data, size_t size) {
  return new LazyModule{data, size, /*jit=*/false, 0, {}, nullptr};
}

void *mgpuModuleLoadJIT(void *data, int opt_level, size_t size) {
  return new LazyModule{data, size, /*jit=*/true, opt_level, {}, nullptr};
}

void mgpuModuleUnload(void *module) {
  auto *lazy = static_cast<LazyModule *>(module);
  if (!lazy)
    return;
  // At exit the driver may already be gone; leave loaded modules to it.
  delete lazy;
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  CUmodule m = loadedModule(static_cast<LazyModule *>(module));
  CUfunction f = nullptr;
  check(device().cuModuleGetFunction(&f, m, name), "cuModuleGetFunction");
  return f;
}

void mgpuLaunchKernel(void *function, intptr_t grid_x, intptr_t grid_y,
                      intptr_t grid_z, intptr_t block_x, intptr_t block_y,
                      intptr_t block_z, int32_t shared_bytes, void *stream,
                      void **params, void **extra, size_t) {
  Driver &d = device();
  auto f = static_cast<CUfunction>(function);
  if (shared_bytes > 48 * 1024)
    check(d.cuFuncSetAttribute(f,
                               CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                               shared_bytes),
          "cuFuncSetAttribute");
  if (grid_x == 0 || grid_y == 0 || grid_z == 0)
    return; // an empty batch
  check(d.cuLaunchKernel(f, grid_x, grid_y, grid_z, block_x, block_y, block_z,
                         shared_bytes, static_cast<CUstream>(stream), params,
                         extra),
        "cuLaunchKernel");
}

void *mgpuStreamCreate(void) { return threadStream(); }

void mgpuStreamDestroy(void *stream) {
  // The per-thread stream is reused by the next call.
  if (stream && stream != threadStream())
    check(device().cuStreamDestroy(static_cast<CUstream>(stream)),
          "cuStreamDestroy");
}

void mgpuStreamSynchronize(void *stream) {
  check(device().cuStreamSynchronize(static_cast<CUstream>(stream)),
        "cuStreamSynchronize");
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  check(device().cuStreamWaitEvent(static_cast<CUstream>(stream),
                                   static_cast<CUevent>(event), 0),
        "cuStreamWaitEvent");
}

void *mgpuEventCreate(void) {
  CUevent event = nullptr;
  check(device().cuEventCreate(&event, CU_EVENT_DISABLE_TIMING),
        "cuEventCreate");
  return event;
}

void mgpuEventDestroy(void *event) {
  check(device().cuEventDestroy(static_cast<CUevent>(event)),
        "cuEventDestroy");
}

void mgpuEventSynchronize(void *event) {
  check(device().cuEventSynchronize(static_cast<CUevent>(event)),
        "cuEventSynchronize");
}

void mgpuEventRecord(void *event, void *stream) {
  check(device().cuEventRecord(static_cast<CUevent>(event),
                               static_cast<CUstream>(stream)),
        "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t bytes, void *stream, int8_t) {
  // Nothing reads an empty buffer (an empty batch's, an unsplit matmul's
  // scratch), so it costs no driver call.
  if (bytes == 0)
    return nullptr;
  Driver &d = device();
  CUdeviceptr p = 0;
  if (d.cuMemAllocAsync)
    check(d.cuMemAllocAsync(&p, bytes, static_cast<CUstream>(stream)),
          "cuMemAllocAsync");
  else
    check(d.cuMemAlloc(&p, bytes), "cuMemAlloc");
  return reinterpret_cast<void *>(static_cast<uintptr_t>(p));
}

void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr)
    return;
  Driver &d = device();
  if (d.cuMemFreeAsync)
    check(d.cuMemFreeAsync(dptr(ptr), static_cast<CUstream>(stream)),
          "cuMemFreeAsync");
  else
    check(d.cuMemFree(dptr(ptr)), "cuMemFree");
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (bytes == 0)
    return;
  check(device().cuMemcpyAsync(dptr(dst), dptr(src), bytes,
                               static_cast<CUstream>(stream)),
        "cuMemcpyAsync");
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream) {
  check(device().cuMemsetD32Async(dptr(dst), value, count,
                                  static_cast<CUstream>(stream)),
        "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  void *stream) {
  check(device().cuMemsetD16Async(dptr(dst), value, count,
                                  static_cast<CUstream>(stream)),
        "cuMemsetD16Async");
}

void mgpuSetDefaultDevice(int32_t) {}

} // extern "C"
