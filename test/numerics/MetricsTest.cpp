//===- MetricsTest.cpp - compiled top-k accuracy against a naive sort -----===//
//
// Models whose outputs are their input (plus a zero bias), compiled with
// metrics = [top_k_accuracy(k)] for k = 1..5, are evaluated on a fixed table
// of logits with ties; the top-k accuracy their evaluate computes is
// compared with a reference that sorts each row: indices ordered by
// descending score, ties by lower index first, the label counted when among
// the first k.
//
//===----------------------------------------------------------------------===//

#include <kiln/model.h>
#include <kiln/train.h>

#include "top_k_1.h"
#include "top_k_2.h"
#include "top_k_3.h"
#include "top_k_4.h"
#include "top_k_5.h"
#include "top_k_two_labels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <vector>

namespace {

constexpr int64_t kRows = 8, kClasses = 5;

const float kLogits[kRows][kClasses] = {
    {0.1f, 0.9f, 0.3f, 0.2f, 0.5f}, // distinct
    {1.0f, 1.0f, 1.0f, 1.0f, 1.0f}, // all tied
    {2.0f, 0.0f, 2.0f, 2.0f, -1.f}, // three tied maxima
    {-3.f, -1.f, -2.f, -1.f, -5.f}, // negatives, tie at the top
    {0.0f, 0.0f, 7.0f, 0.0f, 0.0f}, // one peak, the rest tied
    {5.0f, 4.0f, 3.0f, 2.0f, 1.0f}, // descending
    {1.0f, 2.0f, 3.0f, 4.0f, 5.0f}, // ascending
    {0.5f, 0.5f, 0.2f, 0.5f, 0.9f}, // tie in the middle
};
const int32_t kLabels[kRows] = {1, 3, 3, 3, 4, 0, 0, 3};

struct DatasetDeleter {
  void operator()(kiln_dataset *d) const { kiln_dataset_free(d); }
};
using DatasetPtr = std::unique_ptr<kiln_dataset, DatasetDeleter>;
struct StateDeleter {
  void operator()(void *state) const { kiln_state_free(state); }
};
using StatePtr = std::unique_ptr<void, StateDeleter>;

/// Rows `first`, `first + 1`, ... (wrapping) of the table, as a dataset.
DatasetPtr tableDataset(int64_t first) {
  std::vector<float> features;
  std::vector<int32_t> labels;
  for (int64_t r = 0; r < kRows; ++r) {
    int64_t row = (first + r) % kRows;
    features.insert(features.end(), kLogits[row], kLogits[row] + kClasses);
    labels.push_back(kLabels[row]);
  }
  return DatasetPtr(kiln_dataset_create(
      "table", kRows, kClasses, features.data(), labels.data(), nullptr, 0));
}

/// How many rows of the table have their label among the first k of the
/// row sorted by descending score, ties by lower index.
int64_t referenceHits(int64_t k) {
  int64_t hits = 0;
  for (int64_t r = 0; r < kRows; ++r) {
    std::vector<int64_t> order(kClasses);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return kLogits[r][a] != kLogits[r][b] ? kLogits[r][a] > kLogits[r][b]
                                            : a < b;
    });
    hits += std::find(order.begin(), order.begin() + k, kLabels[r]) !=
            order.begin() + k;
  }
  return hits;
}

/// Rows r and r + 3 of the table side by side, with their labels: 10
/// features and two labels per example.
DatasetPtr twoLabelTable() {
  DatasetPtr left = tableDataset(0), right = tableDataset(3);
  char err[256] = "";
  EXPECT_EQ(
      kiln_dataset_append_features(left.get(), right.get(), err, sizeof(err)),
      0)
      << err;
  EXPECT_EQ(
      kiln_dataset_append_labels(left.get(), right.get(), err, sizeof(err)), 0)
      << err;
  return left;
}

StatePtr initialized(const kiln_model &model) {
  StatePtr state(kiln_state_alloc(&model));
  model.init(state.get(), 1);
  return state;
}

