//===- DataPrepTest.cpp - standardization, unlabelled loading, predict ----===//

#include "TestSupport.h"

#include "kiln/train.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace kiln::test;
using ::testing::HasSubstr;

namespace {

DatasetPtr create(const char *source, const std::vector<float> &features,
                  int64_t width) {
  int64_t n = int64_t(features.size()) / width;
  std::vector<int32_t> labels(size_t(n), 0);
  char err[256] = "";
  DatasetPtr dataset(
      kiln_dataset_create(source, n, width, features.data(), labels.data(), err,
                          sizeof(err)));
  EXPECT_TRUE(dataset) << err;
  return dataset;
}

std::vector<float> features(const kiln_dataset *dataset) {
  const float *x = kiln_dataset_features(dataset);
  return std::vector<float>(
      x, x + kiln_dataset_size(dataset) * kiln_dataset_example_size(dataset));
}

Bytes text(const std::string &s) { return Bytes(s.begin(), s.end()); }

class DataPrepTest : public ::testing::Test {
protected:
  std::string path(const std::string &name) { return scratch.path(name); }
  ScratchDir scratch;
  char err[512] = "";
};

TEST_F(DataPrepTest, StandardizeUsesTrainStatisticsForBoth) {
  // Feature 0: mean 2, std 1. Feature 1: constant 10 (std 0: only centred).
  DatasetPtr train = create("train", {1, 10, 3, 10}, 2);
  DatasetPtr test = create("test", {5, 12, 2, 9}, 2);
  ASSERT_EQ(kiln_dataset_standardize(train.get(), test.get(), err, sizeof(err)), 0)
      << err;
  EXPECT_EQ(features(train.get()), (std::vector<float>{-1, 0, 1, 0}));
  EXPECT_EQ(features(test.get()), (std::vector<float>{3, 2, 0, -1}));
}

TEST_F(DataPrepTest, StandardizedTrainHasZeroMeanUnitVariance) {
  DatasetPtr blobs = makeBlobs(300, 11);
  ASSERT_EQ(kiln_dataset_standardize(blobs.get(), nullptr, err, sizeof(err)), 0)
      << err;
  int64_t n = kiln_dataset_size(blobs.get()), d = kiln_dataset_example_size(blobs.get());
  const float *x = kiln_dataset_features(blobs.get());
  for (int64_t j = 0; j < d; ++j) {
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < n; ++i) {
      sum += x[i * d + j];
      squares += double(x[i * d + j]) * x[i * d + j];
    }
    EXPECT_NEAR(sum / double(n), 0.0, 1e-5) << "feature " << j;
    EXPECT_NEAR(squares / double(n), 1.0, 1e-4) << "feature " << j;
  }
}

TEST_F(DataPrepTest, StandardizeRefusesMismatchedWidths) {
  DatasetPtr train = create("train.csv", {1, 2, 3, 4}, 2);
  DatasetPtr other = create("other.csv", {1, 2, 3}, 3);
  EXPECT_EQ(kiln_dataset_standardize(train.get(), other.get(), err, sizeof(err)), -1);
  EXPECT_THAT(err, HasSubstr("other.csv: 3 features per example, but the train "
                             "set train.csv has 2"));
  EXPECT_EQ(features(train.get()), (std::vector<float>{1, 2, 3, 4})); // untouched
}

