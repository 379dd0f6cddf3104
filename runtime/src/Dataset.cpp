//===- Dataset.cpp - the in-memory dataset ---------------------------------===//

#include "Dataset.h"
#include "Error.h"

#include <algorithm>
#include <cinttypes>
#include <new>

using namespace kiln;

kiln_dataset *kiln::allocateDataset(const char *featuresSource,
                                    const char *labelsSource, int64_t size,
                                    int64_t exampleSize, char *err, size_t errLen) {
  if (size < 0 || exampleSize <= 0) {
    setError(err, errLen, "%s: invalid dataset shape [%" PRId64 ", %" PRId64 "]",
             featuresSource, size, exampleSize);
    return nullptr;
  }
  if (size > INT64_MAX / exampleSize) {
    setError(err, errLen, "%s: dataset of %" PRId64 " x %" PRId64 " floats is too large",
             featuresSource, size, exampleSize);
    return nullptr;
  }
  std::unique_ptr<kiln_dataset> dataset(new (std::nothrow) kiln_dataset);
  if (dataset) {
    dataset->size = size;
    dataset->exampleSize = exampleSize;
    dataset->features = allocateArray<float>(size * exampleSize);
    dataset->labels = allocateArray<int32_t>(size);
    dataset->featuresSource = featuresSource;
    dataset->labelsSource = labelsSource;
  }
  if (!dataset || !dataset->features || !dataset->labels) {
    setError(err, errLen, "%s: out of memory for %" PRId64 " x %" PRId64 " floats",
             featuresSource, size, exampleSize);
    return nullptr;
  }
  return dataset.release();
}

kiln_dataset *kiln_dataset_create(const char *source, int64_t n, int64_t example_size,
                                  const float *features, const int32_t *labels,
                                  char *err, size_t err_len) {
  if (!source)
    source = "dataset";
  if (n > 0 && (!features || !labels)) {
    setError(err, err_len, "%s: features and labels must not be NULL", source);
    return nullptr;
  }
  kiln_dataset *dataset =
      allocateDataset(source, source, n, example_size, err, err_len);
  if (!dataset)
    return nullptr;
  std::copy_n(features, n * example_size, dataset->features.get());
  std::copy_n(labels, n, dataset->labels.get());
  return dataset;
}

kiln_dataset *kiln_dataset_subset(const kiln_dataset *dataset, int64_t n, char *err,
                                  size_t err_len) {
  n = std::clamp<int64_t>(n, 0, dataset->size);
  kiln_dataset *subset =
      allocateDataset(dataset->featuresSource.c_str(), dataset->labelsSource.c_str(),
                      n, dataset->exampleSize, err, err_len);
  if (!subset)
    return nullptr;
  std::copy_n(dataset->features.get(), n * dataset->exampleSize,
              subset->features.get());
  std::copy_n(dataset->labels.get(), n, subset->labels.get());
  return subset;
}

void kiln_dataset_free(kiln_dataset *dataset) { delete dataset; }

int64_t kiln_dataset_size(const kiln_dataset *dataset) { return dataset->size; }

int64_t kiln_dataset_example_size(const kiln_dataset *dataset) {
  return dataset->exampleSize;
}

const float *kiln_dataset_features(const kiln_dataset *dataset) {
  return dataset->features.get();
}

const int32_t *kiln_dataset_labels(const kiln_dataset *dataset) {
  return dataset->labels.get();
}

int kiln_dataset_check_labels(const kiln_dataset *dataset, int64_t num_classes,
                              char *err, size_t err_len) {
  for (int64_t i = 0; i < dataset->size; ++i) {
    int32_t label = dataset->labels[i];
    if (label < 0 || label >= num_classes) {
      setError(err, err_len,
               "%s: label at index %" PRId64 " is %" PRId32
               ", expected 0..%" PRId64 " for %" PRId64 " classes",
               dataset->labelsSource.c_str(), i, label, num_classes - 1, num_classes);
      return -1;
    }
  }
  return 0;
}
