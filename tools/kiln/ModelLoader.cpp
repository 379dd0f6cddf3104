//===- ModelLoader.cpp - Link a compiled model and bind its functions ----===//

#include "ModelLoader.h"

#include "Driver/Compiler.h"
#include "kiln/cuda.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <dlfcn.h>
#include <optional>

using namespace llvm;

namespace kiln::cli {

static ErrorOr<std::string> findCCompiler() {
  ErrorOr<std::string> program = sys::findProgramByName("cc");
  for (StringRef fallback : {"gcc", "clang"}) {
    if (program)
      break;
    program = sys::findProgramByName(fallback);
  }
  return program;
}

/// The first non-empty line of `path`, or "" if none can be read.
static std::string firstLineOf(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return "";
  StringRef rest = (*buffer)->getBuffer();
  while (!rest.empty()) {
    auto [line, tail] = rest.split('\n');
    if (!line.trim().empty())
      return line.trim().str();
    rest = tail;
  }
  return "";
}

/// The path of the libkilnrt shared library loaded in this process.
static std::string runtimeLibraryPath() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&kiln_cuda_available), &info) ||
      !info.dli_fname)
    return "";
  return info.dli_fname;
}

Error linkSharedModel(StringRef objectPath, StringRef libraryPath, bool cuda,
                      bool openmp) {
  ErrorOr<std::string> compiler = findCCompiler();
  if (!compiler)
    return createStringError(compiler.getError(),
                             "linking the model failed: no C compiler found "
                             "on PATH (tried cc, gcc, clang)");
  // The LLVM OpenMP runtime found when kiln was configured, by path, with
  // its folder as the library's run path.
  StringRef openmpLibrary = KILN_OPENMP_LIBRARY;
  if (openmp && openmpLibrary.empty())
    return createStringError(inconvertibleErrorCode(),
                             "linking the model failed: kiln was built "
                             "without the LLVM OpenMP runtime (libomp), which "
                             "--threads above 1 needs");
  std::string runPath =
      ("-Wl,-rpath," + sys::path::parent_path(openmpLibrary)).str();

  std::string logPath = (libraryPath + ".link.log").str();
  SmallVector<StringRef> args = {*compiler,   "-shared",  "-o",
                                 libraryPath, objectPath, "-lm"};
  std::string runtime;
  if (cuda) {
    runtime = runtimeLibraryPath();
    if (runtime.empty())
      return createStringError(inconvertibleErrorCode(),
                               "linking the model failed: cannot locate "
                               "libkilnrt for its CUDA layer");
    args.append({runtime, "-Wl,--no-undefined"});
  }
  if (openmp)
    args.append({openmpLibrary, runPath});
  std::optional<StringRef> redirects[] = {StringRef(""), StringRef(logPath),
                                          StringRef(logPath)};
  std::string message;
  bool failedToRun = false;
  int status = sys::ExecuteAndWait(*compiler, args, /*Env=*/std::nullopt,
                                   redirects, /*SecondsToWait=*/0,
                                   /*MemoryLimit=*/0, &message, &failedToRun);
  std::string output = firstLineOf(logPath);
  (void)sys::fs::remove(logPath);
  if (failedToRun)
    return createStringError(inconvertibleErrorCode(),
                             "linking the model failed: cannot run %s: %s",
                             compiler->c_str(), message.c_str());
  if (status != 0) {
    std::string reason = !output.empty() ? output
                         : !message.empty()
                             ? message
                             : "exit status " + std::to_string(status);
    return createStringError(inconvertibleErrorCode(),
                             "linking the model failed: %s: %s",
                             compiler->c_str(), reason.c_str());
  }
  return Error::success();
}

/// Looks up `symbol` in `handle` as a function pointer of type T.
template <typename T>
static Error bindSymbol(void *handle, const std::string &symbol, T &result) {
  dlerror();
  void *address = dlsym(handle, symbol.c_str());
  if (!address) {
    const char *reason = dlerror();
    return createStringError(
        inconvertibleErrorCode(), "the linked model does not define '%s'%s%s",
        symbol.c_str(), reason ? ": " : "", reason ? reason : "");
  }
  result = reinterpret_cast<T>(address);
  return Error::success();
}

