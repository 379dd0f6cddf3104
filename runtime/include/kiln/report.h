/* report.h - what a training run measured, and its JSON form.
 *
 * Values that were not measured (e.g. test metrics without a test set) are
 * NaN in the struct and null in JSON.
 */
#ifndef KILN_REPORT_H
#define KILN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_epoch_stats {
  int64_t epoch; /* 1-based */
  double train_loss; /* mean of the epoch's step losses */
  double test_loss;
  double test_accuracy;
  /* mean accuracy of the batches sampled every log_every steps (each
   * measured before its update); NaN when none was sampled */
  double train_accuracy;
} kiln_epoch_stats;

typedef struct kiln_report {
  char *model; /* owned copy of kiln_model::name */
  double test_accuracy;
  double test_loss;
  double train_loss; /* mean over the last epoch's steps */
  int64_t epochs;    /* epochs completed */
  int64_t steps;     /* train steps completed */
  int64_t batch_size;
  uint64_t seed;
  double train_seconds; /* batching + train steps only, evaluation excluded */
  double images_per_second;
  int64_t history_size;      /* entries in history */
  kiln_epoch_stats *history; /* owned, one entry per completed epoch */
  /* Nonzero for a model with real-valued labels: it has no accuracy, and
   * the JSON leaves the accuracy keys out. */
  int regression;
  /* > 0: test_top_k_accuracy is the fraction of test examples whose label is
   * among the top_k outputs after the last epoch (see kiln_evaluate_metrics). */
  int64_t top_k;
  double test_top_k_accuracy;
} kiln_report;

/* Releases what the report owns and zeroes it; safe on a zeroed report. */
KILN_API void kiln_report_free(kiln_report *report);

/* Writes the report as a JSON object to `path`, atomically: a reader sees
 * either the previous file or the complete new one. Returns 0, or -1 with err. */
KILN_API int kiln_report_write_json(const kiln_report *report, const char *path,
                                    char *err, size_t err_len);

/* Writes the learning curves as an SVG image (atomically, like the JSON):
 * loss and accuracy per epoch, train against test. */
KILN_API int kiln_report_write_svg(const kiln_report *report, const char *path,
                                   char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* KILN_REPORT_H */
