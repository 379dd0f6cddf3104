//===- BatchPrefetcher.h - batches copied to the GPU while steps run -*- C++ -*-===//
//
// For a model whose state lives on the GPU, the step itself is the only
// thing the host waits for (its loss comes back); the batches should not
// add to it. A pass (an epoch, an evaluation) hands out batch i with:
//   - batch i+1 already gathered on the host and its copy to the device
//     queued on the copy stream, so the copy runs while step i computes;
//   - with gatherAhead, batch i+2 being gathered on a worker thread into
//     page-locked memory meanwhile;
//   - the compute stream waiting for batch i's copy before the step.
// Three slots rotate: batch j uses slot j % 3. A slot's host buffer is
// refilled only after its copy is done, and its device buffer is copied
// into only after the step that read it (released when next() is called
// again), both through the CopyEngine's events.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_BATCHPREFETCHER_H
#define KILN_RUNTIME_BATCHPREFETCHER_H

#include "CopyEngine.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace kiln {

/// One batch as a step consumes it.
struct DeviceBatch {
  int64_t rows = 0;
  const float *x = nullptr;     // inputs, on the device
  const void *y = nullptr;      // labels, on the device
  const void *hostY = nullptr;  // the same labels on the host (metrics)
};

class BatchPrefetcher {
public:
  /// Writes the next batch of the pass into x and y (host buffers for a
  /// whole batch) and returns its rows; 0 once the pass is over.
  using Source = std::function<int64_t(float *x, void *y)>;
  static constexpr int kSlots = 3;

  /// xRowBytes, yRowBytes: bytes of one example's inputs and labels.
  BatchPrefetcher(std::unique_ptr<CopyEngine> engine, size_t xRowBytes,
                  size_t yRowBytes, bool gatherAhead);
  /// Waits for the gathering and the copies under way.
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher &) = delete;
  BatchPrefetcher &operator=(const BatchPrefetcher &) = delete;

  /// Starts a pass over `source`: gathers its first batch and queues its
  /// copy (a pass left unfinished is dropped).
  void start(Source source);
  /// The next batch of the pass, which the compute stream waits for; false
  /// at its end. The batch returned before is released: the work queued on
  /// it (the step) is the last to read it.
  bool next(DeviceBatch &batch);

private:
  int slotOf(int64_t batch) const { return int(batch % kSlots); }
  /// Fills batch's slot, on the worker with gatherAhead (finishGather
  /// waits for it), after the slot's last copy.
  void startGather(int64_t batch);
  void finishGather();
  void gather(int64_t batch);
  void queueCopy(int64_t batch);
  void releaseCurrent();
  void workerLoop();

  std::unique_ptr<CopyEngine> engine;
  size_t xRowBytes, yRowBytes;
  Source source;
  int64_t rows[kSlots] = {}; // rows of the batch each slot holds
  int64_t nextIndex = 0;     // the batch next() hands out
  int64_t current = -1;      // the batch handed out last, until released
  bool exhausted = true;     // the source has returned 0 this pass

  // The worker that gathers ahead (gatherAhead only).
  bool gatherAhead;
  std::thread worker;
  std::mutex mutex;
  std::condition_variable changed;
  int64_t task = -1; // the batch to gather; -1 when idle
  bool stopping = false;
};

} // namespace kiln

#endif // KILN_RUNTIME_BATCHPREFETCHER_H
