//===- DeviceBatches.cpp - prefetched batches for a model on the GPU ------===//

#include "DeviceBatches.h"
#include "PackInputs.h"
#include "cuda/CudaCopyEngine.h"

#include <cstring>

using namespace kiln;

std::unique_ptr<BatchPrefetcher>
kiln::createDevicePrefetcher(const kiln_model &model, const kiln_dataset &dataset,
                             int64_t batchRows) {
  size_t xRowBytes = size_t(model.input_size) * sizeof(float);
  size_t yRowBytes = dataset.labelBytes();
  return std::make_unique<BatchPrefetcher>(
      createCudaCopyEngine(BatchPrefetcher::kSlots, size_t(batchRows) * xRowBytes,
                           size_t(batchRows) * yRowBytes),
      xRowBytes, yRowBytes, /*gatherAhead=*/true);
}

void kiln::stageBatch(const kiln_model &model, const kiln_dataset &dataset,
                      const float *x, const void *y, int64_t rows, float *slotX,
                      void *slotY) {
  // Several inputs or labels are packed straight into the slot.
  if (packInputs(model, x, rows, slotX) == x)
    std::memcpy(slotX, x, size_t(rows) * size_t(model.input_size) * sizeof(float));
  if (packLabels(model, y, rows, slotY) == y)
    std::memcpy(slotY, y, size_t(rows) * dataset.labelBytes());
}