TEST(TopKAccuracyTest, CompiledCountMatchesSortedReferenceForEveryK) {
  const kiln_model models[kClasses] = {
      top_k_1_kiln_model(), top_k_2_kiln_model(), top_k_3_kiln_model(),
      top_k_4_kiln_model(), top_k_5_kiln_model()};
  // Hand-counted for the table above, so the reference is checked too.
  const int64_t handCounted[kClasses + 1] = {0, 2, 3, 4, 6, 8};
  DatasetPtr data = tableDataset(0);
  for (int64_t k = 1; k <= kClasses; ++k) {
    const kiln_model &model = models[k - 1];
    ASSERT_EQ(model.top_k, k);
    ASSERT_EQ(referenceHits(k), handCounted[k]) << "k = " << k;
    StatePtr state = initialized(model);
    for (int64_t batch : {1, 3, 8}) {
      kiln_metrics metrics;
      char err[256] = "";
      ASSERT_EQ(kiln_evaluate_metrics(&model, state.get(), data.get(), batch, k,
                                      &metrics, nullptr, err, sizeof(err)),
                0)
          << err;
      EXPECT_DOUBLE_EQ(metrics.top_k_accuracy, double(referenceHits(k)) / kRows)
          << "k = " << k << ", batch " << batch;
      if (k == 1)
        EXPECT_DOUBLE_EQ(metrics.top_k_accuracy, metrics.accuracy);
    }
  }
}

// Each label is scored on its own block of 5 outputs: rows r and r + 3 of
// the table side by side, with their labels.
TEST(TopKAccuracyTest, SeveralLabelsAreScoredOnTheirBlocks) {
  kiln_model model = top_k_two_labels_kiln_model();
  ASSERT_EQ(model.num_labels, 2);
  DatasetPtr left = twoLabelTable();
  char err[256] = "";
  StatePtr state = initialized(model);
  for (int64_t batch : {1, 5, 8}) {
    kiln_metrics metrics;
    ASSERT_EQ(kiln_evaluate_metrics(&model, state.get(), left.get(), batch, 2,
                                    &metrics, nullptr, err, sizeof(err)),
              0)
        << err;
    // Both blocks go through every row once: twice the hits of 8 rows.
    EXPECT_DOUBLE_EQ(metrics.top_k_accuracy,
                     2.0 * double(referenceHits(2)) / 16)
        << "batch " << batch;
    EXPECT_DOUBLE_EQ(metrics.accuracy, 2.0 * double(referenceHits(1)) / 16);
  }
}

// The batch accuracy kiln_train samples (before each update) reads the
// labels in the per-label blocks the model's functions take, as a batch
// prefetched to a GPU holds them: one step over all 8 rows of both blocks
// scores the untrained outputs (the inputs themselves).
TEST(TopKAccuracyTest, TrainingSamplesScoreSeveralLabelsOnTheirBlocks) {
  kiln_model model = top_k_two_labels_kiln_model();
  DatasetPtr left = twoLabelTable();
  char err[256] = "";
  kiln_train_options options;
  kiln_train_options_init(&options);
  options.batch_size = kRows;
  options.log_every = 1;
  options.quiet = 1;
  kiln_report report;
  ASSERT_EQ(kiln_train(&model, &options, left.get(), nullptr, &report, err,
                       sizeof(err)),
            0)
      << err;
  ASSERT_EQ(report.history_size, 1);
  EXPECT_DOUBLE_EQ(report.history[0].train_accuracy,
                   2.0 * double(referenceHits(1)) / 16);
  kiln_report_free(&report);
}

TEST(TopKAccuracyTest, NotMeasuredWithoutK) {
  kiln_model model = top_k_2_kiln_model();
  StatePtr state = initialized(model);
  DatasetPtr data = tableDataset(0);
  kiln_metrics metrics;
  ASSERT_EQ(kiln_evaluate_metrics(&model, state.get(), data.get(), 4, 0,
                                  &metrics, nullptr, nullptr, 0),
            0);
  EXPECT_TRUE(std::isnan(metrics.top_k_accuracy));
  EXPECT_DOUBLE_EQ(metrics.accuracy, 2.0 / 8);
}

TEST(TopKAccuracyTest, RefusesAKNotCompiledIn) {
  kiln_model model = top_k_2_kiln_model();
  StatePtr state = initialized(model);
  DatasetPtr data = tableDataset(0);
  kiln_metrics metrics;
  char err[256] = "";
  EXPECT_EQ(kiln_evaluate_metrics(&model, state.get(), data.get(), 4, 3,
                                  &metrics, nullptr, err, sizeof(err)),
            -1);
  EXPECT_STREQ(err,
               "top-k accuracy with k = 3 is compiled into evaluate by "
               "metrics = [top_k_accuracy(k = 3)]; model 'top_k_2' has k = 2");
}

} // namespace
