//===- Evaluate.cpp - loss, accuracy and confusion over a dataset ----------===//

#include "Evaluate.h"
#include "Dataset.h"
#include "Error.h"
#include "MallocArray.h"

#include "kiln/train.h"

#include <algorithm>
#include <cinttypes>

using namespace kiln;

bool kiln::checkDatasetFitsModel(const kiln_model &model, const kiln_dataset &dataset,
                                 char *err, size_t errLen) {
  if (dataset.exampleSize != model.input_size) {
    setError(err, errLen, "%s: dataset has %" PRId64
             " floats per example, model expects %" PRId64,
             dataset.featuresSource.c_str(), dataset.exampleSize, model.input_size);
    return false;
  }
  // Generated losses index their outputs by label; an out-of-range label
  // would read outside them.
  return kiln_dataset_check_labels(&dataset, model.output_size, err, errLen) == 0;
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

int kiln_evaluate(const kiln_model *model, const void *state,
                  const kiln_dataset *dataset, int64_t batch_size, double *loss,
                  double *accuracy, int64_t *confusion, char *err, size_t err_len) {
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
  int64_t numClasses = model->output_size;
  int64_t batchRows = std::min(batch_size, dataset->size);
  MallocArray<float> outputs = allocateArray<float>(batchRows * numClasses);
  if (!outputs) {
    setError(err, err_len, "out of memory for %" PRId64 " x %" PRId64 " outputs",
             batchRows, numClasses);
    return -1;
  }
  if (confusion)
    std::fill_n(confusion, numClasses * numClasses, 0);

  double weightedLoss = 0;
  int64_t correct = 0;
  for (int64_t first = 0; first < dataset->size; first += batchRows) {
    int64_t rows = std::min(batchRows, dataset->size - first);
    const int32_t *labels = dataset->labels.get() + first;
    float batchLoss =
        model->evaluate(state, dataset->features.get() + first * dataset->exampleSize,
                        labels, rows, outputs.get());
    weightedLoss += double(batchLoss) * double(rows);
    correct += countCorrect(outputs.get(), labels, rows, numClasses, confusion);
  }
  if (loss)
    *loss = weightedLoss / double(dataset->size);
  if (accuracy)
    *accuracy = double(correct) / double(dataset->size);
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
  for (int64_t first = 0; first < dataset->size; first += batch_size) {
    int64_t rows = std::min(batch_size, dataset->size - first);
    model->predict(state, dataset->features.get() + first * dataset->exampleSize,
                   rows, outputs + first * model->output_size);
  }
  return 0;
}
