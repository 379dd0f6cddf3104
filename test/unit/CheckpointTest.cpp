//===- CheckpointTest.cpp - saving, verifying, restoring and resuming -----===//

#include "TestSupport.h"

#include "kiln/checkpoint.h"
#include "kiln/train.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>

using namespace kiln::test;
using ::testing::HasSubstr;

namespace {

struct StateDeleter {
  void operator()(void *state) const { kiln_state_free(state); }
};
using StatePtr = std::unique_ptr<void, StateDeleter>;

struct CheckpointDeleter {
  void operator()(kiln_checkpoint *c) const { kiln_checkpoint_free(c); }
};
using CheckpointPtr = std::unique_ptr<kiln_checkpoint, CheckpointDeleter>;

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    kiln_train_options_init(&options);
    options.epochs = 3;
    options.batch_size = 16;
    options.seed = 11;
    options.quiet = 1;
    options.log_every = 5; // train accuracy is sampled, and must survive a resume
  }
  void TearDown() override { kiln_report_free(&report); }

  /// Trains into a fresh state that the test keeps.
  StatePtr train() {
    StatePtr state(kiln_state_alloc(&model));
    options.state = state.get();
    kiln_report_free(&report);
    EXPECT_EQ(kiln_train(&model, &options, trainSet.get(), testSet.get(), &report, err,
                         sizeof(err)),
              0)
        << err;
    return state;
  }

  CheckpointPtr load(const std::string &path) {
    return CheckpointPtr(kiln_checkpoint_load(path.c_str(), err, sizeof(err)));
  }

  bool sameState(const void *a, const void *b) {
    return std::memcmp(a, b, model.state_size) == 0;
  }

  kiln_model model = softmaxRegressionModel();
  DatasetPtr trainSet = makeBlobs(500, 1); // 32 batches of 16 per epoch
  DatasetPtr testSet = makeBlobs(200, 2);
  kiln_train_options options;
  kiln_report report{};
  ScratchDir scratch;
  std::string checkpointDir = scratch.path("ckpts");
  char err[512] = "";
};

TEST_F(CheckpointTest, RoundTripsStatePositionAndHistory) {
  options.epochs = 2;
  StatePtr state = train();
  kiln_train_position position{};
  position.step = 64;
  position.epoch = 2;
  position.seed = 11;
  position.batch_size = 16;
  position.shuffle = 1;
  position.epoch_loss_sum = 0.375;
  std::string path = scratch.path("a.ckpt");
  ASSERT_EQ(kiln_checkpoint_save(&model, state.get(), &position, report.history,
                                 report.history_size, path.c_str(), err, sizeof(err)),
            0)
      << err;
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  CheckpointPtr checkpoint = load(path);
  ASSERT_TRUE(checkpoint) << err;
  EXPECT_STREQ(kiln_checkpoint_model_name(checkpoint.get()), "softmax_regression");
  EXPECT_EQ(kiln_checkpoint_signature(checkpoint.get()), kiln_model_signature(&model));
  kiln_train_position loaded;
  kiln_checkpoint_get_position(checkpoint.get(), &loaded);
  EXPECT_EQ(loaded.step, 64);
  EXPECT_EQ(loaded.epoch, 2);
  EXPECT_EQ(loaded.seed, 11u);
  EXPECT_EQ(loaded.epoch_loss_sum, 0.375);
  const kiln_epoch_stats *history;
  ASSERT_EQ(kiln_checkpoint_history(checkpoint.get(), &history), 2);
  EXPECT_EQ(history[1].test_accuracy, report.history[1].test_accuracy);
  EXPECT_EQ(history[1].train_accuracy, report.history[1].train_accuracy);

  ASSERT_EQ(kiln_checkpoint_num_tensors(checkpoint.get()), 3u);
  kiln_tensor_view weights;
  kiln_checkpoint_tensor(checkpoint.get(), 0, &weights);
  EXPECT_STREQ(weights.name, "weights");
  EXPECT_EQ(weights.dtype, KILN_DTYPE_F32);
  ASSERT_EQ(weights.rank, 2);
  EXPECT_EQ(weights.shape[0], 3);
  EXPECT_EQ(weights.shape[1], 4);
  EXPECT_EQ(weights.bytes, 12 * sizeof(float));
  EXPECT_EQ(std::memcmp(weights.data, state.get(), weights.bytes), 0);

  StatePtr restored(kiln_state_alloc(&model));
  ASSERT_EQ(kiln_checkpoint_restore(checkpoint.get(), &model, restored.get(), err,
                                    sizeof(err)),
            0)
      << err;
  EXPECT_TRUE(sameState(state.get(), restored.get()));
}

