//===- Dataset.cpp - the in-memory dataset ---------------------------------===//

#include "Dataset.h"
#include "Error.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <new>
#include <vector>

using namespace kiln;

kiln_dataset *kiln::allocateDataset(const char *featuresSource,
                                    const char *labelsSource, int64_t size,
                                    int64_t exampleSize, char *err, size_t errLen,
                                    int32_t labelDType, int64_t labelSize) {
  if (size < 0 || exampleSize <= 0 || labelSize <= 0 ||
      (labelDType == KILN_DTYPE_I32 && labelSize != 1)) {
    setError(err, errLen, "%s: invalid dataset shape [%" PRId64 ", %" PRId64 "]",
             featuresSource, size, exampleSize);
    return nullptr;
  }
  if (size > INT64_MAX / exampleSize || size > INT64_MAX / 4 / labelSize) {
    setError(err, errLen, "%s: dataset of %" PRId64 " x %" PRId64 " floats is too large",
             featuresSource, size, exampleSize);
    return nullptr;
  }
  std::unique_ptr<kiln_dataset> dataset(new (std::nothrow) kiln_dataset);
  if (dataset) {
    dataset->size = size;
    dataset->exampleSize = exampleSize;
    dataset->features = allocateArray<float>(size * exampleSize);
    dataset->labelParts = {LabelPart{labelDType, labelSize, labelsSource}};
    dataset->labelData = allocateArray<unsigned char>(size * labelSize * 4);
    dataset->featuresSource = featuresSource;
  }
  if (!dataset || !dataset->features || !dataset->labelData) {
    setError(err, errLen, "%s: out of memory for %" PRId64 " x %" PRId64 " floats",
             featuresSource, size, exampleSize);
    return nullptr;
  }
  return dataset.release();
}

kiln_dataset *kiln::allocateUnlabelledDataset(const char *featuresSource,
                                              int64_t size, int64_t exampleSize,
                                              char *err, size_t errLen) {
  kiln_dataset *dataset =
      allocateDataset(featuresSource, featuresSource, size, exampleSize, err, errLen);
  if (!dataset)
    return nullptr;
  std::fill_n(dataset->classLabels(), size, 0);
  dataset->hasLabels = false;
  return dataset;
}

/// Whether kiln_dataset_create*'s caller passed the arrays its n examples
/// need; an error names `source` otherwise.
static bool hasCreateData(const char *source, int64_t n, const void *features,
                          const void *labels, char *err, size_t err_len) {
  if (n > 0 && (!features || !labels)) {
    setError(err, err_len, "%s: features and labels must not be NULL", source);
    return false;
  }
  return true;
}

kiln_dataset *kiln_dataset_create(const char *source, int64_t n, int64_t example_size,
                                  const float *features, const int32_t *labels,
                                  char *err, size_t err_len) {
  source = source ? source : "dataset";
  if (!hasCreateData(source, n, features, labels, err, err_len))
    return nullptr;
  kiln_dataset *dataset =
      allocateDataset(source, source, n, example_size, err, err_len);
  if (!dataset)
    return nullptr;
  std::copy_n(features, n * example_size, dataset->features.get());
  std::copy_n(labels, n, dataset->classLabels());
  return dataset;
}

kiln_dataset *kiln_dataset_create_f32(const char *source, int64_t n,
                                      int64_t example_size, const float *features,
                                      int64_t label_size, const float *labels,
                                      char *err, size_t err_len) {
  source = source ? source : "dataset";
  if (!hasCreateData(source, n, features, labels, err, err_len))
    return nullptr;
  kiln_dataset *dataset = allocateDataset(source, source, n, example_size, err,
                                          err_len, KILN_DTYPE_F32, label_size);
  if (!dataset)
    return nullptr;
  std::copy_n(features, n * example_size, dataset->features.get());
  std::copy_n(labels, n * label_size, dataset->valueLabels());
  return dataset;
}

kiln_dataset *kiln_dataset_subset(const kiln_dataset *dataset, int64_t n, char *err,
                                  size_t err_len) {
  n = std::clamp<int64_t>(n, 0, dataset->size);
  kiln_dataset *subset = allocateDataset(dataset->featuresSource.c_str(), "", n,
                                         dataset->exampleSize, err, err_len,
                                         KILN_DTYPE_F32, dataset->labelWidth());
  if (!subset)
    return nullptr;
  subset->labelParts = dataset->labelParts;
  std::copy_n(dataset->features.get(), n * dataset->exampleSize,
              subset->features.get());
  if (n > 0)
    std::copy_n(dataset->labelsAt(0), size_t(n) * dataset->labelBytes(),
                subset->labelsAt(0));
  subset->hasLabels = dataset->hasLabels;
  return subset;
}

