//===- Dataset.h - the layout behind the opaque kiln_dataset ----*- C++ -*-===//
#ifndef KILN_RUNTIME_DATASET_H
#define KILN_RUNTIME_DATASET_H

#include "MallocArray.h"

#include "kiln/dataset.h"
#include "kiln/model.h"

#include <string>
#include <utility>

struct kiln_dataset {
  int64_t size = 0;
  int64_t exampleSize = 0;
  kiln::MallocArray<float> features; // [size, exampleSize]
  /// Class indices (KILN_DTYPE_I32, one per example, in `labels`) or real
  /// values (KILN_DTYPE_F32, labelSize per example, in `values`); the other
  /// array is empty.
  int32_t labelDType = KILN_DTYPE_I32;
  int64_t labelSize = 1;
  kiln::MallocArray<int32_t> labels; // [size]
  kiln::MallocArray<float> values;   // [size, labelSize]
  std::string featuresSource;        // names the data in error messages
  std::string labelsSource;
  bool hasLabels = true; // false: loaded to predict on, labels are all 0

  /// Bytes of one example's labels.
  size_t labelBytes() const { return size_t(labelSize) * 4; }
  /// The first label byte of example `row`.
  const unsigned char *labelsAt(int64_t row) const {
    const void *base = labelDType == KILN_DTYPE_I32
                           ? static_cast<const void *>(labels.get())
                           : static_cast<const void *>(values.get());
    return static_cast<const unsigned char *>(base) + size_t(row) * labelBytes();
  }
  unsigned char *labelsAt(int64_t row) {
    return const_cast<unsigned char *>(std::as_const(*this).labelsAt(row));
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
