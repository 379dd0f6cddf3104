/* batcher.h - deterministic shuffled mini-batches over a dataset.
 *
 * The order of each epoch is a permutation of [0, n) computed from
 * (seed, epoch) alone with a PRNG and shuffle defined here, so the same seed
 * gives the same batches on every platform and C++ library, and an epoch can
 * be replayed without replaying the ones before it (e.g. after a resume).
 */
#ifndef KILN_BATCHER_H
#define KILN_BATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/dataset.h"
#include "kiln/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the order of epoch `epoch` for n examples into order[0..n). */
KILN_API void kiln_epoch_permutation(uint64_t seed, int64_t epoch, int64_t n,
                                     int64_t *order);

typedef struct kiln_batcher_options {
  int64_t batch_size;
  uint64_t seed;
  int shuffle;        /* 0: examples in dataset order every epoch */
  int drop_remainder; /* 0: the last, smaller batch of an epoch is kept */
} kiln_batcher_options;

typedef struct kiln_batcher kiln_batcher;

/* The batcher borrows the dataset, which must outlive it. */
KILN_API kiln_batcher *kiln_batcher_create(const kiln_dataset *dataset,
                                           const kiln_batcher_options *options,
                                           char *err, size_t err_len);
KILN_API void kiln_batcher_free(kiln_batcher *batcher);

KILN_API int64_t kiln_batcher_batches_per_epoch(const kiln_batcher *batcher);

/* Rewinds to the first batch of `epoch` (0-based). */
KILN_API void kiln_batcher_start_epoch(kiln_batcher *batcher, int64_t epoch);

/* Rewinds to `epoch` and skips its first `batch` batches, so that a resumed
 * run sees the batches it had not trained on yet. */
KILN_API void kiln_batcher_seek(kiln_batcher *batcher, int64_t epoch, int64_t batch);

/* Sets *x ([rows, example_size]) and *y (the rows' labels: [rows] int32
 * class indices or [rows, label_size] floats, as the dataset holds them) to
 * the next batch of the current epoch and returns its row count, or 0 once
 * the epoch is over. The pointers stay valid until the next call or
 * kiln_batcher_free. */
KILN_API int64_t kiln_batcher_next(kiln_batcher *batcher, const float **x,
                                   const void **y);

#ifdef __cplusplus
}
#endif

#endif /* KILN_BATCHER_H */
