/* dataset.h - an in-memory labelled dataset and its loaders.
 *
 * A dataset holds n examples: float features laid out row-major as
 * [n, example_size] and their labels: one int32 class index per example, or
 * (the *_f32 loaders, for regression) label_size floats per example. Errors are reported by
 * returning NULL (or nonzero) and writing "SOURCE: reason" into err, which
 * may be NULL; messages longer than err_len are truncated.
 */
#ifndef KILN_DATASET_H
#define KILN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "kiln/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_dataset kiln_dataset;

/* Every loader below can also load examples without labels, to predict on:
 * pass NULL for the labels file, column or key. Such a dataset's labels are
 * all 0 and kiln_dataset_has_labels() returns 0; training and evaluation
 * refuse it. */

/* Loads an IDX image file (magic 0x00000803, unsigned bytes [n, rows, cols])
 * and its IDX label file (magic 0x00000801, unsigned bytes [n]). Either file
 * may be gzip-compressed. Each pixel byte p becomes p * scale + shift, e.g.
 * scale = 1/255.0f, shift = 0 for inputs in [0, 1]. */
KILN_API kiln_dataset *kiln_dataset_load_idx(const char *images_path,
                                             const char *labels_path, float scale,
                                             float shift, char *err, size_t err_len);

/* Loads a CSV file whose first row names the columns: `label_column` holds
 * integer class labels, every other column a numeric feature (value v
 * becomes v * scale + shift). Empty, non-numeric, NaN or infinite cells and
 * rows of the wrong width are refused with their line and column. With
 * label_column NULL every column is a feature. */
KILN_API kiln_dataset *kiln_dataset_load_csv(const char *path, const char *label_column,
                                             float scale, float shift, char *err,
                                             size_t err_len);

/* Loads features ([n, ...], float32, int32 or uint8, C order) and labels
 * ([n] or [n, 1], int32, int64 or uint8) from two NumPy .npy files. */
KILN_API kiln_dataset *kiln_dataset_load_npy(const char *features_path,
                                             const char *labels_path, float scale,
                                             float shift, char *err, size_t err_len);

/* The same from one .npz archive (numpy.savez or savez_compressed) holding
 * the arrays `features_key` and `labels_key`, e.g. "x" and "y". */
KILN_API kiln_dataset *kiln_dataset_load_npz(const char *path, const char *features_key,
                                             const char *labels_key, float scale,
                                             float shift, char *err, size_t err_len);

/* The same three loaders with real-valued labels (regression targets): the
 * CSV label column may hold any finite number (label_size 1); the NumPy
 * labels ([n] or [n, k], float32, float64, int32, int64 or uint8) become k
 * floats per example. Labels are not scaled or shifted. */
KILN_API kiln_dataset *kiln_dataset_load_csv_f32(const char *path,
                                                 const char *label_column, float scale,
                                                 float shift, char *err, size_t err_len);
KILN_API kiln_dataset *kiln_dataset_load_npy_f32(const char *features_path,
                                                 const char *labels_path, float scale,
                                                 float shift, char *err, size_t err_len);
KILN_API kiln_dataset *kiln_dataset_load_npz_f32(const char *path,
                                                 const char *features_key,
                                                 const char *labels_key, float scale,
                                                 float shift, char *err, size_t err_len);

/* Copies n examples from caller memory; source names the data in messages. */
KILN_API kiln_dataset *kiln_dataset_create(const char *source, int64_t n,
                                           int64_t example_size, const float *features,
                                           const int32_t *labels, char *err,
                                           size_t err_len);

/* The same with label_size float labels per example ([n, label_size]). */
KILN_API kiln_dataset *kiln_dataset_create_f32(const char *source, int64_t n,
                                               int64_t example_size,
                                               const float *features, int64_t label_size,
                                               const float *labels, char *err,
                                               size_t err_len);