int kiln_dataset_append_labels(kiln_dataset *dataset, const kiln_dataset *other,
                               char *err, size_t err_len) {
  if (other->size != dataset->size || !other->hasLabels ||
      !dataset->hasLabels) {
    setError(err, err_len,
             "%s: %" PRId64 " labelled examples, but %s has %" PRId64 "%s",
             other->labelParts.front().source.c_str(),
             other->hasLabels ? other->size : 0,
             dataset->labelParts.front().source.c_str(), dataset->size,
             dataset->hasLabels ? "" : " without labels");
    return -1;
  }
  size_t left = dataset->labelBytes(), right = other->labelBytes();
  MallocArray<unsigned char> labels =
      allocateArray<unsigned char>(dataset->size * int64_t(left + right));
  if (!labels) {
    setError(err, err_len, "%s: out of memory for its labels",
             other->labelParts.front().source.c_str());
    return -1;
  }
  for (int64_t i = 0; i < dataset->size; ++i) {
    std::copy_n(dataset->labelsAt(i), left,
                labels.get() + size_t(i) * (left + right));
    std::copy_n(other->labelsAt(i), right,
                labels.get() + size_t(i) * (left + right) + left);
  }
  dataset->labelData = std::move(labels);
  dataset->labelParts.insert(dataset->labelParts.end(),
                             other->labelParts.begin(),
                             other->labelParts.end());
  return 0;
}

int kiln_dataset_append_features(kiln_dataset *dataset, const kiln_dataset *other,
                                 char *err, size_t err_len) {
  if (other->size != dataset->size) {
    setError(err, err_len, "%s: %" PRId64 " examples, but %s has %" PRId64,
             other->featuresSource.c_str(), other->size,
             dataset->featuresSource.c_str(), dataset->size);
    return -1;
  }
  int64_t left = dataset->exampleSize, right = other->exampleSize;
  int64_t width = left + right;
  MallocArray<float> features = allocateArray<float>(dataset->size * width);
  if (!features) {
    setError(err, err_len, "%s: out of memory for %" PRId64 " x %" PRId64 " floats",
             other->featuresSource.c_str(), dataset->size, width);
    return -1;
  }
  for (int64_t i = 0; i < dataset->size; ++i) {
    std::copy_n(dataset->features.get() + i * left, left, features.get() + i * width);
    std::copy_n(other->features.get() + i * right, right,
                features.get() + i * width + left);
  }
  dataset->features = std::move(features);
  dataset->exampleSize = width;
  return 0;
}

int kiln_dataset_select_features(kiln_dataset *dataset, const int64_t *columns,
                                 int64_t count, char *err, size_t err_len) {
  int64_t width = dataset->exampleSize;
  for (int64_t j = 0; j < count; ++j)
    if (columns[j] < 0 || columns[j] >= width) {
      setError(err, err_len, "%s: feature column %" PRId64 " of %" PRId64 " does not exist",
               dataset->featuresSource.c_str(), columns[j], width);
      return -1;
    }
  if (count <= 0) {
    setError(err, err_len, "%s: no feature columns selected",
             dataset->featuresSource.c_str());
    return -1;
  }
  MallocArray<float> features = allocateArray<float>(dataset->size * count);
  if (!features) {
    setError(err, err_len, "%s: out of memory for %" PRId64 " x %" PRId64 " floats",
             dataset->featuresSource.c_str(), dataset->size, count);
    return -1;
  }
  for (int64_t i = 0; i < dataset->size; ++i)
    for (int64_t j = 0; j < count; ++j)
      features[i * count + j] = dataset->features[i * width + columns[j]];
  dataset->features = std::move(features);
  dataset->exampleSize = count;
  return 0;
}

void kiln_dataset_free(kiln_dataset *dataset) { delete dataset; }

int64_t kiln_dataset_size(const kiln_dataset *dataset) { return dataset->size; }

int64_t kiln_dataset_example_size(const kiln_dataset *dataset) {
  return dataset->exampleSize;
}

