//===- Evaluate.cpp - loss, accuracy and confusion over a dataset ----------===//

#include "Evaluate.h"
#include "Dataset.h"
#include "DeviceBatches.h"
#include "Error.h"
#include "MallocArray.h"
#include "PackInputs.h"

#include "kiln/train.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <string>

using namespace kiln;

bool kiln::checkDatasetFitsModel(const kiln_model &model, const kiln_dataset &dataset,
                                 char *err, size_t errLen) {
  if (dataset.exampleSize != model.input_size) {
    setError(err, errLen, "%s: dataset has %" PRId64
             " floats per example, model expects %" PRId64,
             dataset.featuresSource.c_str(), dataset.exampleSize, model.input_size);
    return false;
  }
  int64_t inputs = 0;
  for (int32_t i = 0; i < model.num_inputs; ++i)
    inputs += model.input_sizes[i];
  if (model.num_inputs > 1 && inputs != model.input_size) {
    setError(err, errLen, "model '%s': its %" PRId32 " inputs hold %" PRId64
             " floats per example, not input_size %" PRId64,
             model.name ? model.name : "", model.num_inputs, inputs, model.input_size);
    return false;
  }
  if (!kiln_model_is_classifier(&model)) {
    int64_t labelSize = model.label_size ? model.label_size : 1;
    if (!dataset.hasLabels || dataset.labelDType != KILN_DTYPE_F32 ||
        dataset.labelSize != labelSize) {
      setError(err, errLen,
               "%s: the model takes %" PRId64 " real-valued label%s per example, "
               "the dataset has %s",
               dataset.labelsSource.c_str(), labelSize, labelSize == 1 ? "" : "s",
               !dataset.hasLabels ? "no labels"
               : dataset.labelDType == KILN_DTYPE_I32
                   ? "class indices"
                   : (std::to_string(dataset.labelSize) + " per example").c_str());
      return false;
    }
    return true;
  }
  // Generated losses index their outputs by label; an out-of-range label
  // would read outside them.
  return kiln_dataset_check_labels(&dataset, model.output_size, err, errLen) == 0;
}

bool kiln::checkTopK(const kiln_model &model, int64_t k, char *err, size_t errLen) {
  bool classifier = kiln_model_is_classifier(&model);
  if (k >= 0 && (k == 0 || (classifier && k <= model.output_size)))
    return true;
  setError(err, errLen,
           "top-k accuracy with k = %" PRId64 " needs a classifier with at least k "
           "outputs; model '%s' has %" PRId64 " outputs%s",
           k, model.name ? model.name : "", model.output_size,
           classifier ? "" : " and real-valued labels");
  return false;
}

int64_t kiln::countCorrect(const float *outputs, const int32_t *labels, int64_t rows,
                           int64_t numClasses, int64_t *confusion) {
  int64_t correct = 0;
  for (int64_t row = 0; row < rows; ++row) {
    const float *scores = outputs + row * numClasses;
    int64_t predicted = std::max_element(scores, scores + numClasses) - scores;
    correct += predicted == labels[row];
    if (confusion)
      ++confusion[labels[row] * numClasses + predicted];
  }
  return correct;
}

int64_t kiln::countInTopK(const float *outputs, const int32_t *labels, int64_t rows,
                          int64_t numClasses, int64_t k) {
  int64_t inTopK = 0;
  for (int64_t row = 0; row < rows; ++row) {
    const float *scores = outputs + row * numClasses;
    int64_t label = labels[row];
    int64_t beaten = 0;
    for (int64_t c = 0; c < numClasses; ++c)
      beaten += scores[c] > scores[label] || (scores[c] == scores[label] && c < label);
    inTopK += beaten < k;
  }
  return inTopK;
}

int kiln_evaluate(const kiln_model *model, const void *state,
                  const kiln_dataset *dataset, int64_t batch_size, double *loss,
                  double *accuracy, int64_t *confusion, char *err, size_t err_len) {
  kiln_metrics metrics;
  if (kiln_evaluate_metrics(model, state, dataset, batch_size, 0, &metrics, confusion,
                            err, err_len) != 0)
    return -1;
  if (loss)
    *loss = metrics.loss;
  if (accuracy)
    *accuracy = metrics.accuracy;
  return 0;
}

