//===- Checkpoint.cpp - save, verify and restore a training checkpoint ----===//
//
// The file is one FlatBuffer (schema/checkpoint.fbs). Its `checksum` field is
// the CRC-32 of the whole buffer taken while the field held 0, so any flipped
// bit, in the data or in the metadata, is caught on load.
//
//===----------------------------------------------------------------------===//

#include "AtomicFile.h"
#include "Error.h"
#include "ReadFile.h"

#include "checkpoint_generated.h"
#include "kiln/checkpoint.h"

#include <zlib.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

using namespace kiln;

struct kiln_checkpoint {
  std::string path;
  std::vector<unsigned char> bytes;
  const fb::Checkpoint *root = nullptr;
  kiln_train_position position{};
  std::vector<kiln_epoch_stats> history;
  std::vector<std::vector<int64_t>> shapes; // per tensor, in host order
};

namespace {

uint64_t fnv1a(uint64_t hash, const void *data, size_t size) {
  const auto *bytes = static_cast<const unsigned char *>(data);
  for (size_t i = 0; i < size; ++i)
    hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
  return hash;
}

template <typename T> uint64_t fnv1aValue(uint64_t hash, T value) {
  return fnv1a(hash, &value, sizeof(value));
}

uint32_t crc32Of(const uint8_t *data, size_t size) {
  return uint32_t(crc32_z(crc32_z(0, nullptr, 0), data, size));
}

/// The CRC the checksum field must hold: that of the buffer with the field 0.
bool computeChecksum(uint8_t *buffer, size_t size, uint32_t *crc) {
  fb::Checkpoint *root = fb::GetMutableCheckpoint(buffer);
  uint32_t stored = root->checksum();
  if (!root->mutate_checksum(0))
    return false; // written without the field
  *crc = crc32Of(buffer, size);
  root->mutate_checksum(stored);
  return true;
}

bool checkEntries(const kiln_model &model, char *err, size_t errLen) {
  const char *name = model.name ? model.name : "model";
  if (!model.state_entries || model.num_state_entries == 0) {
    setError(err, errLen,
             "model '%s' does not list its state entries (kiln_model::state_entries)",
             name);
    return false;
  }
  for (size_t i = 0; i < model.num_state_entries; ++i) {
    const kiln_state_entry &e = model.state_entries[i];
    size_t elementSize = kiln_dtype_size(e.dtype);
    if (!e.name || elementSize == 0 || e.offset < 0 || e.count < 0 ||
        uint64_t(e.offset) + uint64_t(e.count) * elementSize > model.state_size) {
      setError(err, errLen, "model '%s': state entry %zu (%s) lies outside the state",
               name, i, e.name ? e.name : "?");
      return false;
    }
  }
  return true;
}

/// Checks what the verifier cannot: known dtypes and data sizes that match
/// the shapes. Fills the host-side copies of shapes, position and history.
bool decode(kiln_checkpoint &c, char *err, size_t errLen) {
  const char *path = c.path.c_str();
  const fb::Checkpoint &root = *c.root;
  if (root.format_version() != 1) {
    setError(err, errLen, "%s: unsupported checkpoint format version %u", path,
             root.format_version());
    return false;
  }
  for (const fb::Tensor *tensor : *root.entries()) {
    std::vector<int64_t> &shape = c.shapes.emplace_back();
    uint64_t count = 1;
    if (tensor->shape())
      for (int64_t d : *tensor->shape()) {
        if (d < 0) {
          setError(err, errLen, "%s: tensor '%s' has a negative dimension", path,
                   tensor->name()->c_str());
          return false;
        }
        shape.push_back(d);
        count *= uint64_t(d);
      }
    size_t elementSize = kiln_dtype_size(int32_t(tensor->dtype()));
    if (elementSize == 0 || count * elementSize != tensor->data()->size()) {
      setError(err, errLen,
               "%s: tensor '%s' holds %u bytes, which does not fit its dtype and shape",
               path, tensor->name()->c_str(), tensor->data()->size());
      return false;
    }
  }
  const fb::Position &p = *root.position();
  c.position = {p.step(),           p.epoch(),          p.batch(),
                p.seed(),           p.batch_size(),     p.shuffle(),
                p.drop_remainder(), p.epoch_loss_sum(), p.epoch_accuracy_sum(),
                p.epoch_accuracy_batches()};
  if (root.history())
    for (const fb::EpochStats *s : *root.history())
      c.history.push_back({s->epoch(), s->train_loss(), s->test_loss(),
                           s->test_accuracy(), s->train_accuracy()});
  return true;
}

} // namespace

