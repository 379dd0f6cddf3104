//===- TestSupport.cpp - fixtures shared by the libkilnrt unit tests ------===//

#include "TestSupport.h"

#include <cstddef>
#include <iterator>

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace kiln::test {

ScratchDir::ScratchDir() {
  std::string pattern = ::testing::TempDir() + "kilnrt-XXXXXX";
  if (!mkdtemp(pattern.data()))
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
  dir = pattern;
}

ScratchDir::~ScratchDir() { std::filesystem::remove_all(dir); }

void writeFile(const std::string &path, const Bytes &bytes) {
  std::FILE *file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  EXPECT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), file), bytes.size());
  std::fclose(file);
}

Bytes readBytes(const std::string &path) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  EXPECT_NE(file, nullptr) << path;
  Bytes bytes;
  if (!file)
    return bytes;
  unsigned char chunk[4096];
  while (size_t got = std::fread(chunk, 1, sizeof(chunk), file))
    bytes.insert(bytes.end(), chunk, chunk + got);
  std::fclose(file);
  return bytes;
}

void writeGzipFile(const std::string &path, const Bytes &bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  EXPECT_EQ(gzwrite(file, bytes.data(), unsigned(bytes.size())), int(bytes.size()));
  gzclose(file);
}

static void appendBigEndian(Bytes &bytes, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes.push_back(static_cast<unsigned char>(value >> shift));
}

Bytes idxImages(uint32_t n, uint32_t rows, uint32_t cols, const Bytes &pixels) {
  Bytes bytes;
  for (uint32_t word : {0x00000803u, n, rows, cols})
    appendBigEndian(bytes, word);
  bytes.insert(bytes.end(), pixels.begin(), pixels.end());
  return bytes;
}

Bytes idxLabels(const Bytes &labels) {
  Bytes bytes;
  for (uint32_t word : {0x00000801u, uint32_t(labels.size())})
    appendBigEndian(bytes, word);
  bytes.insert(bytes.end(), labels.begin(), labels.end());
  return bytes;
}

constexpr int64_t kInputs = 4;
constexpr int64_t kClasses = 3;

DatasetPtr makeBlobs(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto noise = [&rng] { return double(rng() >> 11) * 0x1p-53 - 0.5; };
  std::vector<float> features(static_cast<size_t>(n * kInputs));
  std::vector<int32_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    labels[i] = int32_t(rng() % kClasses);
    for (int64_t j = 0; j < kInputs; ++j)
      features[i * kInputs + j] = float((j == labels[i] ? 2.0 : 0.0) + noise());
  }
  return DatasetPtr(kiln_dataset_create("blobs", n, kInputs, features.data(),
                                        labels.data(), nullptr, 0));
}

namespace {

struct SoftmaxState {
  float weights[kClasses][kInputs];
  float bias[kClasses];
  int64_t steps;
};

constexpr float kLearningRate = 0.5f;

void initSoftmax(void *state, uint64_t seed) {
  auto *s = static_cast<SoftmaxState *>(state);
  std::mt19937 rng(static_cast<uint32_t>(seed));
  for (auto &row : s->weights)
    for (float &weight : row)
      weight = float(rng() % 1000) * 1e-5f;
  for (float &bias : s->bias)
    bias = 0;
  s->steps = 0;
}

/// Writes class probabilities for one example; returns -log p(label).
float softmaxForward(const SoftmaxState &s, const float *x, int32_t label,
                     float *probabilities) {
  float maxLogit = -INFINITY;
  for (int64_t c = 0; c < kClasses; ++c) {
    probabilities[c] = s.bias[c];
    for (int64_t j = 0; j < kInputs; ++j)
      probabilities[c] += s.weights[c][j] * x[j];
    maxLogit = std::fmax(maxLogit, probabilities[c]);
  }
  float sum = 0;
  for (int64_t c = 0; c < kClasses; ++c)
    sum += probabilities[c] = std::exp(probabilities[c] - maxLogit);
  for (int64_t c = 0; c < kClasses; ++c)
    probabilities[c] /= sum;
  return -std::log(probabilities[label]);
}

float evaluateSoftmax(const void *state, const float *x, const void *labels,
                      int64_t batch, float *outputs) {
  const auto *y = static_cast<const int32_t *>(labels);
  const auto &s = *static_cast<const SoftmaxState *>(state);
  float loss = 0;
  for (int64_t i = 0; i < batch; ++i)
    loss += softmaxForward(s, x + i * kInputs, y[i], outputs + i * kClasses);
  return loss / float(batch);
}

float trainSoftmax(void *state, const float *x, const void *labels, int64_t batch) {
  const auto *y = static_cast<const int32_t *>(labels);
  auto &s = *static_cast<SoftmaxState *>(state);
  SoftmaxState gradient{};
  float loss = 0;
  for (int64_t i = 0; i < batch; ++i) {
    float probabilities[kClasses];
    loss += softmaxForward(s, x + i * kInputs, y[i], probabilities);
    for (int64_t c = 0; c < kClasses; ++c) {
      float dLogit = probabilities[c] - (c == y[i] ? 1.0f : 0.0f);
      gradient.bias[c] += dLogit;
      for (int64_t j = 0; j < kInputs; ++j)
        gradient.weights[c][j] += dLogit * x[i * kInputs + j];
    }
  }
  float step = kLearningRate / float(batch);
  for (int64_t c = 0; c < kClasses; ++c) {
    s.bias[c] -= step * gradient.bias[c];
    for (int64_t j = 0; j < kInputs; ++j)
      s.weights[c][j] -= step * gradient.weights[c][j];
  }
  ++s.steps;
  return loss / float(batch);
}

void predictSoftmax(const void *state, const float *x, int64_t batch, float *outputs) {
  const auto &s = *static_cast<const SoftmaxState *>(state);
  for (int64_t i = 0; i < batch; ++i)
    softmaxForward(s, x + i * kInputs, 0, outputs + i * kClasses);
}

float trainDiverging(void *state, const float *x, const void *y, int64_t batch) {
  float loss = trainSoftmax(state, x, y, batch);
  return static_cast<SoftmaxState *>(state)->steps == 3 ? NAN : loss;
}


const int64_t kWeightsShape[] = {kClasses, kInputs};
const int64_t kBiasShape[] = {kClasses};
// What the generated header lists for a compiled model.
const kiln_state_entry kSoftmaxEntries[] = {
    {"weights", offsetof(SoftmaxState, weights), kClasses * kInputs, KILN_DTYPE_F32, 2,
     kWeightsShape},
    {"bias", offsetof(SoftmaxState, bias), kClasses, KILN_DTYPE_F32, 1, kBiasShape},
    {"step", offsetof(SoftmaxState, steps), 1, KILN_DTYPE_I64, 0, nullptr},
};

} // namespace

kiln_model softmaxRegressionModel() {
  return kiln_model{"softmax_regression", sizeof(SoftmaxState), kInputs, kClasses,
                    initSoftmax, trainSoftmax, evaluateSoftmax, predictSoftmax,
                    kSoftmaxEntries, std::size(kSoftmaxEntries)};
}

kiln_model divergingModel() {
  kiln_model model = softmaxRegressionModel();
  model.name = "diverging";
  model.train_step = trainDiverging;
  return model;
}

} // namespace kiln::test