const float *kiln_dataset_features(const kiln_dataset *dataset) {
  return dataset->features.get();
}

/// The dataset's one label if it is of `dtype`, else null.
static const kiln::LabelPart *onlyLabel(const kiln_dataset *dataset,
                                        int32_t dtype) {
  const LabelPart &first = dataset->labelParts.front();
  return dataset->labelParts.size() == 1 && first.dtype == dtype ? &first
                                                                 : nullptr;
}

const int32_t *kiln_dataset_labels(const kiln_dataset *dataset) {
  return onlyLabel(dataset, KILN_DTYPE_I32) ? dataset->classLabels() : nullptr;
}

const float *kiln_dataset_labels_f32(const kiln_dataset *dataset) {
  return onlyLabel(dataset, KILN_DTYPE_F32) ? dataset->valueLabels() : nullptr;
}

int32_t kiln_dataset_label_dtype(const kiln_dataset *dataset) {
  return dataset->labelParts.front().dtype;
}

int64_t kiln_dataset_label_size(const kiln_dataset *dataset) {
  return dataset->labelParts.front().size;
}

const void *kiln_dataset_label_rows(const kiln_dataset *dataset) {
  return dataset->labelData.get();
}

int32_t kiln_dataset_num_labels(const kiln_dataset *dataset) {
  return int32_t(dataset->labelParts.size());
}

int kiln_dataset_check_labels(const kiln_dataset *dataset, int64_t num_classes,
                              char *err, size_t err_len) {
  if (!dataset->hasLabels) {
    setError(err, err_len, "%s: the dataset has no labels",
             dataset->featuresSource.c_str());
    return -1;
  }
  int64_t width = dataset->labelWidth(), column = 0;
  for (const LabelPart &part : dataset->labelParts) {
    if (part.dtype != KILN_DTYPE_I32) {
      setError(err, err_len,
               "%s: the labels are real values, not class indices",
               part.source.c_str());
      return -1;
    }
    for (int64_t i = 0; i < dataset->size; ++i) {
      int32_t label = dataset->classLabels()[i * width + column];
      if (label < 0 || label >= num_classes) {
        setError(err, err_len,
                 "%s: label at index %" PRId64 " is %" PRId32
                 ", expected 0..%" PRId64 " for %" PRId64 " classes",
                 part.source.c_str(), i, label, num_classes - 1, num_classes);
        return -1;
      }
    }
    column += part.size;
  }
  return 0;
}

int kiln_dataset_has_labels(const kiln_dataset *dataset) {
  return dataset->hasLabels ? 1 : 0;
}

int kiln_dataset_standardize(kiln_dataset *train, kiln_dataset *other, char *err,
                             size_t err_len) {
  int64_t n = train->size, width = train->exampleSize;
  if (n == 0) {
    setError(err, err_len, "%s: cannot standardize with an empty train set",
             train->featuresSource.c_str());
    return -1;
  }
  if (other && other->exampleSize != width) {
    setError(err, err_len,
             "%s: %" PRId64 " features per example, but the train set %s has %" PRId64,
             other->featuresSource.c_str(), other->exampleSize,
             train->featuresSource.c_str(), width);
    return -1;
  }
  // Two passes in double: the mean, then the variance around it.
  std::vector<double> mean(static_cast<size_t>(width), 0.0),
      variance(static_cast<size_t>(width), 0.0);
  const float *features = train->features.get();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < width; ++j)
      mean[size_t(j)] += features[i * width + j];
  for (double &m : mean)
    m /= double(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < width; ++j) {
      double d = features[i * width + j] - mean[size_t(j)];
      variance[size_t(j)] += d * d;
    }
  std::vector<double> scale(static_cast<size_t>(width));
  for (int64_t j = 0; j < width; ++j) {
    double deviation = std::sqrt(variance[size_t(j)] / double(n));
    scale[size_t(j)] = deviation > 0 ? 1.0 / deviation : 1.0;
  }
  for (kiln_dataset *dataset : {train, other}) {
    if (!dataset)
      continue;
    float *values = dataset->features.get();
    for (int64_t i = 0; i < dataset->size; ++i)
      for (int64_t j = 0; j < width; ++j) {
        float &v = values[i * width + j];
        v = float((v - mean[size_t(j)]) * scale[size_t(j)]);
      }
  }
  return 0;
}
