//===- GradientCheckTest.cpp - Generated gradients vs finite differences -===//
//
// Every gradient element of the compiled models, at several batch sizes
// (the dynamic dimension), must match central finite differences:
//   |g - fd| <= 2e-3 + 3e-2 * max(|g|, |fd|).
// f32 losses limit finite differences to about three digits, hence the
// tolerance; a wrong rule is off by far more (sign, factor, transpose).
//
//===----------------------------------------------------------------------===//
#include "GradientExpectations.h"
#include "ModelHarness.h"

#include <kiln/model.h>
#include "all_ops.h"
#include "conv_ops.h"
#include "layer_norm_mlp.h"
#include "shape_ops.h"
#include "tiny_mlp.h"
#include "unary_ops.h"

#include <gtest/gtest.h>

#include <cmath>

using kiln::test::Batch;
using kiln::test::ModelHarness;

namespace {

#define PARAM(MODEL, NAME, name) {name, MODEL##_##NAME##_OFFSET, MODEL##_##NAME##_COUNT}

ModelHarness tinyMlp() {
  return ModelHarness(tiny_mlp_kiln_model(),
                      {PARAM(TINY_MLP, W1, "w1"), PARAM(TINY_MLP, B1, "b1"),
                       PARAM(TINY_MLP, W2, "w2"), PARAM(TINY_MLP, B2, "b2")},
                      0.5f, 3);
}

ModelHarness allOps() {
  return ModelHarness(all_ops_kiln_model(),
                      {PARAM(ALL_OPS, W, "w"), PARAM(ALL_OPS, V, "v"),
                       PARAM(ALL_OPS, S, "s"), PARAM(ALL_OPS, C, "c"),
                       PARAM(ALL_OPS, D, "d")},
                      1.0f, 4);
}

/// Elementwise math, activations, softmax and log_softmax.
ModelHarness unaryOps() {
  return ModelHarness(unary_ops_kiln_model(),
                      {PARAM(UNARY_OPS, W, "w"), PARAM(UNARY_OPS, B, "b"),
                       PARAM(UNARY_OPS, P, "p")},
                      1.0f, 4);
}

/// Shape ops, reduce_max, one_hot and the losses.
ModelHarness shapeOps() {
  return ModelHarness(shape_ops_kiln_model(),
                      {PARAM(SHAPE_OPS, A, "a"), PARAM(SHAPE_OPS, C, "c"),
                       PARAM(SHAPE_OPS, S, "s")},
                      1.0f, 4);
}

/// Convolution, pooling and the layers' parameters.
ModelHarness convOps() {
  return ModelHarness(
      conv_ops_kiln_model(),
      {PARAM(CONV_OPS, F1, "f1"), PARAM(CONV_OPS, F2, "f2"),
       PARAM(CONV_OPS, H_KERNEL, "h/kernel"), PARAM(CONV_OPS, H_BIAS, "h/bias"),
       PARAM(CONV_OPS, LOGITS_KERNEL, "logits/kernel"),
       PARAM(CONV_OPS, LOGITS_BIAS, "logits/bias")},
      1.0f, 3);
}

/// layer_norm between two dense layers (mean and variance per example).
ModelHarness layerNorm() {
  return ModelHarness(
      layer_norm_mlp_kiln_model(),
      {PARAM(LAYER_NORM_MLP, W1, "w1"),
       PARAM(LAYER_NORM_MLP, LAYER_NORMALIZATION_GAMMA, "gamma"),
       PARAM(LAYER_NORM_MLP, LAYER_NORMALIZATION_BETA, "beta"),
       PARAM(LAYER_NORM_MLP, W2, "w2")},
      1.0f, 3);
}

void expectGradientsMatch(ModelHarness &harness, int64_t batchSize) {
  kiln::test::expectGradientsMatch(
      harness, harness.randomBatch(batchSize, 100 + batchSize));
}

TEST(GradientCheck, TinyMlpBatch1) {
  ModelHarness h = tinyMlp();
  expectGradientsMatch(h, 1);
}
TEST(GradientCheck, TinyMlpBatch5) {
  ModelHarness h = tinyMlp();
  expectGradientsMatch(h, 5);
}
TEST(GradientCheck, TinyMlpBatch64) {
  ModelHarness h = tinyMlp();
  expectGradientsMatch(h, 64);
}
TEST(GradientCheck, AllOpsBatch1) {
  ModelHarness h = allOps();
  expectGradientsMatch(h, 1);
}
TEST(GradientCheck, AllOpsBatch7) {
  ModelHarness h = allOps();
  expectGradientsMatch(h, 7);
}

// The new op families at a batch of one, a small odd batch and a larger
// one (the dynamic dimension).
class OpGradientCheck : public ::testing::TestWithParam<int64_t> {};

TEST_P(OpGradientCheck, UnaryOps) {
  ModelHarness h = unaryOps();
  expectGradientsMatch(h, GetParam());
}
TEST_P(OpGradientCheck, ShapeOpsAndLosses) {
  ModelHarness h = shapeOps();
  expectGradientsMatch(h, GetParam());
}
TEST_P(OpGradientCheck, ConvPoolAndLayers) {
  ModelHarness h = convOps();
  expectGradientsMatch(h, GetParam());
}
TEST_P(OpGradientCheck, LayerNorm) {
  ModelHarness h = layerNorm();
  expectGradientsMatch(h, GetParam());
}
INSTANTIATE_TEST_SUITE_P(Batches, OpGradientCheck,
                         ::testing::Values(1, 3, 16));

TEST(GeneratedFunctions, PredictEqualsEvaluateOutputs) {
  ModelHarness h = allOps();
  Batch batch = h.randomBatch(9, 3);
  std::vector<float> fromEvaluate(9 * h.model.output_size),
      fromPredict(9 * h.model.output_size);
  h.model.evaluate(h.state, batch.x.data(), batch.y.data(), 9,
                   fromEvaluate.data());
  h.model.predict(h.state, batch.x.data(), 9, fromPredict.data());
  EXPECT_EQ(fromEvaluate, fromPredict);
}

TEST(GeneratedFunctions, InitIsDeterministicPerSeed) {
  kiln_model m = tiny_mlp_kiln_model();
  std::vector<unsigned char> a(m.state_size), b(m.state_size),
      c(m.state_size);
  m.init(a.data(), 42);
  m.init(b.data(), 42);
  m.init(c.data(), 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(GeneratedFunctions, GlorotUniformStaysInItsLimit) {
  ModelHarness h = tinyMlp();
  // glorot_uniform on [6, 5]: U(-sqrt(6 / 11), sqrt(6 / 11)).
  double limit = std::sqrt(6.0 / 11.0), sum = 0;
  const float *w1 = h.param(h.params[0]);
  for (int64_t i = 0; i < TINY_MLP_W1_COUNT; ++i) {
    EXPECT_LE(std::fabs(w1[i]), limit);
    sum += w1[i];
  }
  EXPECT_LT(std::fabs(sum / TINY_MLP_W1_COUNT), limit / 2);
}

} // namespace
