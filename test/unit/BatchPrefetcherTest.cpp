//===- BatchPrefetcherTest.cpp - batch copies ahead of the steps, faked ---===//
//
// BatchPrefetcher drives a fake CopyEngine that behaves like the worst
// legal GPU: a copy runs only when something has to wait for it (the host
// in waitCopied, the compute stream in computeWaitsFor), reading the host
// buffer as it is then. So a host buffer refilled before its copy ran, or a
// copy queued into a slot a step may still read, shows up as a wrong batch
// or a failed expectation.
//
//===----------------------------------------------------------------------===//

#include "BatchPrefetcher.h"
#include "TestSupport.h"

#include "kiln/batcher.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <deque>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

using namespace kiln;
using namespace kiln::test;

namespace {

constexpr int64_t kExampleSize = 3;

/// Example e has inputs {e, e + 0.25, e + 0.5} and label e.
DatasetPtr makeDataset(int64_t n) {
  std::vector<float> features;
  std::vector<int32_t> labels;
  for (int64_t e = 0; e < n; ++e) {
    features.insert(features.end(), {float(e), float(e) + 0.25f, float(e) + 0.5f});
    labels.push_back(int32_t(e));
  }
  return DatasetPtr(kiln_dataset_create("indexed", n, kExampleSize, features.data(),
                                        labels.data(), nullptr, 0));
}

/// A CopyEngine whose copies run as late as they may; see the file comment.
/// Logs what the prefetcher asks for.
class FakeEngine final : public CopyEngine {
public:
  FakeEngine(int64_t batchRows, std::vector<std::string> &log) : log(log) {
    for (Slot &slot : slots) {
      slot.hostX.assign(size_t(batchRows * kExampleSize), -1.0f);
      slot.deviceX.assign(slot.hostX.size(), -1.0f);
      slot.hostY.assign(size_t(batchRows), -1);
      slot.deviceY.assign(slot.hostY.size(), -1);
    }
  }

  SlotBuffers buffers(int i) override {
    Slot &slot = slots.at(size_t(i));
    return {slot.hostX.data(), slot.hostY.data(), slot.deviceX.data(),
            slot.deviceY.data()};
  }

  void copyToDevice(int i, size_t xBytes, size_t yBytes) override {
    std::lock_guard<std::mutex> lock(mutex);
    Slot &slot = slots.at(size_t(i));
    EXPECT_FALSE(slot.inUse) << "copy into slot " << i << " while a step may read it";
    EXPECT_EQ(xBytes / (kExampleSize * sizeof(float)), yBytes / sizeof(int32_t));
    record("copy " + std::to_string(i) + " rows " +
           std::to_string(yBytes / sizeof(int32_t)));
    queue.push_back({i, xBytes, yBytes});
  }

  void waitCopied(int i) override {
    std::lock_guard<std::mutex> lock(mutex);
    runCopiesOf(i);
    record("host waits " + std::to_string(i));
  }

  void computeWaitsFor(int i) override {
    std::lock_guard<std::mutex> lock(mutex);
    runCopiesOf(i);
    slots.at(size_t(i)).inUse = true;
    record("compute waits " + std::to_string(i));
  }

  void releaseAfterCompute(int i) override {
    std::lock_guard<std::mutex> lock(mutex);
    slots.at(size_t(i)).inUse = false;
    record("release " + std::to_string(i));
  }

  /// Whether a copy from this host buffer is queued and has not run.
  bool copyPending(const float *hostX) {
    std::lock_guard<std::mutex> lock(mutex);
    for (const Copy &copy : queue)
      if (slots[size_t(copy.slot)].hostX.data() == hostX)
        return true;
    return false;
  }

  void record(const std::string &line) {
    std::lock_guard<std::mutex> lock(logMutex);
    log.push_back(line);
  }

private:
  struct Slot {
    std::vector<float> hostX, deviceX;
    std::vector<int32_t> hostY, deviceY;
    bool inUse = false; // between computeWaitsFor and releaseAfterCompute
  };
  struct Copy {
    int slot;
    size_t xBytes, yBytes;
  };

  /// Runs the copy stream, in order, up to the last copy into slot i.
  void runCopiesOf(int i) {
    bool any = false;
    for (const Copy &copy : queue)
      any |= copy.slot == i;
    while (any && !queue.empty()) {
      Copy copy = queue.front();
      queue.pop_front();
      Slot &slot = slots[size_t(copy.slot)];
      std::memcpy(slot.deviceX.data(), slot.hostX.data(), copy.xBytes);
      std::memcpy(slot.deviceY.data(), slot.hostY.data(), copy.yBytes);
      any = false;
      for (const Copy &later : queue)
        any |= later.slot == i;
    }
  }

