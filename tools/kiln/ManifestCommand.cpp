//===- ManifestCommand.cpp - `kiln inspect model.o` -----------------------===//
#include "ManifestCommand.h"

#include "manifest_generated.h"

#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace kiln::cli {

bool isObjectFile(StringRef path) {
  auto object = object::ObjectFile::createObjectFile(path);
  if (!object) {
    consumeError(object.takeError());
    return false;
  }
  return true;
}

static int fail(StringRef path, const Twine &reason) {
  WithColor::error(errs(), "kiln") << path << ": " << reason << "\n";
  return 1;
}

/// The bytes of the `*_manifest_data` symbol, copied so they are aligned.
static Expected<std::string> manifestBytes(const object::ObjectFile &object) {
  for (const object::SymbolRef &symbol : object.symbols()) {
    Expected<StringRef> name = symbol.getName();
    if (!name)
      return name.takeError();
    if (!name->ends_with("_manifest_data"))
      continue;
    Expected<object::section_iterator> section = symbol.getSection();
    Expected<uint64_t> address = symbol.getAddress();
    if (!section)
      return section.takeError();
    if (!address)
      return address.takeError();
    Expected<StringRef> contents = (*section)->getContents();
    if (!contents)
      return contents.takeError();
    uint64_t size = object::ELFSymbolRef(symbol).getSize();
    uint64_t start = *address - (*section)->getAddress();
    if (start + size > contents->size())
      return createStringError("the manifest runs past its section");
    return contents->substr(start, size).str();
  }
  return createStringError("no Kiln manifest (not an object written by kilnc)");
}

static void printTensors(
    StringRef title,
    const flatbuffers::Vector<flatbuffers::Offset<fb::ManifestTensor>> *tensors) {
  if (!tensors)
    return;
  outs() << title << ":\n";
  for (const fb::ManifestTensor *t : *tensors) {
    outs() << "  " << t->name()->str() << " " << (t->dtype() ? t->dtype()->str() : "")
           << "[";
    if (t->shape())
      llvm::interleaveComma(*t->shape(), outs(), [](int64_t d) {
        if (d < 0)
          outs() << "?";
        else
          outs() << d;
      });
    outs() << "]";
    if (t->offset() >= 0)
      outs() << " at byte " << t->offset();
    outs() << "\n";
  }
}

int runInspectObject(StringRef path) {
  auto object = object::ObjectFile::createObjectFile(path);
  if (!object)
    return fail(path, toString(object.takeError()));
  Expected<std::string> bytes = manifestBytes(*object->getBinary());
  if (!bytes)
    return fail(path, toString(bytes.takeError()));
  flatbuffers::Verifier verifier(
      reinterpret_cast<const uint8_t *>(bytes->data()), bytes->size());
  if (!fb::VerifyManifestBuffer(verifier))
    return fail(path, "the embedded manifest is corrupt");
  const fb::Manifest *manifest = fb::GetManifest(bytes->data());
  outs() << "model " << manifest->model()->str() << "\n"
         << "target " << (manifest->target() ? manifest->target()->str() : "")
         << "\n"
         << "compiler "
         << (manifest->compiler() ? manifest->compiler()->str() : "") << "\n"
         << "state_size " << manifest->state_size() << "\n"
         << "threads " << manifest->threads() << "\n"
         << "workspace " << manifest->workspace_per_example() << " * batch + "
         << manifest->workspace_fixed() << " bytes\n";
  printTensors("inputs", manifest->inputs());
  printTensors("labels", manifest->labels());
  printTensors("outputs", manifest->outputs());
  printTensors("state", manifest->state());
  outs() << "optimizer "
         << (manifest->optimizer() ? manifest->optimizer()->str() : "");
  if (manifest->optimizer_slots() && manifest->optimizer_slots()->size()) {
    outs() << " (slots:";
    for (const flatbuffers::String *slot : *manifest->optimizer_slots())
      outs() << " " << slot->str();
    outs() << ")";
  }
  outs() << "\n";
  return 0;
}

} // namespace kiln::cli
