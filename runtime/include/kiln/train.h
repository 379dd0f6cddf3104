/* train.h - the training loop and evaluation over a compiled model.
 *
 * Functions return 0 on success, or -1 with a message in err (which may be
 * NULL; longer messages are truncated to err_len).
 */
#ifndef KILN_TRAIN_H
#define KILN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/checkpoint.h"
#include "kiln/dataset.h"
#include "kiln/export.h"
#include "kiln/memory.h"
#include "kiln/model.h"
#include "kiln/report.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Model state must be aligned to this many bytes. */
#define KILN_STATE_ALIGNMENT KILN_ALIGNMENT

/* kiln_alloc(model->state_size): zeroed, aligned to KILN_STATE_ALIGNMENT (a
 * large state to KILN_HUGE_PAGE_SIZE, on huge pages where the system has
 * them); NULL when out of memory. Free with kiln_state_free. */
KILN_API void *kiln_state_alloc(const kiln_model *model);
KILN_API void kiln_state_free(void *state);

typedef struct kiln_train_options {
  int64_t epochs;
  int64_t batch_size;
  uint64_t seed; /* initializes the parameters and orders the batches */
  int shuffle;
  int drop_remainder;
  int64_t eval_batch_size; /* 0: batch_size */
  int quiet;               /* nonzero: no progress lines on stderr */
  /* > 0: every this many steps, measure the batch's accuracy (one extra
   * forward pass), write step summaries and, as lines, print progress. */
  int64_t log_every;
  /* Caller-owned state (from kiln_state_alloc) to train in place, so that it
   * can be saved or used for prediction afterwards; NULL: a private one. */
  void *state;
  int skip_init; /* with state: continue from its contents instead of init */

  /* Continue the run this checkpoint recorded: its state, batch position and
   * history (restored into `state` when given); epochs counts the whole run. */
  const kiln_checkpoint *resume;
  /* Non-NULL: a checkpoint there at the end of the run and, if
   * checkpoint_every > 0, every that many steps; the checkpoint_keep newest
   * are kept (0: all). See kiln_checkpoint_save_in_dir. */
  const char *checkpoint_dir;
  int64_t checkpoint_every;
  int64_t checkpoint_keep;
  /* Non-NULL: TensorBoard event files in logdir/train and logdir/test. */
  const char *logdir;
  double learning_rate; /* logged as a scalar when finite; NaN: not logged */
  int64_t top_k;        /* > 0: also measure the test set's top-k accuracy
                         * (model->top_k, compiled into evaluate) */
  int progress;         /* a kiln_progress_style; ignored when quiet */
  /* A model whose state lives on the GPU (state_to_host set, see
   * kiln/cuda.h) has batch i+1 gathered and copied to the device while step
   * i runs; nonzero: each step copies its own batch from host memory (to
   * measure what the prefetching gains). */
  int no_prefetch;
} kiln_train_options;

/* How progress is shown on stderr. */
enum kiln_progress_style {
  KILN_PROGRESS_AUTO = 0,  /* a bar on a terminal, lines otherwise */
  KILN_PROGRESS_LINES = 1, /* a line every log_every steps and per epoch */
  KILN_PROGRESS_BAR = 2,   /* one line redrawn with \r */
};

/* Fills the defaults: 1 epoch, batch 32, seed 0, shuffled, partial batch kept,
 * no checkpoints or summaries, learning_rate NaN. */
KILN_API void kiln_train_options_init(kiln_train_options *options);

/* Trains `model` on `train` and, after each epoch, evaluates it on `test`
 * (may be NULL). `report` is overwritten; release it with kiln_report_free
 * even on failure, when it holds the epochs that completed. A non-finite
 * training loss stops the run with an error. */
KILN_API int kiln_train(const kiln_model *model, const kiln_train_options *options,
                        const kiln_dataset *train, const kiln_dataset *test,
                        kiln_report *report, char *err, size_t err_len);

/* Evaluates `state` on `dataset` in batches of batch_size: *loss is the mean
 * loss weighted by batch size, *accuracy the fraction whose argmax output is
 * the label (NaN for a model with real-valued labels). If confusion is not
 * NULL it receives, for C = output_size, counts in
 * confusion[label * C + predicted] (C * C entries, zeroed first; classifiers
 * only). loss, accuracy may be NULL.
 *
 * A model of L > 1 class labels (kiln_model::num_labels) is scored per
 * label on its block of C = output_size / L outputs: the accuracy (and
 * top-k accuracy) is the fraction of the n * L (example, label) pairs
 * predicted right, i.e. the mean of the labels' accuracies, and confusion
 * holds L matrices of C * C, label l's at l * C * C. The loss is the
 * model's own (e.g. the sum of its heads' losses). */
KILN_API int kiln_evaluate(const kiln_model *model, const void *state,
                           const kiln_dataset *dataset, int64_t batch_size, double *loss,
                           double *accuracy, int64_t *confusion, char *err,
                           size_t err_len);

/* What kiln_evaluate_metrics measures over a dataset. */
typedef struct kiln_metrics {
  double loss;           /* mean loss, weighted by batch size */
  double accuracy;       /* argmax output == label; NaN for real-valued labels */
  double top_k_accuracy; /* label among the top_k outputs; NaN when top_k is 0 */
} kiln_metrics;

/* kiln_evaluate, and with top_k > 0 the top-k accuracy, which the model
 * computes in its compiled evaluate_metrics (metrics = [top_k_accuracy(k)]
 * in the model file; top_k must be that k). Ties are broken by index: the
 * label is in the top k when fewer than k outputs beat it, an output
 * beating it when it is greater, or equal at a lower index. So k = 1 agrees
 * with accuracy (the first maximum is the argmax) and k = output_size is
 * always 1. */
KILN_API int kiln_evaluate_metrics(const kiln_model *model, const void *state,
                                   const kiln_dataset *dataset, int64_t batch_size,
                                   int64_t top_k, kiln_metrics *metrics,
                                   int64_t *confusion, char *err, size_t err_len);

/* Runs the model's predict function on every example of `dataset` (labels,
 * if any, are not used) in batches of batch_size, writing
 * size * output_size floats to outputs, row-major. Returns 0, or -1 with a
 * message (wrong example size, empty dataset, no predict function). */
KILN_API int kiln_predict(const kiln_model *model, const void *state,
                          const kiln_dataset *dataset, int64_t batch_size,
                          float *outputs, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* KILN_TRAIN_H */
