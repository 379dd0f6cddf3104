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

typedef struct kiln_model {
  const char *name;
  size_t state_size;      /* bytes: parameters + optimizer slots + step */
  int64_t input_size;     /* floats per example in x (product of non-batch dims) */
  int64_t output_size;    /* floats per example that predict writes (e.g. classes) */
  void (*init)(void *state, uint64_t seed);
  /* One optimizer step on a batch; returns the mean loss before the update. */
  float (*train_step)(void *state, const float *x, const int32_t *y, int64_t batch);
  /* Loss of a batch without updating; writes batch*output_size floats. */
  float (*evaluate)(const void *state, const float *x, const int32_t *y, int64_t batch,
                    float *outputs);
  void (*predict)(const void *state, const float *x, int64_t batch, float *outputs);
} kiln_model;

#ifdef __cplusplus
}
#endif

#endif /* KILN_MODEL_H */