uint64_t kiln_model_signature(const kiln_model *model) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  hash = fnv1aValue(hash, uint64_t(model->state_size));
  for (size_t i = 0; i < model->num_state_entries; ++i) {
    const kiln_state_entry &e = model->state_entries[i];
    hash = fnv1a(hash, e.name, std::strlen(e.name) + 1);
    hash = fnv1aValue(hash, e.offset);
    hash = fnv1aValue(hash, e.dtype);
    hash = fnv1aValue(hash, e.rank);
    for (int32_t d = 0; d < e.rank; ++d)
      hash = fnv1aValue(hash, e.shape[d]);
  }
  return hash;
}

int kiln_checkpoint_save(const kiln_model *model, const void *state,
                         const kiln_train_position *position,
                         const kiln_epoch_stats *history, int64_t history_size,
                         const char *path, char *err, size_t err_len) {
  if (!checkEntries(*model, err, err_len))
    return -1;
  // A state in GPU memory is saved from a host copy.
  std::vector<uint8_t> staged;
  if (model->state_to_host) {
    staged.resize(model->state_size);
    model->state_to_host(state, staged.data());
    state = staged.data();
  }
  flatbuffers::FlatBufferBuilder builder(model->state_size + 4096);
  // The checksum is patched in after Finish, so its slot must exist.
  builder.ForceDefaults(true);
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (size_t i = 0; i < model->num_state_entries; ++i) {
    const kiln_state_entry &e = model->state_entries[i];
    auto name = builder.CreateString(e.name);
    auto shape = builder.CreateVector(e.shape, size_t(e.rank));
    auto data = builder.CreateVector(static_cast<const uint8_t *>(state) + e.offset,
                                     size_t(e.count) * kiln_dtype_size(e.dtype));
    tensors.push_back(fb::CreateTensor(builder, name, shape, fb::DType(e.dtype),
                                       e.offset, data));
  }
  std::vector<fb::EpochStats> epochs;
  for (int64_t i = 0; i < history_size; ++i)
    epochs.emplace_back(history[i].epoch, history[i].train_loss, history[i].test_loss,
                        history[i].test_accuracy, history[i].train_accuracy);
  const kiln_train_position &p = *position;
  auto positionTable = fb::CreatePosition(
      builder, p.step, p.epoch, p.batch, p.seed, p.batch_size, p.shuffle != 0,
      p.drop_remainder != 0, p.epoch_loss_sum, p.epoch_accuracy_sum,
      p.epoch_accuracy_batches);
  auto root = fb::CreateCheckpointDirect(
      builder, /*format_version=*/1, model->name ? model->name : "model",
      kiln_model_signature(model), model->state_size, &tensors, positionTable, &epochs,
      /*checksum=*/0);
  fb::FinishCheckpointBuffer(builder, root);

  uint8_t *buffer = builder.GetBufferPointer();
  uint32_t crc = 0;
  computeChecksum(buffer, builder.GetSize(), &crc);
  fb::GetMutableCheckpoint(buffer)->mutate_checksum(crc);
  return writeFileAtomically(path, buffer, builder.GetSize(), err, err_len) ? 0 : -1;
}

kiln_checkpoint *kiln_checkpoint_load(const char *path, char *err, size_t err_len) {
  std::unique_ptr<kiln_checkpoint> c(new (std::nothrow) kiln_checkpoint);
  if (!c) {
    setError(err, err_len, "out of memory");
    return nullptr;
  }
  c->path = path;
  if (!readWholeFile(path, c->bytes, err, err_len))
    return nullptr;
  if (c->bytes.size() < 8 ||
      !flatbuffers::BufferHasIdentifier(c->bytes.data(), fb::CheckpointIdentifier())) {
    setError(err, err_len, "%s: not a Kiln checkpoint (no '%s' identifier)", path,
             fb::CheckpointIdentifier());
    return nullptr;
  }
  flatbuffers::Verifier verifier(c->bytes.data(), c->bytes.size());
  if (!fb::VerifyCheckpointBuffer(verifier)) {
    setError(err, err_len,
             "%s: corrupt checkpoint: its structure does not verify (truncated or "
             "overwritten)",
             path);
    return nullptr;
  }
  uint32_t crc = 0;
  if (!computeChecksum(c->bytes.data(), c->bytes.size(), &crc)) {
    setError(err, err_len, "%s: corrupt checkpoint: it has no checksum", path);
    return nullptr;
  }
  c->root = fb::GetCheckpoint(c->bytes.data());
  if (crc != c->root->checksum()) {
    setError(err, err_len,
             "%s: corrupt checkpoint: checksum mismatch (stored 0x%08" PRIx32
             ", computed 0x%08" PRIx32 ")",
             path, c->root->checksum(), crc);
    return nullptr;
  }
  if (!decode(*c, err, err_len))
    return nullptr;
  return c.release();
}

