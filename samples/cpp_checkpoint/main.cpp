// Trains the MLP sample briefly from C++, checkpoints it, restores the
// checkpoint into a fresh state and checks that the restored parameters give
// the same test accuracy. The model is compiled at build time by
// kiln_add_model (see CMakeLists.txt). Usage: cpp_checkpoint [DIR]
#include <kiln/checkpoint.h>
#include <kiln/dataset.h>
#include <kiln/model.h>
#include <kiln/train.h>

#include "mlp.h" // after kiln/model.h: also defines mlp_kiln_model()

#include <cstdio>
#include <memory>
#include <string>

namespace {

const std::string kData = "/usr/share/datasets/fashion-mnist/";

template <typename T, void (*Free)(T *)> struct Deleter {
  void operator()(T *p) const { Free(p); }
};
using Dataset = std::unique_ptr<kiln_dataset, Deleter<kiln_dataset, kiln_dataset_free>>;
using Checkpoint =
    std::unique_ptr<kiln_checkpoint, Deleter<kiln_checkpoint, kiln_checkpoint_free>>;
using State = std::unique_ptr<void, Deleter<void, kiln_state_free>>;

Dataset load(const char *images, const char *labels, int64_t limit, char *err) {
  Dataset all(kiln_dataset_load_idx((kData + images).c_str(), (kData + labels).c_str(),
                                    1.0f / 255, 0.0f, err, 512));
  return Dataset(all ? kiln_dataset_subset(all.get(), limit, err, 512) : nullptr);
}

int fail(const char *err) {
  std::fprintf(stderr, "cpp_checkpoint: %s\n", err);
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  std::string dir = argc > 1 ? argv[1] : "cpp_checkpoint.d";
  char err[512] = "";
  Dataset train = load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 2000, err);
  Dataset test = load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 500, err);
  if (!train || !test)
    return fail(err);

  kiln_model model = mlp_kiln_model();
  State state(kiln_state_alloc(&model));
  kiln_train_options options;
  kiln_train_options_init(&options);
  options.batch_size = 64;
  options.seed = 1;
  options.quiet = 1;
  options.state = state.get();
  options.checkpoint_dir = dir.c_str(); // one checkpoint at the end of the run
  kiln_report report;
  int status = kiln_train(&model, &options, train.get(), test.get(), &report, err, sizeof err);
  double trained = report.test_accuracy;
  kiln_report_free(&report);
  if (status != 0)
    return fail(err);

  char path[1024];
  if (kiln_checkpoint_find_latest(dir.c_str(), path, sizeof path, err, sizeof err) != 1)
    return fail(err);
  Checkpoint checkpoint(kiln_checkpoint_load(path, err, sizeof err));
  State restored(kiln_state_alloc(&model));
  if (!checkpoint ||
      kiln_checkpoint_restore(checkpoint.get(), &model, restored.get(), err, sizeof err))
    return fail(err);
  double accuracy;
  if (kiln_evaluate(&model, restored.get(), test.get(), 100, nullptr, &accuracy, nullptr,
                    err, sizeof err))
    return fail(err);
  std::printf("trained test_accuracy %.4f  restored from %s: %.4f  %s\n", trained, path,
              accuracy, accuracy == trained ? "same" : "DIFFERENT");
  return accuracy == trained ? 0 : 1;
}
