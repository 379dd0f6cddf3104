//===- CudaPrefetchTest.cpp - kiln_train's batch prefetching, fake driver -===//
//
// libkilnrt's training loop and evaluation with a model whose state lives
// "on the device", over FakeCudaDriver.cpp (KILN_CUDA_DRIVER): the copy
// engine's real driver calls, checked from inside the steps. The model is
// host code standing in for generated code: each step checks that its
// inputs and labels are device buffers holding the right batch and that
// its compute stream waited for their copy; the batches it sees are
// compared with the same loop without prefetching and with the batcher's
// order. (Copies the GPU would run late are BatchPrefetcherTest's part.)
//
//===----------------------------------------------------------------------===//
#include "kiln/batcher.h"
#include "kiln/cuda.h"
#include "kiln/train.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdlib>
#include <memory>
#include <numeric>
#include <vector>

namespace {

constexpr int64_t kInputs = 3, kClasses = 32;

using IsDeviceFn = int (*)(const void *, size_t);
using SeesCopyFn = int (*)(const void *, const void *, size_t);
IsDeviceFn isDevice;
SeesCopyFn streamSeesCopy;

bool prefetching = false;                  // what the train steps expect
std::vector<std::vector<int32_t>> stepped; // each train step's labels
std::vector<std::vector<int32_t>> evaluated;
std::vector<bool> evaluatedOnDevice;

/// The labels of a batch, after checking that it is on the device when
/// `ahead` (and the compute stream waited for its copy) or else on the
/// host, and that the inputs match the labels.
std::vector<int32_t> checkBatch(const float *x, const void *y, int64_t rows,
                                bool ahead) {
  size_t xBytes = size_t(rows * kInputs) * sizeof(float);
  size_t yBytes = size_t(rows) * sizeof(int32_t);
  EXPECT_EQ(isDevice(x, xBytes) != 0, ahead);
  EXPECT_EQ(isDevice(y, yBytes) != 0, ahead);
  if (ahead) {
    void *compute = mgpuStreamCreate(); // the stream generated code runs on
    EXPECT_TRUE(streamSeesCopy(compute, x, xBytes)) << "step before its inputs' copy";
    EXPECT_TRUE(streamSeesCopy(compute, y, yBytes)) << "step before its labels' copy";
  }
  const auto *labels = static_cast<const int32_t *>(y);
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t k = 0; k < kInputs; ++k)
      EXPECT_EQ(x[row * kInputs + k], float(labels[row]) + 0.25f * float(k));
  return std::vector<int32_t>(labels, labels + rows);
}

float meanLabel(const std::vector<int32_t> &labels) {
  return float(std::accumulate(labels.begin(), labels.end(), 0.0) /
               double(labels.size()));
}

void fakeInit(void *, uint64_t) {}
float fakeTrainStep(void *, const float *x, const void *y, int64_t rows) {
  stepped.push_back(checkBatch(x, y, rows, prefetching));
  return meanLabel(stepped.back());
}
/// Predicts the label, except for labels divisible by 3 (class 0 instead).
/// Records whether the batch came on the device.
float fakeEvaluate(const void *, const float *x, const void *y, int64_t rows,
                   float *outputs) {
  bool onDevice = isDevice(x, size_t(rows * kInputs) * sizeof(float));
  std::vector<int32_t> labels = checkBatch(x, y, rows, onDevice);
  evaluated.push_back(labels);
  evaluatedOnDevice.push_back(onDevice);
  std::fill_n(outputs, rows * kClasses, 0.0f);
  for (int64_t row = 0; row < rows; ++row)
    outputs[row * kClasses + (labels[row] % 3 ? labels[row] : 0)] = 1.0f;
  return meanLabel(labels);
}
void fakeToHost(const void *, void *) {}
void fakeFromHost(void *, const void *) {}

/// A model of one class label whose state lives "on the device", with
/// `trainStep` as its step.
kiln_model fakeModel(float (*trainStep)(void *, const float *, const void *,
                                        int64_t)) {
  kiln_model model = {};
  model.name = "fake";
  model.state_size = 16;
  model.input_size = kInputs;
  model.output_size = kClasses;
  model.init = fakeInit;
  model.train_step = trainStep;
  model.evaluate = fakeEvaluate;
  model.state_to_host = fakeToHost;
  model.state_from_host = fakeFromHost;
  return model;
}

