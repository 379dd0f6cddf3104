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
  // Label i of the model: its type and its values per example.
  int32_t labels = numLabels(model);
  auto modelDType = [&](int32_t i) {
    return labels > 1                         ? model.label_dtypes[i]
           : kiln_model_is_classifier(&model) ? int32_t(KILN_DTYPE_I32)
                                              : int32_t(KILN_DTYPE_F32);
  };
  auto modelSize = [&](int32_t i) -> int64_t {
    return labels > 1         ? model.label_sizes[i]
           : model.label_size ? model.label_size
                              : 1;
  };
  bool fits = dataset.hasLabels && int32_t(dataset.labelParts.size()) == labels;
  for (int32_t i = 0; fits && i < labels; ++i) {
    const LabelPart &part = dataset.labelParts[size_t(i)];
    fits = part.dtype == modelDType(i) && part.size == modelSize(i);
  }
  if (!fits) {
    // "class indices", "3 real-valued labels", "2 labels (class indices, ...)".
    auto describe = [](int32_t count, auto dtypeOf, auto sizeOf) {
      std::string text;
      for (int32_t i = 0; i < count; ++i) {
        int64_t size = sizeOf(i);
        text += std::string(i ? ", " : "") +
                (dtypeOf(i) == KILN_DTYPE_I32
                     ? "class indices"
                     : std::to_string(size) + " real-valued label" +
                           (size == 1 ? "" : "s"));
      }
      return count == 1 ? text
                        : std::to_string(count) + " labels (" + text + ")";
    };
    std::string wanted = describe(labels, modelDType, modelSize);
    std::string held = !dataset.hasLabels
                           ? "no labels"
                           : describe(
                                 int32_t(dataset.labelParts.size()),
                                 [&](int32_t i) {
                                   return dataset.labelParts[size_t(i)].dtype;
                                 },
                                 [&](int32_t i) {
                                   return dataset.labelParts[size_t(i)].size;
                                 });
    setError(err, errLen,
             "%s: the model takes %s per example, the dataset has %s",
             dataset.labelParts.front().source.c_str(), wanted.c_str(),
             held.c_str());
    return false;
  }
  if (!kiln_model_is_classifier(&model))
    return true;
  // Generated losses index their outputs by label; an out-of-range label
  // would read outside them.
  return kiln_dataset_check_labels(
             &dataset, kiln_model_classes_per_label(&model), err, errLen) == 0;
}

bool kiln::checkTopK(const kiln_model &model, int64_t k, char *err, size_t errLen) {
  if (k == 0 || (k == model.top_k && model.evaluate_metrics))
    return true;
  setError(err, errLen,
           "top-k accuracy with k = %" PRId64 " is compiled into evaluate by "
           "metrics = [top_k_accuracy(k = %" PRId64 ")]; model '%s' has %s",
           k, k, model.name ? model.name : "",
           model.top_k > 0 && model.evaluate_metrics
               ? ("k = " + std::to_string(model.top_k)).c_str()
               : "none");
  return false;
}

int32_t kiln::numLabels(const kiln_model &model) {
  return model.num_labels > 1 ? model.num_labels : 1;
}

int64_t kiln::countCorrect(const kiln_model &model, const float *outputs,
                           const int32_t *labels, int64_t rows,
                           int64_t *confusion, LabelLayout layout) {
  int32_t count = numLabels(model);
  int64_t classes = kiln_model_classes_per_label(&model);
  bool blocks = layout == LabelLayout::PerLabelBlocks;
  int64_t correct = 0;
  for (int64_t row = 0; row < rows; ++row)
    for (int32_t l = 0; l < count; ++l) {
      const float *scores = outputs + row * model.output_size + l * classes;
      int64_t label = blocks ? labels[l * rows + row] : labels[row * count + l];
      int64_t predicted = std::max_element(scores, scores + classes) - scores;
      correct += predicted == label;
      if (confusion)
        ++confusion[(l * classes + label) * classes + predicted];
    }
  return correct;
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
  int64_t numOutputs = model->output_size;
  int64_t classes = kiln_model_classes_per_label(model);
  int32_t labels = numLabels(*model);
  if (!checkTopK(*model, top_k, err, err_len))
    return -1;
  int64_t batchRows = std::min(batch_size, dataset->size);
  MallocArray<float> outputs = allocateArray<float>(batchRows * numOutputs);
  MallocArray<float> packed =
      allocateArray<float>(model->num_inputs > 1 ? batchRows * model->input_size : 1);
  MallocArray<unsigned char> packedLabels = allocateArray<unsigned char>(
      labels > 1 ? batchRows * int64_t(dataset->labelBytes()) : 1);
  if (!outputs || !packed || !packedLabels) {
    setError(err, err_len,
             "out of memory for %" PRId64 " x %" PRId64 " outputs", batchRows,
             numOutputs);
    return -1;
  }
  if (confusion && !classifier) {
    setError(err, err_len, "model '%s' has real-valued labels: no confusion matrix",
             model->name ? model->name : "");
    return -1;
  }
  if (confusion)
    std::fill_n(confusion, labels * classes * classes, 0);

  // A model on the GPU gets the batches copied while the one before runs.
  std::unique_ptr<BatchPrefetcher> prefetcher;
  if (prefetchesBatches(*model)) {
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
      batch.y = packLabels(*model, dataset->labelsAt(first), rows,
                           packedLabels.get());
    }
    // Top-k hits come from the compiled evaluate; a count below 2^24 is
    // exact in f32.
    float hits = 0;
    float batchLoss =
        top_k > 0 ? model->evaluate_metrics(state, batch.x, batch.y, rows,
                                            outputs.get(), &hits)
                  : model->evaluate(state, batch.x, batch.y, rows, outputs.get());
    weightedLoss += double(batchLoss) * double(rows);
    inTopK += int64_t(hits);
    const int32_t *labelRows = dataset->classLabels() + first * labels;
    if (classifier)
      correct +=
          countCorrect(*model, outputs.get(), labelRows, rows, confusion);
  }
  double size = double(dataset->size);
  double pairs = size * double(labels);
  metrics->loss = weightedLoss / size;
  metrics->accuracy = classifier ? double(correct) / pairs : NAN;
  metrics->top_k_accuracy = top_k > 0 ? double(inTopK) / pairs : NAN;
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
