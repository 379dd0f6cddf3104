//===- SgdReferenceTest.cpp - One compiled SGD step vs naive C++ ---------===//
//
// The tiny MLP's forward pass, backward pass and SGD update written out by
// hand in double precision; the compiled train_step must agree within 1e-5
// on the loss and on every updated parameter.
//
//===----------------------------------------------------------------------===//
#include "ModelHarness.h"

#include <kiln/model.h>
#include "tiny_mlp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using kiln::test::Batch;
using kiln::test::ModelHarness;

namespace {

constexpr int In = 6, Hidden = 5, Classes = 3;
constexpr double LearningRate = 0.5;

struct Params {
  std::vector<double> w1, b1, w2, b2;
};

Params read(const unsigned char *state) {
  auto take = [&](int64_t offset, int64_t count) {
    const float *p = reinterpret_cast<const float *>(state + offset);
    return std::vector<double>(p, p + count);
  };
  return {take(TINY_MLP_W1_OFFSET, TINY_MLP_W1_COUNT),
          take(TINY_MLP_B1_OFFSET, TINY_MLP_B1_COUNT),
          take(TINY_MLP_W2_OFFSET, TINY_MLP_W2_COUNT),
          take(TINY_MLP_B2_OFFSET, TINY_MLP_B2_COUNT)};
}

/// One SGD step of the tiny MLP; returns the loss before the update.
double referenceStep(Params &p, const Batch &batch) {
  int64_t n = batch.size;
  std::vector<double> pre(n * Hidden), h(n * Hidden), dlogits(n * Classes);
  double loss = 0;
  for (int64_t r = 0; r < n; ++r) {
    for (int j = 0; j < Hidden; ++j) {
      double sum = p.b1[j];
      for (int i = 0; i < In; ++i)
        sum += batch.x[r * In + i] * p.w1[i * Hidden + j];
      pre[r * Hidden + j] = sum;
      h[r * Hidden + j] = sum > 0 ? sum : 0;
    }
    double logits[Classes], maxLogit = -1e300, total = 0;
    for (int k = 0; k < Classes; ++k) {
      logits[k] = p.b2[k];
      for (int j = 0; j < Hidden; ++j)
        logits[k] += h[r * Hidden + j] * p.w2[j * Classes + k];
      maxLogit = std::max(maxLogit, logits[k]);
    }
    for (int k = 0; k < Classes; ++k)
      total += std::exp(logits[k] - maxLogit);
    loss += std::log(total) + maxLogit - logits[batch.y[r]];
    for (int k = 0; k < Classes; ++k)
      dlogits[r * Classes + k] =
          (std::exp(logits[k] - maxLogit) / total - (k == batch.y[r])) / n;
  }
  Params g{std::vector<double>(p.w1.size()), std::vector<double>(p.b1.size()),
           std::vector<double>(p.w2.size()), std::vector<double>(p.b2.size())};
  for (int64_t r = 0; r < n; ++r) {
    for (int k = 0; k < Classes; ++k) {
      g.b2[k] += dlogits[r * Classes + k];
      for (int j = 0; j < Hidden; ++j)
        g.w2[j * Classes + k] += h[r * Hidden + j] * dlogits[r * Classes + k];
    }
    for (int j = 0; j < Hidden; ++j) {
      double dh = 0;
      for (int k = 0; k < Classes; ++k)
        dh += dlogits[r * Classes + k] * p.w2[j * Classes + k];
      double dpre = pre[r * Hidden + j] > 0 ? dh : 0;
      g.b1[j] += dpre;
      for (int i = 0; i < In; ++i)
        g.w1[i * Hidden + j] += batch.x[r * In + i] * dpre;
    }
  }
  auto update = [](std::vector<double> &v, const std::vector<double> &d) {
    for (size_t i = 0; i < v.size(); ++i)
      v[i] -= LearningRate * d[i];
  };
  update(p.w1, g.w1);
  update(p.b1, g.b1);
  update(p.w2, g.w2);
  update(p.b2, g.b2);
  return loss / n;
}

void expectClose(const std::vector<double> &expected,
                 const std::vector<double> &actual, const char *name) {
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(expected[i], actual[i], 1e-5) << name << "[" << i << "]";
}

TEST(SgdReference, OneStepMatchesNaiveLoops) {
  kiln_model m = tiny_mlp_kiln_model();
  ModelHarness h(m, {}, LearningRate, Classes);
  for (int64_t batchSize : {1, 4, 33}) {
    Batch batch = h.randomBatch(batchSize, batchSize);
    Params expected = read(h.state);
    double expectedLoss = referenceStep(expected, batch);
    float loss = m.train_step(h.state, batch.x.data(), batch.y.data(),
                              batchSize);
    EXPECT_NEAR(expectedLoss, loss, 1e-5) << "batch " << batchSize;
    Params actual = read(h.state);
    expectClose(expected.w1, actual.w1, "w1");
    expectClose(expected.b1, actual.b1, "b1");
    expectClose(expected.w2, actual.w2, "w2");
    expectClose(expected.b2, actual.b2, "b2");
  }
}

TEST(SgdReference, StepCounterAdvances) {
  kiln_model m = tiny_mlp_kiln_model();
  ModelHarness h(m, {}, LearningRate, Classes);
  Batch batch = h.randomBatch(2, 9);
  int64_t step;
  std::memcpy(&step, h.state + TINY_MLP_STEP_OFFSET, sizeof step);
  EXPECT_EQ(step, 0);
  for (int i = 0; i < 3; ++i)
    m.train_step(h.state, batch.x.data(), batch.y.data(), 2);
  std::memcpy(&step, h.state + TINY_MLP_STEP_OFFSET, sizeof step);
  EXPECT_EQ(step, 3);
}

} // namespace