void kiln_checkpoint_free(kiln_checkpoint *checkpoint) { delete checkpoint; }

int kiln_checkpoint_restore(const kiln_checkpoint *checkpoint, const kiln_model *model,
                            void *state, char *err, size_t err_len) {
  if (!checkEntries(*model, err, err_len))
    return -1;
  const char *path = checkpoint->path.c_str();
  const char *modelName = model->name ? model->name : "model";
  const fb::Checkpoint &root = *checkpoint->root;
  if (root.model()->str() != modelName) {
    setError(err, err_len, "%s: the checkpoint is of model '%s', not '%s'", path,
             root.model()->c_str(), modelName);
    return -1;
  }
  uint64_t signature = kiln_model_signature(model);
  if (root.signature() != signature || root.state_size() != model->state_size ||
      root.entries()->size() != model->num_state_entries) {
    setError(err, err_len,
             "%s: the checkpoint does not match the compiled model '%s': state "
             "signature 0x%016" PRIx64 " (%" PRIu64 " bytes), the model has 0x%016" PRIx64
             " (%zu bytes); were parameters or shapes changed?",
             path, modelName, root.signature(), root.state_size(), signature,
             model->state_size);
    return -1;
  }
  // A state in GPU memory is restored through a host copy.
  std::vector<uint8_t> staged;
  void *device = nullptr;
  if (model->state_from_host) {
    staged.resize(model->state_size);
    device = state;
    state = staged.data();
  }
  std::memset(state, 0, model->state_size);
  for (size_t i = 0; i < model->num_state_entries; ++i) {
    const kiln_state_entry &e = model->state_entries[i];
    const fb::Tensor *tensor = root.entries()->Get(flatbuffers::uoffset_t(i));
    size_t bytes = size_t(e.count) * kiln_dtype_size(e.dtype);
    // Equal signatures give equal layouts; this only guards a hash collision.
    if (tensor->name()->str() != e.name || tensor->data()->size() != bytes) {
      setError(err, err_len, "%s: entry %zu is '%s', the model expects '%s'", path, i,
               tensor->name()->c_str(), e.name);
      return -1;
    }
    std::memcpy(static_cast<uint8_t *>(state) + e.offset, tensor->data()->data(), bytes);
  }
  if (device)
    model->state_from_host(device, state);
  return 0;
}

const char *kiln_checkpoint_path(const kiln_checkpoint *checkpoint) {
  return checkpoint->path.c_str();
}

const char *kiln_checkpoint_model_name(const kiln_checkpoint *checkpoint) {
  return checkpoint->root->model()->c_str();
}

uint64_t kiln_checkpoint_signature(const kiln_checkpoint *checkpoint) {
  return checkpoint->root->signature();
}

uint64_t kiln_checkpoint_state_size(const kiln_checkpoint *checkpoint) {
  return checkpoint->root->state_size();
}

void kiln_checkpoint_get_position(const kiln_checkpoint *checkpoint,
                                  kiln_train_position *position) {
  *position = checkpoint->position;
}

int64_t kiln_checkpoint_history(const kiln_checkpoint *checkpoint,
                                const kiln_epoch_stats **history) {
  *history = checkpoint->history.data();
  return int64_t(checkpoint->history.size());
}

size_t kiln_checkpoint_num_tensors(const kiln_checkpoint *checkpoint) {
  return checkpoint->shapes.size();
}

void kiln_checkpoint_tensor(const kiln_checkpoint *checkpoint, size_t index,
                            kiln_tensor_view *view) {
  const fb::Tensor *tensor =
      checkpoint->root->entries()->Get(flatbuffers::uoffset_t(index));
  const std::vector<int64_t> &shape = checkpoint->shapes[index];
  *view = {tensor->name()->c_str(), int32_t(tensor->dtype()), int32_t(shape.size()),
           shape.data(), tensor->data()->data(), tensor->data()->size()};
}
