/* checkpoint.h - saving and restoring a training run (FlatBuffers, *.ckpt).
 *
 * A checkpoint holds the model's whole state buffer entry by entry (name,
 * shape, dtype, bytes), a signature of the state layout, the position in the
 * seeded batch order and the history so far, so that a run resumed from it
 * reaches bit-identical parameters and report to one that never stopped.
 * Files are written atomically; loading verifies the FlatBuffer, a CRC-32 of
 * the whole file and, on restore, the signature.
 *
 * Functions return 0 (or a pointer) on success, -1 (or NULL) with err set.
 */
#ifndef KILN_CHECKPOINT_H
#define KILN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/export.h"
#include "kiln/model.h"
#include "kiln/report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where a run stands between two steps. */
typedef struct kiln_train_position {
  int64_t step;       /* train steps completed */
  int64_t epoch;      /* 0-based epoch of the next batch */
  int64_t batch;      /* 0-based index of the next batch in that epoch */
  uint64_t seed;
  int64_t batch_size;
  int shuffle;
  int drop_remainder;
  /* Running sums of the current epoch, so that its means survive a resume. */
  double epoch_loss_sum;
  double epoch_accuracy_sum;
  int64_t epoch_accuracy_batches;
} kiln_train_position;

/* A 64-bit FNV-1a hash of the model name and its state layout (entry names,
 * offsets, dtypes, shapes). Two compilations with equal signatures can
 * exchange checkpoints. */
KILN_API uint64_t kiln_model_signature(const kiln_model *model);

/* Writes `path` atomically (a temporary file beside it, fsync, rename, fsync
 * of the folder): a crash leaves the previous file or the complete new one.
 * The model must list its state entries. */
KILN_API int kiln_checkpoint_save(const kiln_model *model, const void *state,
                                  const kiln_train_position *position,
                                  const kiln_epoch_stats *history, int64_t history_size,
                                  const char *path, char *err, size_t err_len);

typedef struct kiln_checkpoint kiln_checkpoint;

/* Reads and verifies a checkpoint file (structure and checksum). */
KILN_API kiln_checkpoint *kiln_checkpoint_load(const char *path, char *err,
                                               size_t err_len);
KILN_API void kiln_checkpoint_free(kiln_checkpoint *checkpoint);

/* Copies the checkpoint into `state` (model->state_size bytes) after checking
 * that it was written for a model of the same name and signature. */
KILN_API int kiln_checkpoint_restore(const kiln_checkpoint *checkpoint,
                                     const kiln_model *model, void *state, char *err,
                                     size_t err_len);

KILN_API const char *kiln_checkpoint_path(const kiln_checkpoint *checkpoint);
KILN_API const char *kiln_checkpoint_model_name(const kiln_checkpoint *checkpoint);
KILN_API uint64_t kiln_checkpoint_signature(const kiln_checkpoint *checkpoint);
KILN_API uint64_t kiln_checkpoint_state_size(const kiln_checkpoint *checkpoint);
KILN_API void kiln_checkpoint_get_position(const kiln_checkpoint *checkpoint,
                                           kiln_train_position *position);
/* The completed epochs; the array lives as long as the checkpoint. */
KILN_API int64_t kiln_checkpoint_history(const kiln_checkpoint *checkpoint,
                                         const kiln_epoch_stats **history);

/* A read-only view of one stored tensor; valid while the checkpoint lives. */
typedef struct kiln_tensor_view {
  const char *name;
  int32_t dtype; /* a kiln_dtype */
  int32_t rank;
  const int64_t *shape;
  const void *data; /* row-major (C order), little-endian */
  size_t bytes;
} kiln_tensor_view;

KILN_API size_t kiln_checkpoint_num_tensors(const kiln_checkpoint *checkpoint);
KILN_API void kiln_checkpoint_tensor(const kiln_checkpoint *checkpoint, size_t index,
                                     kiln_tensor_view *view);

/* Writes every stored tensor as NAME.npy into a NumPy .npz archive (a zip
 * with stored entries), readable by numpy.load. */
KILN_API int kiln_checkpoint_export_npz(const kiln_checkpoint *checkpoint,
                                        const char *path, char *err, size_t err_len);

/* A run's checkpoints in one folder, named ckpt-<step, 10 digits>.ckpt. */

/* Saves the checkpoint of position->step into dir (created if missing),
 * then deletes all but the `keep` newest (keep <= 0: keeps all). */
KILN_API int kiln_checkpoint_save_in_dir(const char *dir, int64_t keep,
                                         const kiln_model *model, const void *state,
                                         const kiln_train_position *position,
                                         const kiln_epoch_stats *history,
                                         int64_t history_size, char *err, size_t err_len);

/* Writes the path of the newest checkpoint in dir into path (path_len bytes)
 * and returns 1; 0 if there is none; -1 on error. Temporary files of
 * interrupted writes are ignored. */
KILN_API int kiln_checkpoint_find_latest(const char *dir, char *path, size_t path_len,
                                         char *err, size_t err_len);

/* Name and byte size of one element of a kiln_dtype ("f32", 4); NULL/0 if unknown. */
KILN_API const char *kiln_dtype_name(int32_t dtype);
KILN_API size_t kiln_dtype_size(int32_t dtype);

#ifdef __cplusplus
}
#endif

#endif /* KILN_CHECKPOINT_H */