// The heart of checkpointing: stopping anywhere and resuming gives the run
// that never stopped, bit for bit, parameters and report alike.
TEST_F(CheckpointTest, ResumedRunEqualsUninterruptedRun) {
  StatePtr uninterrupted = train();
  kiln_report expected = report;
  report = kiln_report{};

  options.checkpoint_dir = checkpointDir.c_str();
  options.checkpoint_every = 8;
  StatePtr checkpointed = train();
  EXPECT_TRUE(sameState(uninterrupted.get(), checkpointed.get()));

  // With 32 steps an epoch, 32 and 64 end an epoch (before its evaluation),
  // 40 and 56 lie inside one, 56 just after the sampled-accuracy step 55.
  for (int step : {8, 32, 40, 56, 64}) {
    SCOPED_TRACE(step);
    char name[64];
    std::snprintf(name, sizeof(name), "ckpts/ckpt-%010d.ckpt", step);
    CheckpointPtr checkpoint = load(scratch.path(name));
    ASSERT_TRUE(checkpoint) << err;
    options.resume = checkpoint.get();
    options.checkpoint_dir = nullptr;
    StatePtr resumed = train();
    EXPECT_TRUE(sameState(uninterrupted.get(), resumed.get()));
    EXPECT_EQ(report.steps, expected.steps);
    EXPECT_EQ(report.train_loss, expected.train_loss);
    EXPECT_EQ(report.test_loss, expected.test_loss);
    ASSERT_EQ(report.history_size, expected.history_size);
    for (int64_t e = 0; e < expected.history_size; ++e) {
      EXPECT_EQ(report.history[e].train_loss, expected.history[e].train_loss);
      EXPECT_EQ(report.history[e].test_accuracy, expected.history[e].test_accuracy);
      EXPECT_EQ(report.history[e].train_accuracy, expected.history[e].train_accuracy);
    }
  }
  kiln_report_free(&expected);
}

TEST_F(CheckpointTest, ResumeRefusesADifferentBatchOrder) {
  options.epochs = 1;
  options.checkpoint_dir = checkpointDir.c_str();
  options.checkpoint_every = 10;
  train();
  CheckpointPtr checkpoint = load(scratch.path("ckpts/ckpt-0000000010.ckpt"));
  ASSERT_TRUE(checkpoint) << err;
  options.resume = checkpoint.get();
  options.seed = 12;
  StatePtr state(kiln_state_alloc(&model));
  options.state = state.get();
  EXPECT_EQ(kiln_train(&model, &options, trainSet.get(), nullptr, &report, err,
                       sizeof(err)),
            -1);
  EXPECT_THAT(err, HasSubstr("the checkpoint was taken with seed 11, batch size 16; "
                             "resuming with seed 12, batch size 16 would change the "
                             "batch order"));
}