TEST_F(DataPrepTest, CsvWithoutLabelColumnIsAllFeatures) {
  writeFile(path("x.csv"), text("a,b\n1,2\n3,4\n"));
  DatasetPtr data(
      kiln_dataset_load_csv(path("x.csv").c_str(), nullptr, 1, 0, err, sizeof(err)));
  ASSERT_TRUE(data) << err;
  EXPECT_EQ(kiln_dataset_example_size(data.get()), 2);
  EXPECT_EQ(features(data.get()), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(kiln_dataset_has_labels(data.get()), 0);
  EXPECT_EQ(kiln_dataset_labels(data.get())[1], 0);
  EXPECT_EQ(kiln_dataset_check_labels(data.get(), 3, err, sizeof(err)), -1);
  EXPECT_THAT(err, HasSubstr("x.csv: the dataset has no labels"));
}

TEST_F(DataPrepTest, IdxImagesWithoutLabels) {
  writeFile(path("images"), idxImages(2, 1, 2, {0, 255, 51, 102}));
  DatasetPtr data(kiln_dataset_load_idx(path("images").c_str(), nullptr, 1 / 255.0f,
                                        0, err, sizeof(err)));
  ASSERT_TRUE(data) << err;
  EXPECT_EQ(kiln_dataset_size(data.get()), 2);
  EXPECT_EQ(kiln_dataset_has_labels(data.get()), 0);
  EXPECT_FLOAT_EQ(kiln_dataset_features(data.get())[1], 1.0f);
  // A subset is unlabelled too; labelled loads still say they have labels.
  DatasetPtr first(kiln_dataset_subset(data.get(), 1, err, sizeof(err)));
  ASSERT_TRUE(first) << err;
  EXPECT_EQ(kiln_dataset_has_labels(first.get()), 0);
  writeFile(path("labels"), idxLabels({1, 0}));
  DatasetPtr labelled(kiln_dataset_load_idx(path("images").c_str(),
                                            path("labels").c_str(), 1, 0, err,
                                            sizeof(err)));
  ASSERT_TRUE(labelled) << err;
  EXPECT_EQ(kiln_dataset_has_labels(labelled.get()), 1);
}

TEST_F(DataPrepTest, WriteNpyThenLoadItAsFeatures) {
  std::vector<float> values = {0.5f, -1, 2, 3, 4, 5};
  int64_t shape[2] = {2, 3};
  ASSERT_EQ(kiln_write_npy_f32(path("out.npy").c_str(), values.data(), 2, shape, err,
                               sizeof(err)),
            0)
      << err;
  Bytes bytes = readBytes(path("out.npy"));
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(std::memcmp(bytes.data(), "\x93NUMPY\x01\x00", 8), 0);
  size_t length = bytes[8] | size_t(bytes[9]) << 8;
  EXPECT_EQ((10 + length) % 64, 0u); // data aligned as NumPy aligns it
  ASSERT_EQ(bytes.size(), 10 + length + values.size() * sizeof(float));
  std::string header(bytes.begin() + 10, bytes.begin() + 10 + long(length));
  EXPECT_THAT(header, HasSubstr("'descr': '<f4'"));
  EXPECT_THAT(header, HasSubstr("'shape': (2, 3)"));
  EXPECT_EQ(std::memcmp(bytes.data() + 10 + length, values.data(),
                        values.size() * sizeof(float)),
            0);
  // The runtime's own npy loader reads it back, without labels.
  DatasetPtr data(
      kiln_dataset_load_npy(path("out.npy").c_str(), nullptr, 1, 0, err, sizeof(err)));
  ASSERT_TRUE(data) << err;
  EXPECT_EQ(kiln_dataset_has_labels(data.get()), 0);
  EXPECT_EQ(features(data.get()), values);
}

TEST_F(DataPrepTest, PredictMatchesEvaluateArgmax) {
  kiln_model model = softmaxRegressionModel();
  DatasetPtr train = makeBlobs(200, 3), test = makeBlobs(50, 4);
  std::vector<unsigned char> state(model.state_size);
  model.init(state.data(), 1);
  for (int step = 0; step < 100; ++step)
    model.train_step(state.data(), kiln_dataset_features(train.get()),
                     kiln_dataset_labels(train.get()), 200);
  int64_t n = kiln_dataset_size(test.get()), classes = model.output_size;
  std::vector<float> outputs(size_t(n * classes));
  // A batch size that does not divide n exercises the last, partial batch.
  ASSERT_EQ(kiln_predict(&model, state.data(), test.get(), 7, outputs.data(), err,
                         sizeof(err)),
            0)
      << err;
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float *row = outputs.data() + i * classes;
    correct += std::max_element(row, row + classes) - row ==
               kiln_dataset_labels(test.get())[i];
  }
  double accuracy = -1;
  ASSERT_EQ(kiln_evaluate(&model, state.data(), test.get(), 16, nullptr, &accuracy,
                          nullptr, err, sizeof(err)),
            0)
      << err;
  EXPECT_DOUBLE_EQ(double(correct) / double(n), accuracy);
  EXPECT_GT(accuracy, 0.9);
}

