/* model.h - how libkilnrt sees one compiled model.
 *
 * kilnc generates, for a model named NAME, plain C functions (see the header it
 * writes with --header). The runtime never links them by name: the caller
 * (the `kiln` CLI after dlopen, or a user's program) fills this table.
 */
#ifndef KILN_MODEL_H
#define KILN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of state entries; the values are stored in checkpoints. */
typedef enum kiln_dtype {
  KILN_DTYPE_F32 = 1,
  KILN_DTYPE_F64 = 2,
  KILN_DTYPE_I32 = 3,
  KILN_DTYPE_I64 = 4,
  KILN_DTYPE_U8 = 5,
  KILN_DTYPE_I8 = 6,
} kiln_dtype;

/* One named tensor inside the state buffer (a parameter, an optimizer slot,
 * the step counter), as the compiler laid it out. */
typedef struct kiln_state_entry {
  const char *name;
  int64_t offset;        /* bytes from the start of the state */
  int64_t count;         /* elements */
  int32_t dtype;         /* a kiln_dtype */
  int32_t rank;
  const int64_t *shape;  /* rank dimensions; may be NULL when rank is 0 */
} kiln_state_entry;

typedef struct kiln_model {
  const char *name;
  size_t state_size;      /* bytes: parameters + optimizer slots + step */
  int64_t input_size;     /* floats per example in x (product of non-batch dims) */
  int64_t output_size;    /* floats per example that predict writes (e.g. classes) */
  void (*init)(void *state, uint64_t seed);
  /* y: batch rows of label_size values of type label_dtype. */
  /* One optimizer step on a batch; returns the mean loss before the update. */
  float (*train_step)(void *state, const float *x, const void *y, int64_t batch);
  /* Loss of a batch without updating; writes batch*output_size floats. */
  float (*evaluate)(const void *state, const float *x, const void *y, int64_t batch,
                    float *outputs);
  void (*predict)(const void *state, const float *x, int64_t batch, float *outputs);
  /* The state layout, in offset order; checkpoints and exports need it.
   * NULL/0 for a model table filled by hand without it. */
  const kiln_state_entry *state_entries;
  size_t num_state_entries;
  /* The labels: KILN_DTYPE_I32 class indices into the outputs (one per
   * example), or KILN_DTYPE_F32 values (regression targets), label_size per
   * example. 0 stands for KILN_DTYPE_I32 and label_size 0 for 1, so that a
   * table filled without them describes a classifier. */
  int32_t label_dtype;
  int64_t label_size;
  /* A model of several inputs (e.g. two feature groups): the functions take
   * them packed in x, each input's [batch, input_sizes[i]] block after the
   * other (NAME_*_packed), and input_size is the sum. Datasets hold each
   * example's inputs side by side in one row; the runtime repacks batches.
   * 0 and NULL for one input. */
  int32_t num_inputs;
  const int64_t *input_sizes;
  /* Objects compiled with --target=cuda keep the state in GPU memory; these
   * copy all of it to and from a host buffer of state_size bytes (the
   * generated NAME_state_to_host/_from_host) for checkpoints. NULL when the
   * state is host memory. */
  void (*state_to_host)(const void *state, void *host);
  void (*state_from_host)(void *state, const void *host);
  /* A model of several labels (e.g. two heads): the functions take them
   * packed in y, each label's [batch, label_sizes[i]] block of type
   * label_dtypes[i] after the other, label_size is the sum and label_dtype
   * KILN_DTYPE_I32 only if every label is a class index. Datasets hold each
   * example's labels side by side; the runtime repacks batches. With class
   * labels only, the outputs of a row are read as one block of
   * output_size / num_labels class scores per label, in label order (e.g.
   * output concat([head1, head2], axis = 1)), for accuracy.
   * 0 and NULL for one label. */
  int32_t num_labels;
  const int64_t *label_sizes;
  const int32_t *label_dtypes;
  /* metrics = [top_k_accuracy(k)], compiled into evaluate: k, and evaluate
   * that also writes to *top_k_hits how many of the batch's (example, label)
   * pairs have their label among the top k outputs of its block (ties to
   * the lower class index; NAME_evaluate_metrics). 0 and NULL without. */
  int64_t top_k;
  float (*evaluate_metrics)(const void *state, const float *x, const void *y,
                            int64_t batch, float *outputs, float *top_k_hits);
} kiln_model;

/* Whether the model's labels are class indices (accuracy applies): with
 * several labels, every one, with as many class scores each. */
static inline int kiln_model_is_classifier(const kiln_model *model) {
  return (model->label_dtype == 0 || model->label_dtype == KILN_DTYPE_I32) &&
         (model->num_labels <= 1 ||
          model->output_size % model->num_labels == 0);
}

/* Class scores per example and label of a classifier (output_size for one
 * label). */
static inline int64_t kiln_model_classes_per_label(const kiln_model *model) {
  return model->num_labels > 1 ? model->output_size / model->num_labels
                               : model->output_size;
}

#ifdef __cplusplus
}
#endif

#endif /* KILN_MODEL_H */