TEST_F(CheckpointTest, KeepsTheNewestAndFindsTheLatest) {
  options.epochs = 1;
  options.checkpoint_dir = checkpointDir.c_str();
  options.checkpoint_every = 5;
  options.checkpoint_keep = 2;
  // An interrupted write of a later step must never be picked.
  std::filesystem::create_directories(scratch.path("ckpts"));
  writeFile(scratch.path("ckpts/ckpt-0000000099.ckpt.tmp"), {'x'});
  train();
  std::vector<std::string> names;
  for (const auto &entry : std::filesystem::directory_iterator(scratch.path("ckpts")))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  // Steps 5..30 and the final 32; the two newest stay.
  EXPECT_EQ(names, (std::vector<std::string>{"ckpt-0000000030.ckpt",
                                             "ckpt-0000000032.ckpt",
                                             "ckpt-0000000099.ckpt.tmp"}));
  char latest[512];
  ASSERT_EQ(kiln_checkpoint_find_latest(scratch.path("ckpts").c_str(), latest,
                                        sizeof(latest), err, sizeof(err)),
            1)
      << err;
  EXPECT_EQ(std::string(latest), scratch.path("ckpts/ckpt-0000000032.ckpt"));
  EXPECT_EQ(kiln_checkpoint_find_latest(scratch.path("").c_str(), latest, sizeof(latest),
                                        err, sizeof(err)),
            0);
}

class CorruptCheckpointTest : public CheckpointTest {
protected:
  void SetUp() override {
    CheckpointTest::SetUp();
    options.epochs = 1;
    state = train();
    kiln_train_position position{};
    position.step = 32;
    ASSERT_EQ(kiln_checkpoint_save(&model, state.get(), &position, nullptr, 0,
                                   path.c_str(), err, sizeof(err)),
              0)
        << err;
    bytes = readBytes(path);
  }

  StatePtr state;
  std::string path = scratch.path("good.ckpt");
  Bytes bytes;
};

TEST_F(CorruptCheckpointTest, RefusesAFlippedDataBit) {
  // The weights are the largest payload; flip a bit inside their bytes.
  const float first = static_cast<const float *>(state.get())[0];
  auto at = std::search(bytes.begin(), bytes.end(),
                        reinterpret_cast<const unsigned char *>(&first),
                        reinterpret_cast<const unsigned char *>(&first) + 4);
  ASSERT_NE(at, bytes.end());
  *at ^= 0x01;
  writeFile(scratch.path("flipped.ckpt"), bytes);
  EXPECT_FALSE(load(scratch.path("flipped.ckpt")));
  EXPECT_THAT(err, HasSubstr("flipped.ckpt: corrupt checkpoint: checksum mismatch"));
}

TEST_F(CorruptCheckpointTest, RefusesATruncatedFile) {
  bytes.resize(bytes.size() / 2);
  writeFile(scratch.path("half.ckpt"), bytes);
  EXPECT_FALSE(load(scratch.path("half.ckpt")));
  EXPECT_THAT(err, HasSubstr("half.ckpt: corrupt checkpoint: its structure does not "
                             "verify"));
}

TEST_F(CorruptCheckpointTest, RefusesAnotherKindOfFile) {
  writeFile(scratch.path("report.ckpt"), {'{', '"', 'a', '"', ':', '1', '}', '\n'});
  EXPECT_FALSE(load(scratch.path("report.ckpt")));
  EXPECT_THAT(err, HasSubstr("report.ckpt: not a Kiln checkpoint (no 'KCKP' identifier)"));
  EXPECT_FALSE(load(scratch.path("missing.ckpt")));
  EXPECT_THAT(err, HasSubstr("missing.ckpt: cannot open: No such file or directory"));
}