/* Appends `other`'s features to each example of `dataset` (same number of
 * examples): rows become [dataset's features, other's], as a model of
 * several inputs takes them (see kiln_model::num_inputs). Labels stay
 * `dataset`'s. Returns 0, or -1 with a message. */
KILN_API int kiln_dataset_append_features(kiln_dataset *dataset,
                                          const kiln_dataset *other, char *err,
                                          size_t err_len);

/* Appends `other`'s labels to each example of `dataset` (same number of
 * examples, both labelled): the dataset then holds several labels side by
 * side, in the order appended, as a model of several labels takes them (see
 * kiln_model::num_labels). Returns 0, or -1 with a message. */
KILN_API int kiln_dataset_append_labels(kiln_dataset *dataset,
                                        const kiln_dataset *other, char *err,
                                        size_t err_len);

/* Keeps the feature columns `columns[0..count)` (indices into each example,
 * any order, e.g. to group a CSV's columns by input), in that order.
 * Returns 0, or -1 with a message naming an index out of range. */
KILN_API int kiln_dataset_select_features(kiln_dataset *dataset, const int64_t *columns,
                                          int64_t count, char *err, size_t err_len);

/* A new dataset holding copies of the first n examples (n is clamped to the size). */
KILN_API kiln_dataset *kiln_dataset_subset(const kiln_dataset *dataset, int64_t n,
                                           char *err, size_t err_len);

/* Standardizes features in place: each feature f of `train` and, if not
 * NULL, of `other` becomes (f - mean) / std, with the mean and population
 * standard deviation of that feature over `train` (std 0: only centred).
 * The example sizes must match; returns 0, or -1 with a message. */
KILN_API int kiln_dataset_standardize(kiln_dataset *train, kiln_dataset *other,
                                      char *err, size_t err_len);

/* Writes a float32 array of `rank` dimensions (C order) as a NumPy .npy file,
 * atomically. Returns 0, or -1 with a message. */
KILN_API int kiln_write_npy_f32(const char *path, const float *data, int32_t rank,
                                const int64_t *shape, char *err, size_t err_len);

KILN_API void kiln_dataset_free(kiln_dataset *dataset);

KILN_API int64_t kiln_dataset_size(const kiln_dataset *dataset);
KILN_API int64_t kiln_dataset_example_size(const kiln_dataset *dataset);
/* Row-major [size, example_size]. */
KILN_API const float *kiln_dataset_features(const kiln_dataset *dataset);
/* KILN_DTYPE_I32 (class indices, one per example) or KILN_DTYPE_F32
 * (label_size floats per example); of the first label when there are
 * several. */
KILN_API int32_t kiln_dataset_label_dtype(const kiln_dataset *dataset);
KILN_API int64_t kiln_dataset_label_size(const kiln_dataset *dataset);
/* 1, or how many labels kiln_dataset_append_labels put side by side. */
KILN_API int32_t kiln_dataset_num_labels(const kiln_dataset *dataset);
/* [size] class indices; NULL when the labels are floats or several. */
KILN_API const int32_t *kiln_dataset_labels(const kiln_dataset *dataset);
/* [size, label_size] floats; NULL when the labels are class indices or
 * several. */
KILN_API const float *kiln_dataset_labels_f32(const kiln_dataset *dataset);
/* Every label of every example: [size, the sum of the labels' sizes]
 * 4-byte elements, each example's labels side by side in order, each an
 * int32 class index or a float as that label holds. */
KILN_API const void *kiln_dataset_label_rows(const kiln_dataset *dataset);
/* 1 if the dataset was loaded with labels, 0 if not (its labels are 0). */
KILN_API int kiln_dataset_has_labels(const kiln_dataset *dataset);
/* Returns 0 if every label (of each of several) is a class index in
 * [0, num_classes); otherwise
 * -1 and a message naming the first offending index and value, or saying
 * that the dataset has no labels or real-valued ones. */
KILN_API int kiln_dataset_check_labels(const kiln_dataset *dataset, int64_t num_classes,
                                       char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* KILN_DATASET_H */
