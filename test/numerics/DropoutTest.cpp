//===- DropoutTest.cpp - Dropout's mask, gradient and reproducibility ----===//
//
// evaluate() drops dropout, so the finite differences here go through
// train_step itself on copies of one state: each call returns the loss
// before its update, with the mask of that state's step.
//
//===----------------------------------------------------------------------===//
#include "GradientExpectations.h"
#include "ModelHarness.h"

#include <kiln/model.h>
#include <kiln/train.h>
#include "dropout_mlp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

using kiln::test::Batch;
using kiln::test::ModelHarness;

namespace {

ModelHarness dropoutModel() {
  return ModelHarness(
      dropout_mlp_kiln_model(),
      {{"w1", DROPOUT_MLP_W1_OFFSET, DROPOUT_MLP_W1_COUNT},
       {"b1", DROPOUT_MLP_B1_OFFSET, DROPOUT_MLP_B1_COUNT},
       {"w2", DROPOUT_MLP_W2_OFFSET, DROPOUT_MLP_W2_COUNT}},
      0.5f, 3);
}

TEST(Dropout, GradientMatchesFiniteDifferencesUnderTheSameMask) {
  ModelHarness h = dropoutModel();
  Batch batch = h.randomBatch(5, 11);
  kiln::test::expectGradientsMatch(h, batch, /*throughTrainStep=*/true);
}

TEST(Dropout, MaskDependsOnTheStepAndIsReproducible) {
  ModelHarness h = dropoutModel();
  Batch batch = h.randomBatch(8, 5);
  float first = h.trainStepLoss(batch);
  EXPECT_EQ(first, h.trainStepLoss(batch));
  int64_t step = 1;
  std::memcpy(h.state + DROPOUT_MLP_STEP_OFFSET, &step, sizeof step);
  EXPECT_NE(first, h.trainStepLoss(batch));
}

TEST(Dropout, PredictAndEvaluateLeaveItOut) {
  ModelHarness h = dropoutModel();
  Batch batch = h.randomBatch(4, 2);
  // Without dropout the logits are relu(x W1 + b1) W2, computed here.
  std::vector<float> logits(4 * 3);
  h.model.predict(h.state, batch.x.data(), 4, logits.data());
  const float *w1 = h.param(h.params[0]), *b1 = h.param(h.params[1]),
              *w2 = h.param(h.params[2]);
  for (int r = 0; r < 4; ++r)
    for (int k = 0; k < 3; ++k) {
      double sum = 0;
      for (int j = 0; j < 16; ++j) {
        double pre = b1[j];
        for (int i = 0; i < 6; ++i)
          pre += batch.x[r * 6 + i] * w1[i * 16 + j];
        sum += std::max(pre, 0.0) * w2[j * 3 + k];
      }
      EXPECT_NEAR(logits[r * 3 + k], sum, 1e-5);
    }
}

} // namespace
