//===- TrainTest.cpp - the training loop over a hand-written model ---------===//

#include "TestSupport.h"

#include "kiln/train.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace kiln::test;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

namespace {

class TrainTest : public ::testing::Test {
protected:
  void SetUp() override {
    kiln_train_options_init(&options);
    options.epochs = 5;
    options.batch_size = 16;
    options.seed = 3;
    options.quiet = 1;
  }
  void TearDown() override { kiln_report_free(&report); }

  int train(const kiln_model &model, const kiln_dataset *test) {
    return kiln_train(&model, &options, trainSet.get(), test, &report, err, sizeof(err));
  }

  kiln_model model = softmaxRegressionModel();
  DatasetPtr trainSet = makeBlobs(500, 1);
  DatasetPtr testSet = makeBlobs(200, 2);
  kiln_train_options options;
  kiln_report report{};
  char err[512] = "";
};

TEST_F(TrainTest, LearnsSeparableBlobs) {
  ASSERT_EQ(train(model, testSet.get()), 0) << err;
  EXPECT_GT(report.test_accuracy, 0.9);
  EXPECT_EQ(report.epochs, 5);
  EXPECT_EQ(report.steps, 5 * 32); // 500 / 16 rounded up, partial batch kept
  EXPECT_STREQ(report.model, "softmax_regression");
  ASSERT_EQ(report.history_size, 5);
  EXPECT_LT(report.history[4].train_loss, report.history[0].train_loss);
  EXPECT_LT(report.history[4].test_loss, report.history[0].test_loss);
  EXPECT_EQ(report.train_loss, report.history[4].train_loss);
  EXPECT_EQ(report.test_loss, report.history[4].test_loss);
  EXPECT_GT(report.train_seconds, 0);
  EXPECT_GT(report.images_per_second, 0);
}

TEST_F(TrainTest, SameSeedGivesSameRun) {
  ASSERT_EQ(train(model, testSet.get()), 0) << err;
  double firstLoss = report.test_loss;
  kiln_report_free(&report);
  ASSERT_EQ(train(model, testSet.get()), 0) << err;
  EXPECT_EQ(report.test_loss, firstLoss);
}

TEST_F(TrainTest, WithoutTestSetReportsNoTestMetrics) {
  options.drop_remainder = 1;
  ASSERT_EQ(train(model, nullptr), 0) << err;
  EXPECT_EQ(report.steps, 5 * 31);
  EXPECT_TRUE(std::isnan(report.test_loss));
  EXPECT_TRUE(std::isnan(report.history[0].test_accuracy));
  EXPECT_TRUE(std::isfinite(report.train_loss));
}

TEST_F(TrainTest, CallerStateKeepsTrainingAndEvaluates) {
  void *state = kiln_state_alloc(&model);
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(state) % KILN_STATE_ALIGNMENT, 0u);
  options.state = state;
  options.epochs = 1;
  ASSERT_EQ(train(model, testSet.get()), 0) << err;

  double loss, accuracy;
  std::vector<int64_t> confusion(9, -1);
  ASSERT_EQ(kiln_evaluate(&model, state, testSet.get(), 7, &loss, &accuracy,
                          confusion.data(), err, sizeof(err)),
            0)
      << err;
  EXPECT_NEAR(loss, report.test_loss, 1e-6);
  EXPECT_DOUBLE_EQ(accuracy, report.test_accuracy);
  EXPECT_EQ(std::accumulate(confusion.begin(), confusion.end(), int64_t(0)), 200);
  EXPECT_EQ(confusion[0] + confusion[4] + confusion[8], int64_t(accuracy * 200 + 0.5));

  // Continuing from the trained state must not start over.
  double oneEpochLoss = report.train_loss;
  kiln_report_free(&report);
  options.skip_init = 1;
  ASSERT_EQ(train(model, testSet.get()), 0) << err;
  EXPECT_LT(report.train_loss, oneEpochLoss);
  kiln_state_free(state);
}

