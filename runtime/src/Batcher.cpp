//===- Batcher.cpp - deterministic shuffled mini-batches -------------------===//

#include "Dataset.h"
#include "Error.h"
#include "MallocArray.h"
#include "SplitMix64.h"

#include "kiln/batcher.h"

#include <algorithm>
#include <cinttypes>
#include <new>
#include <utility>

using namespace kiln;

void kiln_epoch_permutation(uint64_t seed, int64_t epoch, int64_t n, int64_t *order) {
  // Hash (seed, epoch) into the start state so neighbouring seeds and epochs
  // give unrelated streams rather than shifted copies of one stream.
  SplitMix64 rng(SplitMix64::mix(
      seed ^ SplitMix64::mix(uint64_t(epoch) + SplitMix64::kGoldenGamma)));
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  // Fisher-Yates, from the back.
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(uint64_t(i) + 1)]);
}

struct kiln_batcher {
  const kiln_dataset *dataset = nullptr;
  kiln_batcher_options options{};
  int64_t rowsPerEpoch = 0;  // dataset size, less the remainder if dropped
  int64_t nextRow = 0;       // position in the current epoch
  MallocArray<int64_t> order; // current epoch's permutation; only if shuffled
  MallocArray<float> x;       // gathered batch; only if shuffled
  MallocArray<unsigned char> y; // its labels, as the dataset stores them
};

kiln_batcher *kiln_batcher_create(const kiln_dataset *dataset,
                                  const kiln_batcher_options *options, char *err,
                                  size_t err_len) {
  if (options->batch_size <= 0) {
    setError(err, err_len, "batch size must be positive, got %" PRId64,
             options->batch_size);
    return nullptr;
  }
  std::unique_ptr<kiln_batcher> batcher(new (std::nothrow) kiln_batcher);
  if (!batcher) {
    setError(err, err_len, "out of memory");
    return nullptr;
  }
  batcher->dataset = dataset;
  batcher->options = *options;
  batcher->rowsPerEpoch = options->drop_remainder
                              ? dataset->size - dataset->size % options->batch_size
                              : dataset->size;
  if (options->shuffle) {
    int64_t batchRows = std::min(options->batch_size, dataset->size);
    batcher->order = allocateArray<int64_t>(dataset->size);
    batcher->x = allocateArray<float>(batchRows * dataset->exampleSize);
    batcher->y = allocateArray<unsigned char>(batchRows * dataset->labelBytes());
    if (!batcher->order || !batcher->x || !batcher->y) {
      setError(err, err_len, "out of memory for batches of %" PRId64 " x %" PRId64,
               batchRows, dataset->exampleSize);
      return nullptr;
    }
  }
  kiln_batcher_start_epoch(batcher.get(), 0);
  return batcher.release();
}

void kiln_batcher_free(kiln_batcher *batcher) { delete batcher; }

int64_t kiln_batcher_batches_per_epoch(const kiln_batcher *batcher) {
  int64_t batchSize = batcher->options.batch_size;
  return (batcher->rowsPerEpoch + batchSize - 1) / batchSize;
}

void kiln_batcher_start_epoch(kiln_batcher *batcher, int64_t epoch) {
  batcher->nextRow = 0;
  if (batcher->options.shuffle)
    kiln_epoch_permutation(batcher->options.seed, epoch, batcher->dataset->size,
                           batcher->order.get());
}

void kiln_batcher_seek(kiln_batcher *batcher, int64_t epoch, int64_t batch) {
  kiln_batcher_start_epoch(batcher, epoch);
  batcher->nextRow = std::min(batch * batcher->options.batch_size, batcher->rowsPerEpoch);
}

int64_t kiln_batcher_next(kiln_batcher *batcher, const float **x, const void **y) {
  const kiln_dataset &dataset = *batcher->dataset;
  int64_t first = batcher->nextRow;
  int64_t rows = std::min(batcher->options.batch_size, batcher->rowsPerEpoch - first);
  if (rows <= 0)
    return 0;
  batcher->nextRow += rows;
  if (!batcher->options.shuffle) {
    // In order, a batch is already contiguous in the dataset.
    *x = dataset.features.get() + first * dataset.exampleSize;
    *y = dataset.labelsAt(first);
    return rows;
  }
  for (int64_t row = 0; row < rows; ++row) {
    int64_t example = batcher->order[first + row];
    std::copy_n(dataset.features.get() + example * dataset.exampleSize,
                dataset.exampleSize, batcher->x.get() + row * dataset.exampleSize);
    std::copy_n(dataset.labelsAt(example), dataset.labelBytes(),
                batcher->y.get() + row * dataset.labelBytes());
  }
  *x = batcher->x.get();
  *y = batcher->y.get();
  return rows;
}
