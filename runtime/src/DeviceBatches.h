//===- DeviceBatches.h - prefetched batches for a model on the GPU -*- C++ -*-===//
#ifndef KILN_RUNTIME_DEVICEBATCHES_H
#define KILN_RUNTIME_DEVICEBATCHES_H

#include "BatchPrefetcher.h"
#include "Dataset.h"

#include "kiln/model.h"

#include <memory>

namespace kiln {

/// Whether the model's batches are copied ahead: its state lives on the GPU
/// (a --target=cuda object).
inline bool prefetchesBatches(const kiln_model &model) {
  return model.state_to_host != nullptr;
}

/// A prefetcher over the CUDA copy engine for batches of up to batchRows
/// examples of `dataset`, gathered ahead on a worker thread.
std::unique_ptr<BatchPrefetcher>
createDevicePrefetcher(const kiln_model &model, const kiln_dataset &dataset,
                       int64_t batchRows);

/// Writes `rows` examples (rows of the dataset) into a slot's host
/// buffers, inputs and labels in the layout the model's functions take
/// (packInputs, packLabels: one block per input and per label).
void stageBatch(const kiln_model &model, const kiln_dataset &dataset,
                const float *x, const void *y, int64_t rows, float *slotX,
                void *slotY);

} // namespace kiln

#endif // KILN_RUNTIME_DEVICEBATCHES_H
