//===- Evaluate.h - checks shared by training and evaluation ----*- C++ -*-===//
#ifndef KILN_RUNTIME_EVALUATE_H
#define KILN_RUNTIME_EVALUATE_H

#include "kiln/dataset.h"
#include "kiln/model.h"

namespace kiln {

/// True if the dataset's examples have the model's input size and its labels
/// are valid class indices for the model's outputs; otherwise sets err.
bool checkDatasetFitsModel(const kiln_model &model, const kiln_dataset &dataset,
                           char *err, size_t errLen);

/// True if k is 0 (no top-k accuracy) or the model is a classifier with at
/// least k outputs; otherwise sets err.
bool checkTopK(const kiln_model &model, int64_t k, char *err, size_t errLen);

/// How many of `rows` outputs ([rows, numClasses]) have their argmax at the
/// label; also counts confusion[label * numClasses + predicted] if not null.
int64_t countCorrect(const float *outputs, const int32_t *labels, int64_t rows,
                     int64_t numClasses, int64_t *confusion);

/// How many rows have their label among the top k outputs: fewer than k
/// outputs beat the label's, where an output beats it if greater, or equal
/// at a lower index (the order argmax and a stable descending sort use).
int64_t countInTopK(const float *outputs, const int32_t *labels, int64_t rows,
                    int64_t numClasses, int64_t k);

} // namespace kiln

#endif // KILN_RUNTIME_EVALUATE_H