class FakeDriver : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    setenv("KILN_CUDA_DRIVER", KILN_FAKE_CUDA_DRIVER, 1);
    // The same library instance libkilnrt loads.
    void *driver = dlopen(KILN_FAKE_CUDA_DRIVER, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(driver, nullptr) << dlerror();
    isDevice = reinterpret_cast<IsDeviceFn>(dlsym(driver, "fake_cuda_is_device"));
    streamSeesCopy =
        reinterpret_cast<SeesCopyFn>(dlsym(driver, "fake_cuda_stream_sees_copy"));
    ASSERT_TRUE(isDevice && streamSeesCopy);
  }
};

/// Example e: inputs {e, e + 0.25, e + 0.5}, label e.
kiln_dataset *indexedDataset(int64_t n) {
  std::vector<float> features;
  std::vector<int32_t> labels;
  for (int64_t e = 0; e < n; ++e) {
    features.insert(features.end(), {float(e), float(e) + 0.25f, float(e) + 0.5f});
    labels.push_back(int32_t(e));
  }
  return kiln_dataset_create("indexed", n, kInputs, features.data(), labels.data(),
                             nullptr, 0);
}

TEST_F(FakeDriver, TrainingAndEvaluationSeeTheSameBatchesPrefetched) {
  ASSERT_EQ(kiln_cuda_available(nullptr, 0), 1);
  std::unique_ptr<kiln_dataset, void (*)(kiln_dataset *)> train(indexedDataset(23),
                                                               kiln_dataset_free);
  std::unique_ptr<kiln_dataset, void (*)(kiln_dataset *)> test(indexedDataset(11),
                                                              kiln_dataset_free);
  kiln_model model = fakeModel(fakeTrainStep);
  void *state = kiln_cuda_malloc(model.state_size);

  struct Run {
    std::vector<std::vector<int32_t>> steps, evaluations;
    std::vector<bool> evaluationsOnDevice;
    std::vector<kiln_epoch_stats> history;
  };
  auto run = [&](bool prefetch) {
    prefetching = prefetch;
    stepped.clear();
    evaluated.clear();
    evaluatedOnDevice.clear();
    kiln_train_options options;
    kiln_train_options_init(&options);
    options.epochs = 2;
    options.batch_size = 5;
    options.eval_batch_size = 4;
    options.seed = 3;
    options.quiet = 1;
    options.log_every = 2; // a sampled accuracy every other step
    options.state = state;
    options.no_prefetch = !prefetch;
    kiln_report report;
    char err[256] = "";
    EXPECT_EQ(kiln_train(&model, &options, train.get(), test.get(), &report, err,
                         sizeof err),
              0)
        << err;
    Run result{stepped, evaluated, evaluatedOnDevice,
               std::vector<kiln_epoch_stats>(report.history,
                                             report.history + report.history_size)};
    kiln_report_free(&report);
    return result;
  };
  Run ahead = run(true);
  Run inStep = run(false);

  // The batcher's order: epoch e is the permutation of (seed 3, e).
  std::vector<std::vector<int32_t>> expected;
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    std::vector<int64_t> order(23);
    kiln_epoch_permutation(3, epoch, 23, order.data());
    for (size_t first = 0; first < order.size(); first += 5)
      expected.emplace_back(order.begin() + first,
                            order.begin() + std::min(first + 5, order.size()));
  }
  EXPECT_EQ(ahead.steps, expected);
  EXPECT_EQ(inStep.steps, expected);
  // Evaluations: the batches sampled for accuracy (global steps 2, 4, then
  // 6, 8, 10), each epoch followed by the test set in batches of 4.
  std::vector<std::vector<int32_t>> testBatches = {
      {0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10}};
  std::vector<std::vector<int32_t>> evaluations = {expected[1], expected[3]};
  evaluations.insert(evaluations.end(), testBatches.begin(), testBatches.end());
  for (size_t step : {5, 7, 9})
    evaluations.push_back(expected[step]);
  evaluations.insert(evaluations.end(), testBatches.begin(), testBatches.end());
  EXPECT_EQ(ahead.evaluations, evaluations);
  EXPECT_EQ(inStep.evaluations, evaluations);
  // Prefetched: all on the device. Without: the sampled batches come from
  // the host as the steps' do; the test set (kiln_evaluate_metrics has no
  // switch) is prefetched all the same.
  EXPECT_EQ(ahead.evaluationsOnDevice, std::vector<bool>(11, true));
  EXPECT_EQ(inStep.evaluationsOnDevice,
            (std::vector<bool>{false, false, true, true, true, false, false, false,
                               true, true, true}));

  ASSERT_EQ(ahead.history.size(), 2u);
  for (size_t epoch = 0; epoch < 2; ++epoch) {
    const kiln_epoch_stats &a = ahead.history[epoch], &b = inStep.history[epoch];
    EXPECT_EQ(a.train_loss, b.train_loss);
    EXPECT_EQ(a.train_accuracy, b.train_accuracy);
    // Test labels 0..10: mean 5; right unless divisible by 3 (0 stays right).
    EXPECT_NEAR(a.test_loss, 5.0, 1e-6);
    EXPECT_NEAR(a.test_accuracy, 8.0 / 11.0, 1e-12);
    EXPECT_EQ(a.test_loss, b.test_loss);
    EXPECT_EQ(a.test_accuracy, b.test_accuracy);
  }
  kiln_cuda_free(state);
}