Expected<std::unique_ptr<LoadedModel>>
LoadedModel::load(const ModelInfo &info, StringRef libraryPath) {
  if (info.inputs.empty() || info.labels.empty() || info.outputs.empty())
    return createStringError(
        inconvertibleErrorCode(),
        "model '%s' has %zu inputs, %zu labels and %zu outputs; kiln train "
        "needs at least one of each",
        info.name.c_str(), info.inputs.size(), info.labels.size(),
        info.outputs.size());

  std::unique_ptr<LoadedModel> loaded(new LoadedModel());
  loaded->name = info.name;
  std::string path = libraryPath.str();
  loaded->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!loaded->handle)
    return createStringError(inconvertibleErrorCode(),
                             "cannot load the linked model: %s", dlerror());

  int64_t (*stateSize)(void) = nullptr;
  kiln_model &table = loaded->table;
  const std::string &prefix = info.name;
  if (Error error =
          bindSymbol(loaded->handle, prefix + "_state_size", stateSize))
    return std::move(error);
  if (Error error = bindSymbol(loaded->handle, prefix + "_init", table.init))
    return std::move(error);
  // Several inputs or labels: the variants that take them packed in one
  // buffer each (predict takes no labels).
  bool severalInputs = info.inputs.size() > 1;
  std::string suffix = severalInputs || info.labels.size() > 1 ? "_packed" : "";
  if (Error error = bindSymbol(loaded->handle, prefix + "_train_step" + suffix,
                               table.train_step))
    return std::move(error);
  if (Error error = bindSymbol(loaded->handle, prefix + "_evaluate" + suffix,
                               table.evaluate))
    return std::move(error);
  if (Error error =
          bindSymbol(loaded->handle,
                     prefix + "_predict" + (severalInputs ? "_packed" : ""),
                     table.predict))
    return std::move(error);
  // top_k_accuracy(k), compiled into evaluate's metrics variant.
  if (info.recipe.topK > 0) {
    table.top_k = info.recipe.topK;
    if (Error error = bindSymbol(loaded->handle,
                                 prefix + "_evaluate" + suffix + "_metrics",
                                 table.evaluate_metrics))
      return std::move(error);
  }

  // Present in CUDA objects only: the state lives on the device.
  table.state_to_host = reinterpret_cast<void (*)(const void *, void *)>(
      dlsym(loaded->handle, (prefix + "_state_to_host").c_str()));
  table.state_from_host = reinterpret_cast<void (*)(void *, const void *)>(
      dlsym(loaded->handle, (prefix + "_state_from_host").c_str()));

  int64_t bytes = stateSize();
  if (bytes < 0 || (info.stateSize > 0 && bytes != info.stateSize))
    return createStringError(
        inconvertibleErrorCode(),
        "model '%s': %s_state_size() returns %lld bytes but the compiler "
        "reported %lld",
        info.name.c_str(), info.name.c_str(), (long long)bytes,
        (long long)info.stateSize);

  if (Error error = loaded->bindStateLayout(info))
    return std::move(error);
  table.name = loaded->name.c_str();
  table.state_size = static_cast<size_t>(bytes);
  for (const TensorInfo &input : info.inputs)
    loaded->inputSizes.push_back(input.elementsPerExample());
  table.input_size = 0;
  for (int64_t size : loaded->inputSizes)
    table.input_size += size;
  if (info.inputs.size() > 1) {
    table.num_inputs = int32_t(info.inputs.size());
    table.input_sizes = loaded->inputSizes.data();
  }
  table.output_size = info.outputs.front().elementsPerExample();
  // label_dtype: class indices only if every label is one.
  table.label_dtype = KILN_DTYPE_I32;
  table.label_size = 0;
  for (const TensorInfo &label : info.labels) {
    int32_t dtype = label.dtype == "i32" ? KILN_DTYPE_I32 : KILN_DTYPE_F32;
    if (dtype != KILN_DTYPE_I32)
      table.label_dtype = KILN_DTYPE_F32;
    loaded->labelDTypes.push_back(dtype);
    loaded->labelSizes.push_back(label.elementsPerExample());
    table.label_size += label.elementsPerExample();
  }
  if (info.labels.size() > 1) {
    table.num_labels = int32_t(info.labels.size());
    table.label_sizes = loaded->labelSizes.data();
    table.label_dtypes = loaded->labelDTypes.data();
  }
  return std::move(loaded);
}

/// The kiln_dtype of an element type as MLIR prints it; 0 if none fits.
static int32_t dtypeOf(StringRef type) {
  return StringSwitch<int32_t>(type)
      .Case("f32", KILN_DTYPE_F32)
      .Case("f64", KILN_DTYPE_F64)
      .Case("i32", KILN_DTYPE_I32)
      .Case("i64", KILN_DTYPE_I64)
      .Case("i8", KILN_DTYPE_I8)
      .Default(0);
}

Error LoadedModel::bindStateLayout(const ModelInfo &info) {
  size_t n = info.stateLayout.size();
  entryNames.reserve(n);
  entryShapes.reserve(n);
  for (const StateEntryInfo &e : info.stateLayout) {
    int32_t dtype = dtypeOf(e.dtype);
    if (!dtype)
      return createStringError(inconvertibleErrorCode(),
                               "model '%s': state entry '%s' has element type "
                               "%s, which checkpoints cannot store",
                               info.name.c_str(), e.name.c_str(),
                               e.dtype.c_str());
    int64_t count = 1;
    for (int64_t d : e.shape)
      count *= d;
    const std::string &name = entryNames.emplace_back(e.name);
    const std::vector<int64_t> &shape = entryShapes.emplace_back(e.shape);
    entries.push_back({name.c_str(), e.offset, count, dtype,
                       int32_t(shape.size()), shape.data()});
  }
  table.state_entries = entries.data();
  table.num_state_entries = entries.size();
  return Error::success();
}

LoadedModel::~LoadedModel() {
  if (handle)
    dlclose(handle);
}

} // namespace kiln::cli