TEST_F(CorruptCheckpointTest, RefusesADifferentlyCompiledModel) {
  CheckpointPtr checkpoint = load(path);
  ASSERT_TRUE(checkpoint) << err;
  // The same model name with a bias of another shape.
  kiln_state_entry entries[3];
  std::copy_n(model.state_entries, 3, entries);
  const int64_t biasShape[] = {1, 3};
  entries[1].rank = 2;
  entries[1].shape = biasShape;
  kiln_model changed = model;
  changed.state_entries = entries;
  StatePtr target(kiln_state_alloc(&model));
  EXPECT_EQ(kiln_checkpoint_restore(checkpoint.get(), &changed, target.get(), err,
                                    sizeof(err)),
            -1);
  EXPECT_THAT(err, HasSubstr("the checkpoint does not match the compiled model "
                             "'softmax_regression'"));
  changed = model;
  changed.name = "other";
  EXPECT_EQ(kiln_checkpoint_restore(checkpoint.get(), &changed, target.get(), err,
                                    sizeof(err)),
            -1);
  EXPECT_THAT(err, HasSubstr("the checkpoint is of model 'softmax_regression', not "
                             "'other'"));
}

TEST_F(CorruptCheckpointTest, FailedWriteLeavesTheOldCheckpoint) {
  // A directory where the temporary file must go makes the write fail.
  std::filesystem::create_directory(path + ".tmp");
  kiln_train_position position{};
  position.step = 99;
  EXPECT_EQ(kiln_checkpoint_save(&model, state.get(), &position, nullptr, 0, path.c_str(),
                                 err, sizeof(err)),
            -1);
  EXPECT_THAT(err, HasSubstr("good.ckpt.tmp: cannot create"));
  EXPECT_EQ(readBytes(path), bytes);
  EXPECT_TRUE(load(path)) << err;
}

// numpy.load is the reader that matters; the lit test e2e/checkpoint-resume
// checks the zip and .npy framing with the standard library alone.
TEST_F(CorruptCheckpointTest, ExportsAnNpzThatNumpyLoads) {
  const std::string python = KILN_TEST_PYTHON;
  if (std::system((python + " -c 'import numpy' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "SKIPPED: numpy is not installed for " << python
                 << " (pip install numpy; configure with -DKILN_TEST_PYTHON=...)";
  CheckpointPtr checkpoint = load(path);
  ASSERT_TRUE(checkpoint) << err;
  std::string npz = scratch.path("params.npz");
  ASSERT_EQ(kiln_checkpoint_export_npz(checkpoint.get(), npz.c_str(), err, sizeof(err)),
            0)
      << err;
  std::string command = python +
                        " -c \"import numpy, sys; a = numpy.load(sys.argv[1]); "
                        "print(sorted(a.files), a['weights'].shape, a['weights'].dtype, "
                        "a['step'].dtype, int(a['step']), repr(float(a['weights'][2, 3])), "
                        "repr(float(a['bias'][1])))\" " +
                        npz;
  std::FILE *pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char line[512] = "";
  ASSERT_NE(std::fgets(line, sizeof(line), pipe), nullptr);
  ASSERT_EQ(pclose(pipe), 0) << command;
  const float *weights = static_cast<const float *>(state.get());
  // Python's repr is the shortest round-trip form; compare the numbers.
  float w = 0, b = 0;
  ASSERT_EQ(std::sscanf(line, "['bias', 'step', 'weights'] (3, 4) float32 int64 32 %f %f",
                        &w, &b),
            2)
      << line;
  EXPECT_EQ(w, weights[2 * 4 + 3]);
  EXPECT_EQ(b, weights[12 + 1]); // bias[1] follows the 3 x 4 weights
}

TEST(CheckpointModelTest, RefusesAModelWithoutStateEntries) {
  kiln_model model = softmaxRegressionModel();
  model.state_entries = nullptr;
  model.num_state_entries = 0;
  ScratchDir scratch;
  StatePtr state(kiln_state_alloc(&model));
  kiln_train_position position{};
  char err[256];
  EXPECT_EQ(kiln_checkpoint_save(&model, state.get(), &position, nullptr, 0,
                                 scratch.path("x.ckpt").c_str(), err, sizeof(err)),
            -1);
  EXPECT_STREQ(err, "model 'softmax_regression' does not list its state entries "
                    "(kiln_model::state_entries)");
}

} // namespace