int kiln_evaluate_metrics(const kiln_model *model, const void *state,
                          const kiln_dataset *dataset, int64_t batch_size, int64_t top_k,
                          kiln_metrics *metrics, int64_t *confusion, char *err,
                          size_t err_len) {
  if (!model->evaluate) {
    setError(err, err_len, "model '%s' has no evaluate function",
             model->name ? model->name : "");
    return -1;
  }
  if (batch_size <= 0) {
    setError(err, err_len, "evaluation batch size must be positive, got %" PRId64,
             batch_size);
    return -1;
  }
  if (dataset->size == 0) {
    setError(err, err_len, "%s: cannot evaluate on an empty dataset",
             dataset->featuresSource.c_str());
    return -1;
  }
  if (!checkDatasetFitsModel(*model, *dataset, err, err_len))
    return -1;
  bool classifier = kiln_model_is_classifier(model);
  int64_t numClasses = model->output_size;
  if (!checkTopK(*model, top_k, err, err_len))
    return -1;
  int64_t batchRows = std::min(batch_size, dataset->size);
  MallocArray<float> outputs = allocateArray<float>(batchRows * numClasses);
  MallocArray<float> packed =
      allocateArray<float>(model->num_inputs > 1 ? batchRows * model->input_size : 1);
  if (!outputs || !packed) {
    setError(err, err_len, "out of memory for %" PRId64 " x %" PRId64 " outputs",
             batchRows, numClasses);
    return -1;
  }
  if (confusion && !classifier) {
    setError(err, err_len, "model '%s' has real-valued labels: no confusion matrix",
             model->name ? model->name : "");
    return -1;
  }
  if (confusion)
    std::fill_n(confusion, numClasses * numClasses, 0);

  // A model on the GPU gets the batches copied while the one before runs.
  std::unique_ptr<BatchPrefetcher> prefetcher;
  if (stateOnDevice(*model)) {
    prefetcher = createDevicePrefetcher(*model, *dataset, batchRows);
    prefetcher->start([&, staged = int64_t(0)](float *x, void *y) mutable -> int64_t {
      int64_t rows = std::min(batchRows, dataset->size - staged);
      stageBatch(*model, *dataset,
                 dataset->features.get() + staged * dataset->exampleSize,
                 dataset->labelsAt(staged), rows, x, y);
      staged += rows;
      return rows;
    });
  }

  double weightedLoss = 0;
  int64_t correct = 0, inTopK = 0;
  for (int64_t first = 0; first < dataset->size; first += batchRows) {
    int64_t rows = std::min(batchRows, dataset->size - first);
    DeviceBatch batch;
    if (prefetcher) {
      prefetcher->next(batch); // these rows, staged ahead
    } else {
      batch.x = packInputs(*model,
                           dataset->features.get() + first * dataset->exampleSize,
                           rows, packed.get());
      batch.y = dataset->labelsAt(first);
    }
    float batchLoss = model->evaluate(state, batch.x, batch.y, rows, outputs.get());
    weightedLoss += double(batchLoss) * double(rows);
    const int32_t *labels = dataset->labels.get() + first;
    if (classifier)
      correct += countCorrect(outputs.get(), labels, rows, numClasses, confusion);
    if (top_k > 0)
      inTopK += countInTopK(outputs.get(), labels, rows, numClasses, top_k);
  }
  double size = double(dataset->size);
  metrics->loss = weightedLoss / size;
  metrics->accuracy = classifier ? double(correct) / size : NAN;
  metrics->top_k_accuracy = top_k > 0 ? double(inTopK) / size : NAN;
  return 0;
}

int kiln_predict(const kiln_model *model, const void *state,
                 const kiln_dataset *dataset, int64_t batch_size, float *outputs,
                 char *err, size_t err_len) {
  if (!model->predict) {
    setError(err, err_len, "model '%s' has no predict function",
             model->name ? model->name : "");
    return -1;
  }
  if (batch_size <= 0) {
    setError(err, err_len, "prediction batch size must be positive, got %" PRId64,
             batch_size);
    return -1;
  }
  if (dataset->size == 0) {
    setError(err, err_len, "%s: no examples to predict on",
             dataset->featuresSource.c_str());
    return -1;
  }
  if (dataset->exampleSize != model->input_size) {
    setError(err, err_len, "%s: %" PRId64 " floats per example, model '%s' expects %" PRId64,
             dataset->featuresSource.c_str(), dataset->exampleSize,
             model->name ? model->name : "", model->input_size);
    return -1;
  }
  int64_t batchRows = std::min(batch_size, dataset->size);
  MallocArray<float> packed =
      allocateArray<float>(model->num_inputs > 1 ? batchRows * model->input_size : 1);
  if (!packed) {
    setError(err, err_len, "out of memory for batches of %" PRId64 " examples",
             batchRows);
    return -1;
  }
  for (int64_t first = 0; first < dataset->size; first += batchRows) {
    int64_t rows = std::min(batchRows, dataset->size - first);
    model->predict(state,
                   packInputs(*model,
                              dataset->features.get() + first * dataset->exampleSize,
                              rows, packed.get()),
                   rows, outputs + first * model->output_size);
  }
  return 0;
}
