/* cuda.h - the CUDA layer of libkilnrt.
 *
 * Objects compiled with `kilnc --target=cuda` keep the training state in
 * GPU memory: allocate it with kiln_cuda_malloc(NAME_STATE_SIZE) and pass
 * that device pointer as `state`. Inputs and labels may be host or device
 * pointers (the generated code copies them into its own buffers on the
 * call's stream); outputs are host pointers. Pinned buffers from
 * kiln_cuda_host_alloc() copy fastest.
 *
 * libkilnrt's training loop (kiln_train) and evaluation (kiln_evaluate*)
 * recognize such a model by its state_to_host function (kiln/model.h) and
 * copy batches ahead: while step i runs, batch i+1 is already on its way to
 * the device on a copy stream of its own (from page-locked memory) and
 * batch i+2 is gathered on a worker thread; step i's work on the GPU waits
 * for batch i's copy (an event), and a batch's buffers are refilled only
 * after the copy and the step that use them are done (three rotating
 * slots). The step then copies its inputs from device memory (a cheap
 * device-to-device copy) and only the loss comes back to the host.
 * kiln_train_options.no_prefetch turns this off (each step copies its
 * batch from host memory, as a program calling train_step directly does).
 *
 * libkilnrt loads libcuda.so.1 with dlopen on first use, so it links and
 * runs on machines without a GPU. There, kiln_cuda_available() returns 0
 * and any function that needs the GPU prints one line
 *   kiln: no CUDA device available (<reason>)
 * to stderr and exits with status 1.
 */
#ifndef KILN_CUDA_H
#define KILN_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the driver loads and a device is usable, else 0 with the one-line
 * message ("kiln: no CUDA device available (...)") in why (may be NULL). */
KILN_API int kiln_cuda_available(char *why, size_t why_len);
/* The name of the device in use ("NVIDIA H100 80GB HBM3"), or "". */
KILN_API const char *kiln_cuda_device_name(void);

/* Device memory (zero-filled) and its release. */
KILN_API void *kiln_cuda_malloc(size_t bytes);
KILN_API void kiln_cuda_free(void *device);
/* Page-locked host memory, for batches copied while the GPU computes. */
KILN_API void *kiln_cuda_host_alloc(size_t bytes);
KILN_API void kiln_cuda_host_free(void *host);
/* Copies bytes between any two of host/device memory, then waits. */
KILN_API void kiln_cuda_copy(void *dst, const void *src, uint64_t bytes);
/* Waits for all work the generated functions queued on this thread. */
KILN_API void kiln_cuda_synchronize(void);

/* The entry points the host code of a CUDA object calls (the names and
 * signatures of MLIR's CUDA runtime wrappers); not for direct use. */
KILN_API void *mgpuModuleLoad(void *data, size_t size);
KILN_API void *mgpuModuleLoadJIT(void *data, int opt_level, size_t size);
KILN_API void mgpuModuleUnload(void *module);
KILN_API void *mgpuModuleGetFunction(void *module, const char *name);
KILN_API void mgpuLaunchKernel(void *function, intptr_t grid_x, intptr_t grid_y,
                               intptr_t grid_z, intptr_t block_x,
                               intptr_t block_y, intptr_t block_z,
                               int32_t shared_bytes, void *stream,
                               void **params, void **extra,
                               size_t param_count);
KILN_API void *mgpuStreamCreate(void);
KILN_API void mgpuStreamDestroy(void *stream);
KILN_API void mgpuStreamSynchronize(void *stream);
KILN_API void mgpuStreamWaitEvent(void *stream, void *event);
KILN_API void *mgpuEventCreate(void);
KILN_API void mgpuEventDestroy(void *event);
KILN_API void mgpuEventSynchronize(void *event);
KILN_API void mgpuEventRecord(void *event, void *stream);
KILN_API void *mgpuMemAlloc(uint64_t bytes, void *stream, int8_t host_shared);
KILN_API void mgpuMemFree(void *ptr, void *stream);
KILN_API void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream);
KILN_API void mgpuMemset32(void *dst, unsigned int value, size_t count,
                           void *stream);
KILN_API void mgpuMemset16(void *dst, unsigned short value, size_t count,
                           void *stream);
KILN_API void mgpuSetDefaultDevice(int32_t device);

#ifdef __cplusplus
}
#endif

#endif /* KILN_CUDA_H */
