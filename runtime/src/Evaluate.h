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

/// True if k is 0 (no top-k accuracy) or the model computes top-k accuracy
/// for this k (compiled into its evaluate_metrics); otherwise sets err.
bool checkTopK(const kiln_model &model, int64_t k, char *err, size_t errLen);

/// Labels per example of `model` (1 for a model of one label).
int32_t numLabels(const kiln_model &model);

/// How a batch's class labels are laid out: as the dataset stores them,
/// [rows, numLabels], or as the model's functions take them, one [rows]
/// block per label (packLabels). The two are the same for one label.
enum class LabelLayout { DatasetRows, PerLabelBlocks };

/// Over `rows` examples of a classifier, with outputs [rows, output_size]
/// and their class labels in `layout`: how many (example, label) pairs have
/// their argmax, within the label's block of kiln_model_classes_per_label
/// outputs, at the label. Also counts confusion[(l * C + label) * C +
/// predicted] for label l if not null.
int64_t countCorrect(const kiln_model &model, const float *outputs,
                     const int32_t *labels, int64_t rows, int64_t *confusion,
                     LabelLayout layout = LabelLayout::DatasetRows);

} // namespace kiln

#endif // KILN_RUNTIME_EVALUATE_H
