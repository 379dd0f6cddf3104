//===- CheckpointDir.cpp - a run's checkpoints in one folder ---------------===//
//
// Files are named ckpt-<step, 10 digits>.ckpt, so the newest is the largest
// step. Only complete files carry that name: interrupted writes leave
// *.ckpt.tmp, which is never picked.
//
//===----------------------------------------------------------------------===//

#include "Directories.h"
#include "Error.h"

#include "kiln/checkpoint.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <dirent.h>

using namespace kiln;

namespace {

constexpr const char *kPrefix = "ckpt-";
constexpr const char *kSuffix = ".ckpt";
constexpr size_t kDigits = 10;

std::string checkpointPath(const std::string &dir, int64_t step) {
  char name[64];
  std::snprintf(name, sizeof(name), "%s%0*" PRId64 "%s", kPrefix, int(kDigits), step,
                kSuffix);
  return dir + "/" + name;
}

/// The step a checkpoint file name encodes, or -1 for any other name.
int64_t stepOf(const char *name) {
  size_t prefix = std::strlen(kPrefix), suffix = std::strlen(kSuffix);
  if (std::strlen(name) != prefix + kDigits + suffix ||
      std::strncmp(name, kPrefix, prefix) != 0 ||
      std::strcmp(name + prefix + kDigits, kSuffix) != 0)
    return -1;
  int64_t step = 0;
  for (size_t i = prefix; i < prefix + kDigits; ++i) {
    if (name[i] < '0' || name[i] > '9')
      return -1;
    step = step * 10 + (name[i] - '0');
  }
  return step;
}

/// Steps of the checkpoints in dir, ascending; false with err if unreadable.
bool listSteps(const char *dir, std::vector<int64_t> &steps, char *err, size_t errLen) {
  DIR *handle = opendir(dir);
  if (!handle) {
    setError(err, errLen, "%s: cannot read the checkpoint folder: %s", dir,
             std::strerror(errno));
    return false;
  }
  while (dirent *entry = readdir(handle))
    if (int64_t step = stepOf(entry->d_name); step >= 0)
      steps.push_back(step);
  closedir(handle);
  std::sort(steps.begin(), steps.end());
  return true;
}

} // namespace

int kiln_checkpoint_save_in_dir(const char *dir, int64_t keep, const kiln_model *model,
                                const void *state, const kiln_train_position *position,
                                const kiln_epoch_stats *history, int64_t history_size,
                                char *err, size_t err_len) {
  if (!makeDirectories(dir, err, err_len))
    return -1;
  std::string path = checkpointPath(dir, position->step);
  if (kiln_checkpoint_save(model, state, position, history, history_size, path.c_str(),
                           err, err_len) != 0)
    return -1;
  if (keep <= 0)
    return 0;
  // Older checkpoints go only after the new one is safely on disk.
  std::vector<int64_t> steps;
  if (!listSteps(dir, steps, err, err_len))
    return -1;
  for (size_t i = 0; i + size_t(keep) < steps.size(); ++i)
    std::remove(checkpointPath(dir, steps[i]).c_str());
  return 0;
}

int kiln_checkpoint_find_latest(const char *dir, char *path, size_t path_len, char *err,
                                size_t err_len) {
  std::vector<int64_t> steps;
  if (!listSteps(dir, steps, err, err_len))
    return -1;
  if (steps.empty())
    return 0;
  std::string latest = checkpointPath(dir, steps.back());
  if (latest.size() >= path_len) {
    setError(err, err_len, "%s: path too long", latest.c_str());
    return -1;
  }
  std::memcpy(path, latest.c_str(), latest.size() + 1);
  return 1;
}
