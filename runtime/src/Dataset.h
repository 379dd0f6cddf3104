//===- Dataset.h - the layout behind the opaque kiln_dataset ----*- C++ -*-===//
#ifndef KILN_RUNTIME_DATASET_H
#define KILN_RUNTIME_DATASET_H

#include "MallocArray.h"

#include "kiln/dataset.h"
#include "kiln/model.h"

#include <string>
#include <utility>
#include <vector>

namespace kiln {
/// One label of each example: class indices (KILN_DTYPE_I32, one per
/// example) or real values (KILN_DTYPE_F32, `size` per example).
struct LabelPart {
  int32_t dtype = KILN_DTYPE_I32;
  int64_t size = 1;
  std::string source; // names the labels in error messages
};
} // namespace kiln

struct kiln_dataset {
  int64_t size = 0;
  int64_t exampleSize = 0;
  kiln::MallocArray<float> features; // [size, exampleSize]
  /// The labels of a model of one label, or several side by side
  /// (kiln_dataset_append_labels); never empty.
  std::vector<kiln::LabelPart> labelParts;
  /// [size, labelWidth()] 4-byte elements: each example's labels in
  /// labelParts order, each of its part's type.
  kiln::MallocArray<unsigned char> labelData;
  std::string featuresSource; // names the data in error messages
  bool hasLabels = true; // false: loaded to predict on, labels are all 0

  /// Elements of one example's labels.
  int64_t labelWidth() const {
    int64_t width = 0;
    for (const kiln::LabelPart &part : labelParts)
      width += part.size;
    return width;
  }
  /// Bytes of one example's labels.
  size_t labelBytes() const { return size_t(labelWidth()) * 4; }
  /// The first label byte of example `row`.
  const unsigned char *labelsAt(int64_t row) const {
    return labelData.get() + size_t(row) * labelBytes();
  }
  unsigned char *labelsAt(int64_t row) {
    return const_cast<unsigned char *>(std::as_const(*this).labelsAt(row));
  }
  /// The labels of a dataset of one label, as class indices or as values.
  int32_t *classLabels() const {
    return reinterpret_cast<int32_t *>(labelData.get());
  }
  float *valueLabels() const {
    return reinterpret_cast<float *>(labelData.get());
  }
};

namespace kiln {

/// A dataset with uninitialized storage for size examples and their labels
/// (int32 class indices, or labelSize floats each with KILN_DTYPE_F32); null
/// (with err) if the sizes are invalid or memory is exhausted.
kiln_dataset *allocateDataset(const char *featuresSource, const char *labelsSource,
                              int64_t size, int64_t exampleSize, char *err,
                              size_t errLen, int32_t labelDType = KILN_DTYPE_I32,
                              int64_t labelSize = 1);

/// The same for examples without labels (labels zeroed, hasLabels false).
kiln_dataset *allocateUnlabelledDataset(const char *featuresSource, int64_t size,
                                        int64_t exampleSize, char *err,
                                        size_t errLen);

} // namespace kiln

#endif // KILN_RUNTIME_DATASET_H