TEST_F(DataPrepTest, PredictRefusesWrongExampleSize) {
  kiln_model model = softmaxRegressionModel();
  std::vector<unsigned char> state(model.state_size);
  model.init(state.data(), 1);
  DatasetPtr wide = create("wide.npy", {1, 2, 3, 4, 5}, 5);
  std::vector<float> outputs(16);
  EXPECT_EQ(kiln_predict(&model, state.data(), wide.get(), 8, outputs.data(), err,
                         sizeof(err)),
            -1);
  EXPECT_THAT(err, HasSubstr("wide.npy: 5 floats per example, model "
                             "'softmax_regression' expects 4"));
}

// A model of two labels (a class and a real value) names what each side
// holds when the dataset's labels do not match.
TEST_F(DataPrepTest, EvaluateNamesMismatchedLabels) {
  kiln_model model = softmaxRegressionModel();
  const int64_t sizes[2] = {1, 1};
  const int32_t dtypes[2] = {KILN_DTYPE_I32, KILN_DTYPE_F32};
  model.num_labels = 2;
  model.label_sizes = sizes;
  model.label_dtypes = dtypes;
  model.label_dtype = KILN_DTYPE_F32;
  model.label_size = 2;
  std::vector<unsigned char> state(model.state_size);
  model.init(state.data(), 1);
  DatasetPtr data = create("classes", {1, 2, 3, 4}, 4);
  EXPECT_EQ(kiln_evaluate(&model, state.data(), data.get(), 8, nullptr, nullptr,
                          nullptr, err, sizeof(err)),
            -1);
  EXPECT_STREQ(err, "classes: the model takes 2 labels (class indices, 1 "
                    "real-valued label) per example, the dataset has class indices");
  // Appending an f32 label makes it fit; with a real-valued label the model
  // reports no accuracy.
  float value = 0.5f;
  float x[4] = {1, 2, 3, 4};
  DatasetPtr values(kiln_dataset_create_f32("values", 1, 4, x, 1, &value, err,
                                            sizeof(err)));
  ASSERT_TRUE(values) << err;
  ASSERT_EQ(kiln_dataset_append_labels(data.get(), values.get(), err, sizeof(err)),
            0)
      << err;
  double loss = NAN, accuracy = 0;
  EXPECT_EQ(kiln_evaluate(&model, state.data(), data.get(), 8, &loss, &accuracy,
                          nullptr, err, sizeof(err)),
            0)
      << err;
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_TRUE(std::isnan(accuracy));
}

TEST_F(DataPrepTest, EvaluateRefusesUnlabelledData) {
  kiln_model model = softmaxRegressionModel();
  std::vector<unsigned char> state(model.state_size);
  model.init(state.data(), 1);
  writeFile(path("x.csv"), text("a,b,c,d\n1,2,3,4\n"));
  DatasetPtr data(
      kiln_dataset_load_csv(path("x.csv").c_str(), nullptr, 1, 0, err, sizeof(err)));
  ASSERT_TRUE(data) << err;
  EXPECT_EQ(kiln_evaluate(&model, state.data(), data.get(), 8, nullptr, nullptr,
                          nullptr, err, sizeof(err)),
            -1);
  EXPECT_THAT(err, HasSubstr("the dataset has no labels"));
}

} // namespace
