//===- BatchPrefetcher.cpp - batches copied to the GPU while steps run ----===//

#include "BatchPrefetcher.h"

using namespace kiln;

BatchPrefetcher::BatchPrefetcher(std::unique_ptr<CopyEngine> engine,
                                 size_t xRowBytes, size_t yRowBytes,
                                 bool gatherAhead)
    : engine(std::move(engine)), xRowBytes(xRowBytes), yRowBytes(yRowBytes),
      gatherAhead(gatherAhead) {
  if (gatherAhead)
    worker = std::thread([this] { workerLoop(); });
}

BatchPrefetcher::~BatchPrefetcher() {
  finishGather();
  if (gatherAhead) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    changed.notify_all();
    worker.join();
  }
  releaseCurrent();
  // The engine frees the buffers; no copy may still read them.
  for (int slot = 0; slot < kSlots; ++slot)
    engine->waitCopied(slot);
}

void BatchPrefetcher::start(Source newSource) {
  finishGather();
  releaseCurrent();
  source = std::move(newSource);
  nextIndex = 0;
  exhausted = false;
  startGather(0);
  finishGather();
  if (rows[slotOf(0)] == 0) {
    exhausted = true;
    return;
  }
  queueCopy(0);
  startGather(1);
}

bool BatchPrefetcher::next(DeviceBatch &batch) {
  releaseCurrent();
  int64_t index = nextIndex;
  int slot = slotOf(index);
  if (exhausted && rows[slot] == 0)
    return false;
  if (!exhausted) {
    // Batch index+1 was being gathered: queue its copy now, so that it runs
    // during this step, and gather the one after it meanwhile.
    finishGather();
    if (rows[slotOf(index + 1)] > 0) {
      queueCopy(index + 1);
      startGather(index + 2);
    } else {
      exhausted = true;
    }
  }
  engine->computeWaitsFor(slot);
  SlotBuffers buffers = engine->buffers(slot);
  batch = {rows[slot], buffers.deviceX, buffers.deviceY, buffers.hostY};
  current = index;
  nextIndex = index + 1;
  return true;
}

void BatchPrefetcher::startGather(int64_t batch) {
  // The slot's host buffer is the source of its previous copy.
  engine->waitCopied(slotOf(batch));
  if (!gatherAhead) {
    gather(batch);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    task = batch;
  }
  changed.notify_all();
}

void BatchPrefetcher::finishGather() {
  if (!gatherAhead)
    return;
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait(lock, [&] { return task < 0; });
}

void BatchPrefetcher::gather(int64_t batch) {
  int slot = slotOf(batch);
  SlotBuffers buffers = engine->buffers(slot);
  rows[slot] = source(buffers.hostX, buffers.hostY);
}

void BatchPrefetcher::queueCopy(int64_t batch) {
  int slot = slotOf(batch);
  engine->copyToDevice(slot, size_t(rows[slot]) * xRowBytes,
                       size_t(rows[slot]) * yRowBytes);
}

void BatchPrefetcher::releaseCurrent() {
  if (current < 0)
    return;
  engine->releaseAfterCompute(slotOf(current));
  current = -1;
}

void BatchPrefetcher::workerLoop() {
  std::unique_lock<std::mutex> lock(mutex);
  for (;;) {
    changed.wait(lock, [&] { return stopping || task >= 0; });
    if (stopping)
      return;
    int64_t batch = task;
    lock.unlock();
    gather(batch);
    lock.lock();
    task = -1;
    changed.notify_all();
  }
}
