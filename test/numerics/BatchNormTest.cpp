//===- BatchNormTest.cpp - Batch normalization in both modes -------------===//
//
// train_step normalizes with the batch's statistics (its gradient goes
// through them: finite differences through train_step), updates the moving
// statistics by momentum 0.9, and predict normalizes with those; both
// against the formulas computed here.
//
//===----------------------------------------------------------------------===//
#include "GradientExpectations.h"
#include "ModelHarness.h"

#include <kiln/model.h>
#include <kiln/train.h>
#include "batch_norm_mlp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using kiln::test::Batch;
using kiln::test::ModelHarness;

namespace {

constexpr int In = 6, Channels = 8;

#define ENTRY(NAME, name)                                                      \
  {name, BATCH_NORM_MLP_##NAME##_OFFSET, BATCH_NORM_MLP_##NAME##_COUNT}

ModelHarness batchNormModel() {
  return ModelHarness(batch_norm_mlp_kiln_model(),
                      {ENTRY(W1, "w1"),
                       ENTRY(BATCH_NORMALIZATION_GAMMA, "gamma"),
                       ENTRY(BATCH_NORMALIZATION_BETA, "beta"),
                       ENTRY(LOGITS_KERNEL, "logits/kernel"),
                       ENTRY(LOGITS_BIAS, "logits/bias")},
                      0.5f, 3);
}

const float *entry(const ModelHarness &h, int64_t offset) {
  return reinterpret_cast<const float *>(h.state + offset);
}

/// x W1 for each example, the input of batch_norm.
std::vector<double> preActivations(const ModelHarness &h, const Batch &batch) {
  const float *w1 = entry(h, BATCH_NORM_MLP_W1_OFFSET);
  std::vector<double> z(batch.size * Channels, 0.0);
  for (int64_t r = 0; r < batch.size; ++r)
    for (int c = 0; c < Channels; ++c)
      for (int i = 0; i < In; ++i)
        z[r * Channels + c] += batch.x[r * In + i] * w1[i * Channels + c];
  return z;
}

TEST(BatchNorm, GradientGoesThroughTheBatchStatistics) {
  ModelHarness h = batchNormModel();
  Batch batch = h.randomBatch(6, 4);
  kiln::test::expectGradientsMatch(h, batch, /*throughTrainStep=*/true);
}

TEST(BatchNorm, MovingStatisticsFollowTheBatches) {
  ModelHarness h = batchNormModel();
  Batch batch = h.randomBatch(10, 8);
  std::vector<double> z = preActivations(h, batch);
  h.model.train_step(h.state, batch.x.data(), batch.y.data(), batch.size);
  const float *mean = entry(h, BATCH_NORM_MLP_BATCH_NORMALIZATION_MOVING_MEAN_OFFSET);
  const float *variance =
      entry(h, BATCH_NORM_MLP_BATCH_NORMALIZATION_MOVING_VARIANCE_OFFSET);
  for (int c = 0; c < Channels; ++c) {
    double m = 0, v = 0;
    for (int64_t r = 0; r < batch.size; ++r)
      m += z[r * Channels + c] / batch.size;
    for (int64_t r = 0; r < batch.size; ++r)
      v += (z[r * Channels + c] - m) * (z[r * Channels + c] - m) / batch.size;
    // Moving mean starts at 0, moving variance at 1; momentum 0.9.
    EXPECT_NEAR(mean[c], 0.1 * m, 1e-5) << "channel " << c;
    EXPECT_NEAR(variance[c], 0.9 + 0.1 * v, 1e-5) << "channel " << c;
  }
}

TEST(BatchNorm, PredictUsesTheMovingStatistics) {
  ModelHarness h = batchNormModel();
  Batch batch = h.randomBatch(3, 2);
  std::vector<double> z = preActivations(h, batch);
  std::vector<float> logits(3 * 3);
  h.model.predict(h.state, batch.x.data(), 3, logits.data());
  const float *gamma = entry(h, BATCH_NORM_MLP_BATCH_NORMALIZATION_GAMMA_OFFSET);
  const float *beta = entry(h, BATCH_NORM_MLP_BATCH_NORMALIZATION_BETA_OFFSET);
  const float *kernel = entry(h, BATCH_NORM_MLP_LOGITS_KERNEL_OFFSET);
  const float *bias = entry(h, BATCH_NORM_MLP_LOGITS_BIAS_OFFSET);
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k) {
      double sum = bias[k];
      for (int c = 0; c < Channels; ++c) {
        // Fresh moving statistics: mean 0, variance 1; epsilon 1e-3.
        double normalized =
            z[r * Channels + c] / std::sqrt(1.0 + 1e-3) * gamma[c] + beta[c];
        sum += std::max(normalized, 0.0) * kernel[c * 3 + k];
      }
      EXPECT_NEAR(logits[r * 3 + k], sum, 1e-5);
    }
}

} // namespace