TEST_F(TrainTest, NonFiniteLossStopsWithEpochAndStep) {
  kiln_model diverging = divergingModel();
  EXPECT_EQ(train(diverging, testSet.get()), -1);
  EXPECT_STREQ(err, "training diverged: loss is nan at epoch 1, step 3 of 32");
  EXPECT_EQ(report.epochs, 0);
}

TEST_F(TrainTest, RejectsDatasetOfWrongExampleSize) {
  model.input_size = 5;
  EXPECT_EQ(train(model, testSet.get()), -1);
  EXPECT_STREQ(err, "blobs: dataset has 4 floats per example, model expects 5");
}

TEST_F(TrainTest, RejectsLabelsOutsideTheModelOutputs) {
  model.output_size = 2;
  EXPECT_EQ(train(model, nullptr), -1);
  EXPECT_THAT(err, HasSubstr("expected 0..1 for 2 classes"));
}

TEST_F(TrainTest, PrintsOneProgressLinePerEpoch) {
  options.quiet = 0;
  options.epochs = 2;
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(train(model, testSet.get()), 0) << err;
  std::string progress = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(progress, StartsWith("epoch 1/2  step 32/32  loss "));
  EXPECT_THAT(progress, HasSubstr("\nepoch 2/2  step 32/32  loss "));
  EXPECT_THAT(progress, HasSubstr("  test_acc "));
  EXPECT_THAT(progress, HasSubstr(" img/s\n"));
  EXPECT_EQ(std::count(progress.begin(), progress.end(), '\n'), 2);
}

TEST_F(TrainTest, LogEveryAddsStepLinesWithinEpochs) {
  options.quiet = 0;
  options.epochs = 1;
  options.log_every = 10;
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(train(model, nullptr), 0) << err;
  std::string progress = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(progress, StartsWith("epoch 1/1  step 10/32  loss "));
  EXPECT_THAT(progress, HasSubstr("\nepoch 1/1  step 30/32  loss "));
  EXPECT_THAT(progress, HasSubstr("\nepoch 1/1  step 32/32  loss "));
  EXPECT_THAT(progress, Not(HasSubstr("test_acc")));
  EXPECT_EQ(std::count(progress.begin(), progress.end(), '\n'), 4);
}

} // namespace

namespace {

TEST_F(TrainTest, BarRedrawsOneLineWithEtaAndEndsEachEpochWithALine) {
  options.quiet = 0;
  options.epochs = 2;
  options.log_every = 4;
  options.progress = KILN_PROGRESS_BAR;
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(train(model, testSet.get()), 0) << err;
  std::string progress = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(progress, StartsWith("\r\033[Kepoch 1/2 [>"));
  EXPECT_THAT(progress, HasSubstr("] 32/32  loss "));
  EXPECT_THAT(progress, HasSubstr("  acc "));
  EXPECT_THAT(progress, HasSubstr(" img/s  ETA 0:00"));
  // The bar is never ended by a newline; only the epoch summaries are.
  EXPECT_THAT(progress, HasSubstr("\r\033[Kepoch 1/2  step 32/32  loss "));
  EXPECT_THAT(progress, HasSubstr("  test_acc "));
  EXPECT_EQ(std::count(progress.begin(), progress.end(), '\n'), 2);
}

TEST_F(TrainTest, LogEverySamplesTrainAccuracyIntoTheHistory) {
  options.log_every = 4;
  ASSERT_EQ(train(model, testSet.get()), 0) << err;
  EXPECT_GT(report.history[4].train_accuracy, 0.9);
  EXPECT_LE(report.history[4].train_accuracy, 1.0);
  options.log_every = 0;
  kiln_report_free(&report);
  ASSERT_EQ(train(model, testSet.get()), 0) << err;
  EXPECT_TRUE(std::isnan(report.history[4].train_accuracy));
}

} // namespace
