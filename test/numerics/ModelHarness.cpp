//===- ModelHarness.cpp - Drive a compiled model from a numerics test ----===//
#include "ModelHarness.h"

#include <kiln/train.h>

#include <cstring>

namespace kiln::test {

/// SplitMix64: the test's own reproducible numbers.
static uint64_t nextRandom(uint64_t &s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

ModelHarness::ModelHarness(kiln_model model, std::vector<ParamRange> params,
                           float learningRate, int64_t classes)
    : model(model), params(std::move(params)), learningRate(learningRate),
      classes(classes) {
  state = static_cast<unsigned char *>(kiln_state_alloc(&model));
  model.init(state, 7);
}

ModelHarness::~ModelHarness() { kiln_state_free(state); }

Batch ModelHarness::randomBatch(int64_t size, uint64_t seed) const {
  Batch batch{size, {}, {}};
  for (int64_t i = 0; i < size * model.input_size; ++i)
    batch.x.push_back((nextRandom(seed) >> 40) / double(1 << 24) * 2 - 1);
  for (int64_t i = 0; i < size; ++i)
    batch.y.push_back(nextRandom(seed) % classes);
  return batch;
}

float ModelHarness::loss(const Batch &batch) const {
  std::vector<float> outputs(batch.size * model.output_size);
  return model.evaluate(state, batch.x.data(), batch.y.data(), batch.size,
                        outputs.data());
}

std::vector<std::vector<double>>
ModelHarness::sgdGradients(const Batch &batch) const {
  auto *copy = static_cast<unsigned char *>(kiln_state_alloc(&model));
  std::memcpy(copy, state, model.state_size);
  model.train_step(copy, batch.x.data(), batch.y.data(), batch.size);
  std::vector<std::vector<double>> gradients;
  for (const ParamRange &p : params) {
    auto *before = reinterpret_cast<const float *>(state + p.offset);
    auto *after = reinterpret_cast<const float *>(copy + p.offset);
    std::vector<double> g(p.count);
    for (int64_t i = 0; i < p.count; ++i)
      g[i] = (double(before[i]) - double(after[i])) / learningRate;
    gradients.push_back(std::move(g));
  }
  kiln_state_free(copy);
  return gradients;
}

float ModelHarness::trainStepLoss(const Batch &batch) const {
  auto *copy = static_cast<unsigned char *>(kiln_state_alloc(&model));
  std::memcpy(copy, state, model.state_size);
  float loss = model.train_step(copy, batch.x.data(), batch.y.data(),
                                batch.size);
  kiln_state_free(copy);
  return loss;
}

std::vector<std::vector<double>>
ModelHarness::finiteDifferences(const Batch &batch, float step,
                                bool throughTrainStep) {
  auto lossAt = [&] {
    return throughTrainStep ? trainStepLoss(batch) : loss(batch);
  };
  std::vector<std::vector<double>> gradients;
  for (const ParamRange &p : params) {
    float *values = param(p);
    std::vector<double> g(p.count);
    for (int64_t i = 0; i < p.count; ++i) {
      float saved = values[i];
      values[i] = saved + step;
      double up = lossAt();
      values[i] = saved - step;
      double down = lossAt();
      values[i] = saved;
      g[i] = (up - down) / (2.0 * step);
    }
    gradients.push_back(std::move(g));
  }
  return gradients;
}

} // namespace kiln::test
