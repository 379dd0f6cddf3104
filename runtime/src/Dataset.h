//===- Dataset.h - the layout behind the opaque kiln_dataset ----*- C++ -*-===//
#ifndef KILN_RUNTIME_DATASET_H
#define KILN_RUNTIME_DATASET_H

#include "MallocArray.h"

#include "kiln/dataset.h"

#include <string>

struct kiln_dataset {
  int64_t size = 0;
  int64_t exampleSize = 0;
  kiln::MallocArray<float> features; // [size, exampleSize]
  kiln::MallocArray<int32_t> labels; // [size]
  std::string featuresSource;        // names the data in error messages
  std::string labelsSource;
  bool hasLabels = true; // false: loaded to predict on, labels are all 0
};

namespace kiln {

/// A dataset with uninitialized storage for size examples; null (with err)
/// if the sizes are invalid or memory is exhausted.
kiln_dataset *allocateDataset(const char *featuresSource, const char *labelsSource,
                              int64_t size, int64_t exampleSize, char *err,
                              size_t errLen);

/// The same for examples without labels (labels zeroed, hasLabels false).
kiln_dataset *allocateUnlabelledDataset(const char *featuresSource, int64_t size,
                                        int64_t exampleSize, char *err,
                                        size_t errLen);

} // namespace kiln

#endif // KILN_RUNTIME_DATASET_H