/// A step of a model of two labels (example e: labels e and e + 10): the
/// labels arrive on the device as the C functions take them, one [rows]
/// block per label, each matching the inputs' rows.
std::vector<std::vector<int32_t>> twoLabelSteps;
float fakeTwoLabelStep(void *, const float *x, const void *y, int64_t rows) {
  size_t yBytes = size_t(2 * rows) * sizeof(int32_t);
  EXPECT_NE(isDevice(y, yBytes), 0);
  EXPECT_TRUE(streamSeesCopy(mgpuStreamCreate(), y, yBytes))
      << "step before its labels' copy";
  const auto *blocks = static_cast<const int32_t *>(y);
  for (int64_t row = 0; row < rows; ++row) {
    EXPECT_EQ(float(blocks[row]), x[row * kInputs]) << "row " << row;
    EXPECT_EQ(blocks[rows + row], blocks[row] + 10) << "row " << row;
  }
  twoLabelSteps.emplace_back(blocks, blocks + rows);
  return 0.0f;
}

TEST_F(FakeDriver, SeveralLabelsArePrefetchedInTheirBlocks) {
  std::unique_ptr<kiln_dataset, void (*)(kiln_dataset *)> train(indexedDataset(7),
                                                               kiln_dataset_free);
  std::vector<float> features(7 * kInputs, 0.0f);
  std::vector<int32_t> second;
  for (int32_t e = 0; e < 7; ++e)
    second.push_back(e + 10);
  std::unique_ptr<kiln_dataset, void (*)(kiln_dataset *)> seconds(
      kiln_dataset_create("second", 7, kInputs, features.data(), second.data(),
                          nullptr, 0),
      kiln_dataset_free);
  char err[256] = "";
  ASSERT_EQ(kiln_dataset_append_labels(train.get(), seconds.get(), err, sizeof err), 0)
      << err;
  int64_t labelSizes[2] = {1, 1};
  int32_t labelDtypes[2] = {KILN_DTYPE_I32, KILN_DTYPE_I32};
  kiln_model model = fakeModel(fakeTwoLabelStep);
  model.name = "two_labels";
  model.label_dtype = KILN_DTYPE_I32;
  model.label_size = 2;
  model.label_dtypes = labelDtypes;
  model.output_size = 2 * kClasses;
  model.num_labels = 2;
  model.label_sizes = labelSizes;
  void *state = kiln_cuda_malloc(model.state_size);
  kiln_train_options options;
  kiln_train_options_init(&options);
  options.batch_size = 3;
  options.seed = 5;
  options.quiet = 1;
  options.state = state;
  kiln_report report;
  twoLabelSteps.clear();
  EXPECT_EQ(kiln_train(&model, &options, train.get(), nullptr, &report, err, sizeof err),
            0)
      << err;
  kiln_report_free(&report);
  // Every batch of the epoch, in the batcher's order.
  std::vector<int64_t> order(7);
  kiln_epoch_permutation(5, 0, 7, order.data());
  std::vector<std::vector<int32_t>> expected;
  for (size_t first = 0; first < order.size(); first += 3)
    expected.emplace_back(order.begin() + first,
                          order.begin() + std::min(first + 3, order.size()));
  EXPECT_EQ(twoLabelSteps, expected);
  kiln_cuda_free(state);
}

} // namespace
