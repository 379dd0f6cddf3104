//===- SummariesTest.cpp - TensorBoard event files of a training run ------===//
//
// Two readers check the files: a TFRecord/protobuf reader written here from
// the format description (always runs), and TensorBoard's own
// event_accumulator (runs when the Python in KILN_TEST_PYTHON has
// tensorboard; otherwise the test is reported SKIPPED, never passed).
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "kiln/train.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

using namespace kiln::test;

namespace {

/// Bit-by-bit CRC-32C: a reference independent of the runtime's table.
uint32_t referenceCrc32c(const unsigned char *data, size_t size) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

struct Scalar {
  int64_t step;
  float value;
};

/// Decodes an event file: checks framing and CRCs, returns the file_version
/// and the scalars by tag.
struct EventReader {
  std::string fileVersion;
  std::map<std::string, std::vector<Scalar>> scalars;

  static uint64_t varint(const Bytes &b, size_t &at) {
    uint64_t value = 0;
    for (int shift = 0;; shift += 7) {
      unsigned char byte = b.at(at++);
      value |= uint64_t(byte & 0x7F) << shift;
      if (!(byte & 0x80))
        return value;
    }
  }

  void parseEvent(const Bytes &e) {
    int64_t step = 0;
    std::string tag;
    float value = NAN;
    // Event fields, then (inside 5) Summary.value = 1, then Value fields.
    std::vector<std::pair<size_t, size_t>> stack{{0, e.size()}};
    while (!stack.empty()) {
      auto [at, end] = stack.back();
      stack.pop_back();
      while (at < end) {
        uint64_t key = varint(e, at);
        int field = int(key >> 3), type = int(key & 7);
        if (type == 0) {
          uint64_t v = varint(e, at);
          if (field == 2)
            step = int64_t(v);
        } else if (type == 1) {
          at += 8;
        } else if (type == 5) {
          std::memcpy(&value, &e[at], 4);
          at += 4;
        } else {
          ASSERT_EQ(type, 2);
          size_t length = varint(e, at);
          std::string bytes(e.begin() + long(at), e.begin() + long(at + length));
          if (field == 3 && stack.empty() && tag.empty() && fileVersion.empty() &&
              bytes.rfind("brain", 0) == 0)
            fileVersion = bytes;
          else if (field == 1 && bytes.find('\x15') == std::string::npos)
            tag = bytes; // Value.tag (a Summary.value holds a 0x15 float key)
          else
            stack.push_back({at, at + length}); // Summary or Value: descend
          at += length;
        }
      }
    }
    if (!tag.empty())
      scalars[tag].push_back({step, value});
  }

  void read(const std::string &path) {
    Bytes b = readBytes(path);
    for (size_t at = 0; at < b.size();) {
      ASSERT_LE(at + 12, b.size());
      uint64_t length;
      uint32_t lengthCrc, dataCrc;
      std::memcpy(&length, &b[at], 8);
      std::memcpy(&lengthCrc, &b[at + 8], 4);
      ASSERT_EQ(lengthCrc, masked(referenceCrc32c(&b[at], 8)));
      ASSERT_LE(at + 16 + length, b.size());
      std::memcpy(&dataCrc, &b[at + 12 + length], 4);
      ASSERT_EQ(dataCrc, masked(referenceCrc32c(&b[at + 12], length)));
      parseEvent(Bytes(b.begin() + long(at + 12), b.begin() + long(at + 12 + length)));
      at += 16 + length;
    }
  }
};

std::string onlyEventFile(const std::string &dir) {
  std::vector<std::string> files;
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    files.push_back(entry.path().string());
  EXPECT_EQ(files.size(), 1u) << dir;
  EXPECT_THAT(files.at(0), ::testing::HasSubstr("/events.out.tfevents."));
  return files.at(0);
}

class SummariesTest : public ::testing::Test {
protected:
  void SetUp() override {
    kiln_train_options_init(&options);
    options.epochs = 2;
    options.batch_size = 16;
    options.seed = 3;
    options.quiet = 1;
    options.log_every = 10;
    options.learning_rate = 0.5;
    options.logdir = logdir.c_str();
    ASSERT_EQ(kiln_train(&model, &options, trainSet.get(), testSet.get(), &report, err,
                         sizeof(err)),
              0)
        << err;
  }
  void TearDown() override { kiln_report_free(&report); }