  std::vector<std::string> &log;
  std::mutex mutex, logMutex;
  std::array<Slot, BatchPrefetcher::kSlots> slots;
  std::deque<Copy> queue;
};

/// Batches from a kiln_batcher over `dataset`, as the training loop gathers
/// them; checks that no host buffer it fills is still to be copied.
struct BatcherSource {
  kiln_batcher *batcher;
  FakeEngine *engine;
  int64_t gathered = 0;

  int64_t operator()(float *x, void *y) {
    EXPECT_FALSE(engine->copyPending(x)) << "host buffer refilled before its copy ran";
    const float *rowsX;
    const void *labels;
    int64_t rows = kiln_batcher_next(batcher, &rowsX, &labels);
    std::memcpy(x, rowsX, size_t(rows * kExampleSize) * sizeof(float));
    std::memcpy(y, labels, size_t(rows) * sizeof(int32_t));
    engine->record("gather " + std::to_string(gathered++) + " rows " +
                   std::to_string(rows));
    return rows;
  }
};

struct BatcherDeleter {
  void operator()(kiln_batcher *batcher) const { kiln_batcher_free(batcher); }
};
using BatcherPtr = std::unique_ptr<kiln_batcher, BatcherDeleter>;

BatcherPtr makeBatcher(const kiln_dataset *dataset, int64_t batchSize, int shuffle) {
  kiln_batcher_options options{batchSize, /*seed=*/7, shuffle, /*drop_remainder=*/0};
  return BatcherPtr(kiln_batcher_create(dataset, &options, nullptr, 0));
}

/// The labels the step sees on the device, checking the inputs against them
/// and the host labels against the device ones.
std::vector<int32_t> deviceLabels(const DeviceBatch &batch) {
  const auto *y = static_cast<const int32_t *>(batch.y);
  const auto *hostY = static_cast<const int32_t *>(batch.hostY);
  for (int64_t row = 0; row < batch.rows; ++row) {
    EXPECT_EQ(hostY[row], y[row]) << "row " << row;
    for (int64_t k = 0; k < kExampleSize; ++k)
      EXPECT_EQ(batch.x[row * kExampleSize + k], float(y[row]) + 0.25f * float(k))
          << "row " << row << " input " << k;
  }
  return std::vector<int32_t>(y, y + batch.rows);
}

// The exact order of one pass of 10 examples in batches of 4 (the last one
// partial), gathering on the calling thread: the copy of batch i+1 is queued
// before step i, each step's compute waits for its batch first, a slot is
// released before it is copied into again and its host buffer waited for
// before it is refilled.
TEST(BatchPrefetcherTest, OrderOfOnePass) {
  DatasetPtr dataset = makeDataset(10);
  BatcherPtr batcher = makeBatcher(dataset.get(), 4, /*shuffle=*/0);
  std::vector<std::string> log;
  auto engine = std::make_unique<FakeEngine>(4, log);
  FakeEngine *fake = engine.get();
  {
    BatchPrefetcher prefetcher(std::move(engine), kExampleSize * sizeof(float),
                               sizeof(int32_t), /*gatherAhead=*/false);
    prefetcher.start(BatcherSource{batcher.get(), fake});
    DeviceBatch batch;
    for (int step = 0; prefetcher.next(batch); ++step) {
      std::vector<int32_t> labels = deviceLabels(batch);
      ASSERT_FALSE(labels.empty());
      EXPECT_EQ(labels.front(), 4 * step);
      fake->record("step " + std::to_string(step) + " rows " +
                   std::to_string(batch.rows));
    }
    EXPECT_FALSE(prefetcher.next(batch)) << "a finished pass stays finished";
    log.push_back("destroy");
  }
  std::vector<std::string> expected = {
      "host waits 0", "gather 0 rows 4", "copy 0 rows 4",
      "host waits 1", "gather 1 rows 4",
      // next() -> batch 0
      "copy 1 rows 4", "host waits 2", "gather 2 rows 2", "compute waits 0",
      "step 0 rows 4",
      // next() -> batch 1
      "release 0", "copy 2 rows 2", "host waits 0", "gather 3 rows 0",
      "compute waits 1", "step 1 rows 4",
      // next() -> batch 2, the last
      "release 1", "compute waits 2", "step 2 rows 2",
      // next() -> end, twice
      "release 2", "destroy",
      // the destructor lets no copy outlive the buffers
      "host waits 0", "host waits 1", "host waits 2"};
  EXPECT_EQ(log, expected);
}

// Three shuffled epochs of 23 examples in batches of 5 (the last of 3),
// gathered ahead on the worker thread or not: every step sees exactly the
// batches of its epoch's permutation, in order, inputs matching labels.
class BatchPrefetcherEpochs : public ::testing::TestWithParam<bool> {};

TEST_P(BatchPrefetcherEpochs, StepsSeeEachEpochsBatchesInOrder) {
  const int64_t n = 23, batchSize = 5;
  DatasetPtr dataset = makeDataset(n);
  BatcherPtr batcher = makeBatcher(dataset.get(), batchSize, /*shuffle=*/1);
  std::vector<std::string> log;
  auto engine = std::make_unique<FakeEngine>(batchSize, log);
  FakeEngine *fake = engine.get();
  BatchPrefetcher prefetcher(std::move(engine), kExampleSize * sizeof(float),
                             sizeof(int32_t), /*gatherAhead=*/GetParam());
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    kiln_batcher_start_epoch(batcher.get(), epoch);
    prefetcher.start(BatcherSource{batcher.get(), fake});
    std::vector<int32_t> seen;
    std::vector<int64_t> rows;
    DeviceBatch batch;
    while (prefetcher.next(batch)) {
      std::vector<int32_t> labels = deviceLabels(batch);
      seen.insert(seen.end(), labels.begin(), labels.end());
      rows.push_back(batch.rows);
    }
    std::vector<int64_t> order(n);
    kiln_epoch_permutation(7, epoch, n, order.data());
    EXPECT_EQ(seen, std::vector<int32_t>(order.begin(), order.end())) << "epoch " << epoch;
    EXPECT_EQ(rows, (std::vector<int64_t>{5, 5, 5, 5, 3})) << "epoch " << epoch;
  }
}

