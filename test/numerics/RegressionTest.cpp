//===- RegressionTest.cpp - f32 labels: linear regression vs least squares ===//
//
// samples/regression/linear_regression.kiln (label y: f32[?, 1], MSE) trained
// through libkilnrt on its CSV data. Gradient descent on the mean squared
// error converges to the least-squares solution, which is computed here
// independently from the normal equations (X^T X) beta = X^T y in double.
//
//===----------------------------------------------------------------------===//
#include <kiln/model.h>
#include <kiln/train.h>

#include "linear_regression.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr int kFeatures = 3;
/// w1, w2, w3 and the bias.
using Coefficients = std::array<double, kFeatures + 1>;

struct DatasetDeleter {
  void operator()(kiln_dataset *d) const { kiln_dataset_free(d); }
};
using DatasetPtr = std::unique_ptr<kiln_dataset, DatasetDeleter>;

DatasetPtr loadCsv(const char *name) {
  std::string path = std::string(KILN_REGRESSION_DATA_DIR) + "/" + name;
  char err[256] = "";
  DatasetPtr dataset(
      kiln_dataset_load_csv_f32(path.c_str(), "y", 1.0f, 0.0f, err, sizeof(err)));
  EXPECT_TRUE(dataset) << err;
  return dataset;
}

/// Solves (A^T A) beta = A^T y for A = [x, 1] by Gaussian elimination with
/// partial pivoting.
Coefficients leastSquares(const kiln_dataset *data) {
  constexpr int K = kFeatures + 1;
  double m[K][K + 1] = {};
  const float *x = kiln_dataset_features(data);
  const float *y = kiln_dataset_labels_f32(data);
  for (int64_t n = 0; n < kiln_dataset_size(data); ++n) {
    double row[K] = {x[n * kFeatures], x[n * kFeatures + 1], x[n * kFeatures + 2], 1};
    for (int i = 0; i < K; ++i) {
      for (int j = 0; j < K; ++j)
        m[i][j] += row[i] * row[j];
      m[i][K] += row[i] * y[n];
    }
  }
  for (int col = 0; col < K; ++col) {
    int pivot = col;
    for (int r = col + 1; r < K; ++r)
      if (std::fabs(m[r][col]) > std::fabs(m[pivot][col]))
        pivot = r;
    std::swap(m[col], m[pivot]);
    for (int r = 0; r < K; ++r) {
      if (r == col)
        continue;
      double factor = m[r][col] / m[col][col];
      for (int j = col; j <= K; ++j)
        m[r][j] -= factor * m[col][j];
    }
  }
  Coefficients beta;
  for (int i = 0; i < K; ++i)
    beta[i] = m[i][K] / m[i][i];
  return beta;
}

/// Trains the compiled model on `train` and returns its coefficients.
Coefficients train(const kiln_dataset *data, int64_t batchSize, int64_t epochs,
                   int shuffle, void *state) {
  kiln_model model = linear_regression_kiln_model();
  kiln_train_options options;
  kiln_train_options_init(&options);
  options.batch_size = batchSize;
  options.epochs = epochs;
  options.seed = 1;
  options.shuffle = shuffle;
  options.quiet = 1;
  options.state = state;
  kiln_report report;
  char err[256] = "";
  EXPECT_EQ(kiln_train(&model, &options, data, nullptr, &report, err, sizeof(err)), 0)
      << err;
  EXPECT_TRUE(report.regression);
  kiln_report_free(&report);
  const auto *w = reinterpret_cast<const float *>(static_cast<const char *>(state) +
                                                  LINEAR_REGRESSION_W_OFFSET);
  const auto *b = reinterpret_cast<const float *>(static_cast<const char *>(state) +
                                                  LINEAR_REGRESSION_B_OFFSET);
  return {w[0], w[1], w[2], b[0]};
}

struct StateDeleter {
  void operator()(void *s) const { kiln_state_free(s); }
};

TEST(LinearRegression, ModelTableDescribesFloatLabels) {
  kiln_model model = linear_regression_kiln_model();
  EXPECT_EQ(model.label_dtype, KILN_DTYPE_F32);
  EXPECT_EQ(model.label_size, 1);
  EXPECT_FALSE(kiln_model_is_classifier(&model));
}