  kiln_model model = softmaxRegressionModel();
  DatasetPtr trainSet = makeBlobs(500, 1); // 32 steps an epoch
  DatasetPtr testSet = makeBlobs(200, 2);
  kiln_train_options options;
  kiln_report report{};
  ScratchDir scratch;
  std::string logdir = scratch.path("logs");
  char err[512] = "";
};

TEST_F(SummariesTest, WritesFramedEventsWithTheRunsScalars) {
  EventReader train, test;
  train.read(onlyEventFile(logdir + "/train"));
  test.read(onlyEventFile(logdir + "/test"));
  EXPECT_EQ(train.fileVersion, "brain.Event:2");
  EXPECT_EQ(test.fileVersion, "brain.Event:2");

  // Every 10 steps over 64: steps 10..60.
  ASSERT_EQ(train.scalars["loss"].size(), 6u);
  EXPECT_EQ(train.scalars["loss"][0].step, 10);
  EXPECT_EQ(train.scalars["accuracy"][5].step, 60);
  EXPECT_EQ(train.scalars["learning_rate"][2].value, 0.5f);

  ASSERT_EQ(train.scalars["epoch_loss"].size(), 2u);
  EXPECT_EQ(train.scalars["epoch_loss"][1].step, 2);
  EXPECT_EQ(train.scalars["epoch_loss"][1].value, float(report.history[1].train_loss));
  EXPECT_EQ(train.scalars["epoch_accuracy"][0].value,
            float(report.history[0].train_accuracy));
  ASSERT_EQ(test.scalars["epoch_accuracy"].size(), 2u);
  EXPECT_EQ(test.scalars["epoch_accuracy"][1].value, float(report.test_accuracy));
  EXPECT_EQ(test.scalars["epoch_loss"][0].value, float(report.history[0].test_loss));
  EXPECT_EQ(test.scalars.count("loss"), 0u);
}

TEST_F(SummariesTest, TensorBoardReadsTheEvents) {
  const std::string python = KILN_TEST_PYTHON;
  std::string probe = python + " -c 'import tensorboard' 2>/dev/null";
  if (std::system(probe.c_str()) != 0)
    GTEST_SKIP() << "SKIPPED: tensorboard is not installed for " << python
                 << " (pip install tensorboard; configure with "
                    "-DKILN_TEST_PYTHON=/path/to/python)";
  std::string script = scratch.path("read.py");
  std::FILE *file = std::fopen(script.c_str(), "w");
  ASSERT_NE(file, nullptr);
  std::fputs("import sys\n"
             "from tensorboard.backend.event_processing import event_accumulator\n"
             "for run in ('train', 'test'):\n"
             "    acc = event_accumulator.EventAccumulator(sys.argv[1] + '/' + run)\n"
             "    acc.Reload()\n"
             "    for tag in sorted(acc.Tags()['scalars']):\n"
             "        for e in acc.Scalars(tag):\n"
             "            print(run, tag, e.step, repr(e.value))\n",
             file);
  std::fclose(file);
  std::string command = python + " " + script + " " + logdir;
  std::FILE *pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::map<std::string, double> values;
  char run[16], tag[64];
  long long step;
  double value;
  while (std::fscanf(pipe, "%15s %63s %lld %lf", run, tag, &step, &value) == 4)
    values[std::string(run) + "/" + tag + "@" + std::to_string(step)] = value;
  ASSERT_EQ(pclose(pipe), 0) << command;
  EXPECT_EQ(values.size(), 6u * 3 + 2 * 3 + 2 * 2);
  EXPECT_EQ(values["train/epoch_loss@2"], double(float(report.history[1].train_loss)));
  EXPECT_EQ(values["test/epoch_accuracy@2"], double(float(report.test_accuracy)));
  EXPECT_EQ(values["train/learning_rate@30"], 0.5);
}

} // namespace
