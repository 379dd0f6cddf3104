//===- NpyLoader.cpp - datasets from NumPy .npy and .npz files -------------===//

#include "Dataset.h"
#include "Error.h"
#include "NpyArray.h"
#include "ReadFile.h"
#include "ZipReader.h"

#include "kiln/model.h"

#include <cinttypes>
#include <cmath>
#include <memory>

using namespace kiln;

namespace {

/// Checks that real-valued labels are [n] or [n, k] numbers; sets their
/// count per example.
bool checkValueLabels(const NpyArray &labels, const std::string &labelsSource,
                      int64_t examples, int64_t &labelSize, char *err, size_t errLen) {
  if (labels.dtype != KILN_DTYPE_F32 && labels.dtype != KILN_DTYPE_F64 &&
      labels.dtype != KILN_DTYPE_I32 && labels.dtype != KILN_DTYPE_I64 &&
      labels.dtype != KILN_DTYPE_U8) {
    setError(err, errLen, "%s: labels must be float32, float64, int32, int64 or uint8",
             labelsSource.c_str());
    return false;
  }
  if (labels.shape.empty() || labels.shape.size() > 2 || labels.shape[0] != examples) {
    setError(err, errLen, "%s: %zu-d labels of %" PRId64 " rows for %" PRId64
             " examples; expected shape (%" PRId64 ",) or (%" PRId64 ", k)",
             labelsSource.c_str(), labels.shape.size(),
             labels.shape.empty() ? 0 : labels.shape[0], examples, examples, examples);
    return false;
  }
  labelSize = labels.shape.size() == 2 ? labels.shape[1] : 1;
  if (labelSize == 0) {
    setError(err, errLen, "%s: no label values per example", labelsSource.c_str());
    return false;
  }
  return true;
}

/// Checks that the arrays pair up as features and labels (null: none) and
/// copies them; labels are class indices (KILN_DTYPE_I32) or values
/// (KILN_DTYPE_F32).
kiln_dataset *makeDataset(const NpyArray &features, const std::string &featuresSource,
                          const NpyArray *labels, const std::string &labelsSource,
                          int32_t labelDType, float scale, float shift, char *err,
                          size_t errLen) {
  if (features.dtype != KILN_DTYPE_F32 && features.dtype != KILN_DTYPE_I32 &&
      features.dtype != KILN_DTYPE_U8) {
    setError(err, errLen, "%s: features must be float32, int32 or uint8",
             featuresSource.c_str());
    return nullptr;
  }
  if (features.shape.empty() || features.shape[0] == 0) {
    setError(err, errLen, "%s: features need a leading example dimension",
             featuresSource.c_str());
    return nullptr;
  }
  int64_t labelSize = 1;
  if (labels && labelDType == KILN_DTYPE_F32) {
    if (!checkValueLabels(*labels, labelsSource, features.shape[0], labelSize, err,
                          errLen))
      return nullptr;
  } else if (labels) {
    if (labels->dtype != KILN_DTYPE_I32 && labels->dtype != KILN_DTYPE_I64 &&
        labels->dtype != KILN_DTYPE_U8) {
      setError(err, errLen, "%s: labels must be int32, int64 or uint8 class indices",
               labelsSource.c_str());
      return nullptr;
    }
    bool labelsAreColumn = labels->shape.size() == 1 ||
                           (labels->shape.size() == 2 && labels->shape[1] == 1);
    if (!labelsAreColumn || labels->shape[0] != features.shape[0]) {
      setError(err, errLen, "%s: %zu-d labels of %" PRId64 " rows for %" PRId64
               " examples; expected shape (%" PRId64 ",)",
               labelsSource.c_str(), labels->shape.size(),
               labels->shape.empty() ? 0 : labels->shape[0], features.shape[0],
               features.shape[0]);
      return nullptr;
    }
  }
  int64_t n = features.shape[0];
  std::unique_ptr<kiln_dataset> dataset(
      labels ? allocateDataset(featuresSource.c_str(), labelsSource.c_str(), n,
                               features.count() / n, err, errLen, labelDType,
                               labelSize)
             : allocateUnlabelledDataset(featuresSource.c_str(), n,
                                         features.count() / n, err, errLen));
  if (!dataset)
    return nullptr;
  for (int64_t i = 0, e = features.count(); i < e; ++i) {
    double value = features.at(i);
    if (!std::isfinite(value)) {
      setError(err, errLen, "%s: feature %" PRId64 " of example %" PRId64 " is %g",
               featuresSource.c_str(), i % dataset->exampleSize,
               i / dataset->exampleSize, value);
      return nullptr;
    }
    dataset->features[i] = float(value) * scale + shift;
  }
  for (int64_t i = 0; labels && labelDType == KILN_DTYPE_F32 && i < n * labelSize;
       ++i) {
    double value = labels->at(i);
    if (!std::isfinite(value)) {
      setError(err, errLen, "%s: label value %" PRId64 " is %g", labelsSource.c_str(),
               i, value);
      return nullptr;
    }
    dataset->valueLabels()[i] = float(value);
  }
  for (int64_t i = 0; labels && labelDType == KILN_DTYPE_I32 && i < n; ++i) {
    double label = labels->at(i);
    if (label < 0 || label > INT32_MAX) {
      setError(err, errLen, "%s: label at index %" PRId64 " is %g, not a class index",
               labelsSource.c_str(), i, label);
      return nullptr;
    }
    dataset->classLabels()[i] = int32_t(label);
  }
  return dataset.release();
}

kiln_dataset *loadNpy(const char *features_path, const char *labels_path,
                      int32_t labelDType, float scale, float shift, char *err,
                      size_t err_len) {
  std::vector<unsigned char> featureBytes, labelBytes;
  NpyArray features, labels;
  if (!readWholeFile(features_path, featureBytes, err, err_len) ||
      !parseNpy(featureBytes, features_path, features, err, err_len))
    return nullptr;
  if (labels_path && (!readWholeFile(labels_path, labelBytes, err, err_len) ||
                      !parseNpy(labelBytes, labels_path, labels, err, err_len)))
    return nullptr;
  return makeDataset(features, features_path, labels_path ? &labels : nullptr,
                     labels_path ? labels_path : "", labelDType, scale, shift, err,
                     err_len);
}

kiln_dataset *loadNpz(const char *path, const char *features_key,
                      const char *labels_key, int32_t labelDType, float scale,
                      float shift, char *err, size_t err_len) {
  std::vector<unsigned char> archive, featureBytes, labelBytes;
  std::string featuresSource = std::string(path) + ":" + features_key;
  std::string labelsSource =
      labels_key ? std::string(path) + ":" + labels_key : std::string();
  NpyArray features, labels;
  if (!readWholeFile(path, archive, err, err_len) ||
      !readZipMember(archive, std::string(features_key) + ".npy", path, featureBytes,
                     err, err_len) ||
      !parseNpy(featureBytes, featuresSource, features, err, err_len))
    return nullptr;
  if (labels_key &&
      (!readZipMember(archive, std::string(labels_key) + ".npy", path, labelBytes,
                      err, err_len) ||
       !parseNpy(labelBytes, labelsSource, labels, err, err_len)))
    return nullptr;
  return makeDataset(features, featuresSource, labels_key ? &labels : nullptr,
                     labelsSource, labelDType, scale, shift, err, err_len);
}

} // namespace

kiln_dataset *kiln_dataset_load_npy(const char *features_path, const char *labels_path,
                                    float scale, float shift, char *err,
                                    size_t err_len) {
  return loadNpy(features_path, labels_path, KILN_DTYPE_I32, scale, shift, err,
                 err_len);
}

kiln_dataset *kiln_dataset_load_npy_f32(const char *features_path,
                                        const char *labels_path, float scale,
                                        float shift, char *err, size_t err_len) {
  return loadNpy(features_path, labels_path, KILN_DTYPE_F32, scale, shift, err,
                 err_len);
}

kiln_dataset *kiln_dataset_load_npz(const char *path, const char *features_key,
                                    const char *labels_key, float scale, float shift,
                                    char *err, size_t err_len) {
  return loadNpz(path, features_key, labels_key, KILN_DTYPE_I32, scale, shift, err,
                 err_len);
}

kiln_dataset *kiln_dataset_load_npz_f32(const char *path, const char *features_key,
                                        const char *labels_key, float scale,
                                        float shift, char *err, size_t err_len) {
  return loadNpz(path, features_key, labels_key, KILN_DTYPE_F32, scale, shift, err,
                 err_len);
}