TEST(LinearRegression, CsvLoaderKeepsRealValuedLabels) {
  DatasetPtr data = loadCsv("linear_train.csv");
  ASSERT_TRUE(data);
  EXPECT_EQ(kiln_dataset_size(data.get()), 400);
  EXPECT_EQ(kiln_dataset_label_dtype(data.get()), KILN_DTYPE_F32);
  EXPECT_EQ(kiln_dataset_labels(data.get()), nullptr);
  // The first row of linear_train.csv: 1.48127,1.43198,1.12706,2.81814.
  EXPECT_FLOAT_EQ(kiln_dataset_labels_f32(data.get())[0], 2.81814f);
  EXPECT_FLOAT_EQ(kiln_dataset_features(data.get())[2], 1.12706f);
}

// Full-batch gradient descent (the sample's learning rate, batch = the whole
// set, 400 steps) reaches the least-squares solution (measured: within 1e-6).
TEST(LinearRegression, FullBatchDescentReachesLeastSquares) {
  DatasetPtr data = loadCsv("linear_train.csv");
  ASSERT_TRUE(data);
  kiln_model model = linear_regression_kiln_model();
  std::unique_ptr<void, StateDeleter> state(kiln_state_alloc(&model));
  Coefficients expected = leastSquares(data.get());
  Coefficients trained = train(data.get(), 400, 400, 0, state.get());
  for (int i = 0; i < kFeatures + 1; ++i)
    EXPECT_NEAR(trained[i], expected[i], 1e-5) << "coefficient " << i;
  // Sanity: the generating model is 1.5, -2, 0.5, 3 plus noise of 0.1.
  EXPECT_NEAR(expected[0], 1.5, 0.05);
  EXPECT_NEAR(expected[3], 3.0, 0.05);

  // evaluate's loss on the test set is the mean squared error of these
  // coefficients, computed here from the CSV.
  DatasetPtr test = loadCsv("linear_test.csv");
  ASSERT_TRUE(test);
  double loss = 0, accuracy = 0, mse = 0;
  char err[256] = "";
  ASSERT_EQ(kiln_evaluate(&model, state.get(), test.get(), 64, &loss, &accuracy,
                          nullptr, err, sizeof(err)),
            0)
      << err;
  const float *x = kiln_dataset_features(test.get());
  const float *y = kiln_dataset_labels_f32(test.get());
  for (int64_t n = 0; n < kiln_dataset_size(test.get()); ++n) {
    double prediction = trained[3];
    for (int j = 0; j < kFeatures; ++j)
      prediction += trained[j] * x[n * kFeatures + j];
    mse += (prediction - y[n]) * (prediction - y[n]);
  }
  mse /= double(kiln_dataset_size(test.get()));
  EXPECT_NEAR(loss, mse, 1e-5 * mse);
  EXPECT_TRUE(std::isnan(accuracy)); // no accuracy for real-valued labels
}

// The sample's own recipe (shuffled batches of 32, 50 epochs) ends within
// SGD's noise of the least-squares solution (measured: within 0.006).
TEST(LinearRegression, SampleRecipeLandsNearLeastSquares) {
  DatasetPtr data = loadCsv("linear_train.csv");
  ASSERT_TRUE(data);
  kiln_model model = linear_regression_kiln_model();
  std::unique_ptr<void, StateDeleter> state(kiln_state_alloc(&model));
  Coefficients expected = leastSquares(data.get());
  Coefficients trained = train(data.get(), 32, 50, 1, state.get());
  for (int i = 0; i < kFeatures + 1; ++i)
    EXPECT_NEAR(trained[i], expected[i], 2e-2) << "coefficient " << i;
}

// A classifier's int32 labels are refused by a model that takes values.
TEST(LinearRegression, ClassLabelsAreRefused) {
  kiln_model model = linear_regression_kiln_model();
  kiln_report report;
  kiln_train_options options;
  kiln_train_options_init(&options);
  options.quiet = 1;
  char err[256] = "";
  std::vector<float> x(12, 1.0f);
  std::vector<int32_t> y(4, 0);
  DatasetPtr classes(kiln_dataset_create("classes", 4, 3, x.data(), y.data(), err,
                                         sizeof(err)));
  ASSERT_TRUE(classes) << err;
  EXPECT_EQ(kiln_train(&model, &options, classes.get(), nullptr, &report, err,
                       sizeof(err)),
            -1);
  EXPECT_STREQ(err, "classes: the model takes 1 real-valued label per example, "
                    "the dataset has class indices");
  kiln_report_free(&report);
}

} // namespace
