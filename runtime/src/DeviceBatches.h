//===- DeviceBatches.h - prefetched batches for a model on the GPU -*- C++ -*-===//
#ifndef KILN_RUNTIME_DEVICEBATCHES_H
#define KILN_RUNTIME_DEVICEBATCHES_H

#include "BatchPrefetcher.h"
#include "Dataset.h"

#include "kiln/model.h"

#include <memory>

namespace kiln {

/// Whether the model's batches are copied ahead: its state lives on the GPU
/// (a --target=cuda object). Several labels are still handed over from the
/// host, since the slots hold labels as the dataset stores them, not in
/// the per-label blocks of the C functions.
inline bool prefetchesBatches(const kiln_model &model) {
  return model.state_to_host != nullptr && model.num_labels <= 1;
}

/// A prefetcher over the CUDA copy engine for batches of up to batchRows
/// examples of `dataset`, gathered ahead on a worker thread.
std::unique_ptr<BatchPrefetcher>
createDevicePrefetcher(const kiln_model &model, const kiln_dataset &dataset,
                       int64_t batchRows);

/// Writes `rows` examples (rows of the dataset, labels as it stores them)
/// into a slot's host buffers, in the model's input layout.
void stageBatch(const kiln_model &model, const kiln_dataset &dataset,
                const float *x, const void *y, int64_t rows, float *slotX,
                void *slotY);

} // namespace kiln

#endif // KILN_RUNTIME_DEVICEBATCHES_H
