//===- MetricsTest.cpp - top-k accuracy against a naive reference ---------===//
//
// A stand-in model whose outputs are a fixed table of logits (with ties), so
// kiln_evaluate_metrics' top-k accuracy can be compared with a reference
// that sorts each row: indices ordered by descending score, ties by lower
// index first, the label counted when among the first k.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "kiln/train.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace kiln::test;

namespace {

constexpr int64_t kRows = 8, kClasses = 5;

// Row r's outputs; the example's single feature is r.
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

float tableEvaluate(const void *, const float *x, const void *, int64_t batch,
                    float *outputs) {
  for (int64_t i = 0; i < batch; ++i)
    std::copy_n(kLogits[int64_t(x[i])], kClasses, outputs + i * kClasses);
  return 0.0f;
}

kiln_model tableModel() {
  kiln_model model{};
  model.name = "table";
  model.input_size = 1;
  model.output_size = kClasses;
  model.evaluate = tableEvaluate;
  return model;
}

DatasetPtr tableDataset() {
  std::vector<float> rows(kRows);
  std::iota(rows.begin(), rows.end(), 0.0f);
  return DatasetPtr(
      kiln_dataset_create("table", kRows, 1, rows.data(), kLabels, nullptr, 0));
}

double referenceTopK(int64_t k) {
  int64_t hits = 0;
  for (int64_t r = 0; r < kRows; ++r) {
    std::vector<int64_t> order(kClasses);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return kLogits[r][a] != kLogits[r][b] ? kLogits[r][a] > kLogits[r][b] : a < b;
    });
    hits += std::find(order.begin(), order.begin() + k, kLabels[r]) != order.begin() + k;
  }
  return double(hits) / double(kRows);
}

TEST(TopKAccuracyTest, MatchesSortedReferenceForEveryK) {
  kiln_model model = tableModel();
  DatasetPtr data = tableDataset();
  // Hand-counted for the table above, so the reference is checked too.
  const double handCounted[kClasses + 1] = {0, 2.0 / 8, 3.0 / 8, 4.0 / 8, 6.0 / 8, 1};
  for (int64_t k = 1; k <= kClasses; ++k) {
    ASSERT_DOUBLE_EQ(referenceTopK(k), handCounted[k]) << "k = " << k;
    for (int64_t batch : {1, 3, 8}) {
      kiln_metrics metrics;
      char err[256] = "";
      ASSERT_EQ(kiln_evaluate_metrics(&model, nullptr, data.get(), batch, k, &metrics,
                                      nullptr, err, sizeof(err)),
                0)
          << err;
      EXPECT_DOUBLE_EQ(metrics.top_k_accuracy, referenceTopK(k))
          << "k = " << k << ", batch " << batch;
      if (k == 1)
        EXPECT_DOUBLE_EQ(metrics.top_k_accuracy, metrics.accuracy);
    }
  }
}

TEST(TopKAccuracyTest, NotMeasuredWithoutK) {
  kiln_model model = tableModel();
  DatasetPtr data = tableDataset();
  kiln_metrics metrics;
  ASSERT_EQ(kiln_evaluate_metrics(&model, nullptr, data.get(), 4, 0, &metrics, nullptr,
                                  nullptr, 0),
            0);
  EXPECT_TRUE(std::isnan(metrics.top_k_accuracy));
  EXPECT_DOUBLE_EQ(metrics.accuracy, 2.0 / 8);
}

TEST(TopKAccuracyTest, RefusesKBeyondTheClasses) {
  kiln_model model = tableModel();
  DatasetPtr data = tableDataset();
  kiln_metrics metrics;
  char err[256] = "";
  EXPECT_EQ(kiln_evaluate_metrics(&model, nullptr, data.get(), 4, 6, &metrics, nullptr,
                                  err, sizeof(err)),
            -1);
  EXPECT_STREQ(err, "top-k accuracy with k = 6 needs a classifier with at least k "
                    "outputs; model 'table' has 5 outputs");
}

} // namespace