INSTANTIATE_TEST_SUITE_P(GatherAhead, BatchPrefetcherEpochs, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool> &info) {
                           return info.param ? "OnWorker" : "OnCaller";
                         });

// An evaluation: the dataset in order, one pass per call. A batch size that
// divides the dataset gives no empty last batch; one larger than the
// dataset gives one batch; an empty pass hands out nothing and copies
// nothing; a pass abandoned halfway (an error) leaves the next one intact.
TEST(BatchPrefetcherTest, EvaluationPasses) {
  DatasetPtr dataset = makeDataset(12);
  std::vector<std::string> log;
  auto engine = std::make_unique<FakeEngine>(12, log);
  FakeEngine *fake = engine.get();
  BatchPrefetcher prefetcher(std::move(engine), kExampleSize * sizeof(float),
                             sizeof(int32_t), /*gatherAhead=*/true);
  auto pass = [&](int64_t batchSize, int64_t stopAfter) {
    BatcherPtr batcher = makeBatcher(dataset.get(), batchSize, /*shuffle=*/0);
    prefetcher.start(BatcherSource{batcher.get(), fake});
    std::vector<int64_t> rows;
    std::vector<int32_t> seen;
    DeviceBatch batch;
    while (int64_t(rows.size()) < stopAfter && prefetcher.next(batch)) {
      std::vector<int32_t> labels = deviceLabels(batch);
      seen.insert(seen.end(), labels.begin(), labels.end());
      rows.push_back(batch.rows);
    }
    // Nothing reads the batcher after the pass: the next one may free it.
    prefetcher.start([](float *, void *) -> int64_t { return 0; });
    return std::make_pair(rows, seen);
  };
  std::vector<int32_t> all(12);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(pass(4, 100).first, (std::vector<int64_t>{4, 4, 4}));
  EXPECT_EQ(pass(4, 100).second, all);
  EXPECT_EQ(pass(12, 100).first, (std::vector<int64_t>{12}));
  EXPECT_EQ(pass(3, 2).second, (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(pass(5, 100).first, (std::vector<int64_t>{5, 5, 2}));

  log.clear();
  prefetcher.start([](float *, void *) -> int64_t { return 0; });
  DeviceBatch batch;
  EXPECT_FALSE(prefetcher.next(batch));
  for (const std::string &line : log)
    EXPECT_EQ(line.rfind("copy", 0), std::string::npos) << line;
}

} // namespace
