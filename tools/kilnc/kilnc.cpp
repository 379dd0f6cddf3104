//===- kilnc.cpp - The Kiln compiler driver -------------------------------===//
//
// Reads one .kiln file and writes the stage selected by --emit (an object
// file by default), optionally with the C header beside it.
//
//===----------------------------------------------------------------------===//

#include "Driver/Compiler.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;
using kiln::EmitStage;

static cl::OptionCategory kilncCategory("kilnc options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<input .kiln file>"),
                                          cl::Required,
                                          cl::cat(kilncCategory));

static cl::opt<std::string>
    outputFilename("o", cl::desc("Output file (default: stdout for text "
                                 "stages, <model file>.o for objects)"),
                   cl::value_desc("filename"), cl::cat(kilncCategory));

static cl::opt<std::string>
    headerFilename("header", cl::desc("Also write the C header to this file"),
                   cl::value_desc("filename"), cl::cat(kilncCategory));

static cl::opt<EmitStage> emitStage(
    "emit", cl::desc("The stage to write"), cl::init(EmitStage::Object),
    cl::values(
        clEnumValN(EmitStage::AST, "ast",
                   "the parsed model as canonical .kiln text"),
        clEnumValN(EmitStage::Kiln, "kiln", "@forward in the kiln dialect"),
        clEnumValN(EmitStage::Train, "train",
                   "init/train_step/evaluate/predict in the kiln dialect"),
        clEnumValN(EmitStage::Linalg, "linalg",
                   "the training functions on linalg and tensors"),
        clEnumValN(EmitStage::LLVMDialect, "llvm-dialect",
                   "lowered to the LLVM dialect with the C functions"),
        clEnumValN(EmitStage::LLVMIR, "llvm", "optimized LLVM IR"),
        clEnumValN(EmitStage::Object, "obj", "an object file (default)"),
        clEnumValN(EmitStage::Header, "header", "the C header"),
        clEnumValN(EmitStage::PTX, "ptx",
                   "the GPU kernels as PTX (--target=cuda)")),
    cl::cat(kilncCategory));

static cl::opt<std::string> triple("triple",
                                   cl::desc("Target triple (default: host)"),
                                   cl::cat(kilncCategory));
static cl::opt<std::string>
    cpu("cpu", cl::desc("Target CPU (default: host CPU, or generic with "
                        "--triple)"),
        cl::cat(kilncCategory));
static cl::opt<std::string> features("mattr",
                                     cl::desc("Extra target features"),
                                     cl::cat(kilncCategory));
static cl::opt<unsigned> optLevel("O", cl::desc("Optimization level 0-3"),
                                  cl::init(3), cl::Prefix,
                                  cl::cat(kilncCategory));

static cl::opt<kiln::Backend> backend(
    "target", cl::desc("Where the generated functions run"),
    cl::init(kiln::Backend::CPU),
    cl::values(clEnumValN(kiln::Backend::CPU, "cpu", "this or --triple's CPU"),
               clEnumValN(kiln::Backend::CUDA, "cuda",
                          "an NVIDIA GPU (state in device memory)")),
    cl::cat(kilncCategory));
static cl::opt<std::string>
    gpuArch("gpu-arch", cl::desc("GPU architecture for --target=cuda"),
            cl::init("sm_80"), cl::value_desc("sm_80|sm_90"),
            cl::cat(kilncCategory));

// Must come before --threads is defined (see its comment).
[[maybe_unused]] static const bool threadsNameFree = kiln::freeThreadsOptionName();
static cl::opt<int> threads(
    "threads",
    cl::desc("Threads the big loops are split across (OpenMP, static "
             "schedule; the object then needs libomp). Default 1: a serial "
             "object with no OpenMP dependency"),
    cl::value_desc("N"), cl::init(1), cl::cat(kilncCategory));
static cl::list<std::string> disabledPasses(
    "disable-pass",
    cl::desc("Leave an optimization pass out of the CPU pipeline (repeatable; "
             "for A/B measurements; an unknown name lists those that can "
             "be), e.g. kiln-fuse-epilogues, kiln-parallelize-loops, "
             "kiln-vectorize-contractions"),
    cl::value_desc("NAME"), cl::cat(kilncCategory));

static cl::opt<bool> lineTables(
    "g",
    cl::desc("Emit line tables that map the generated code to the .kiln "
             "source lines (perf report --sort srcline, gdb); CPU target"),
    cl::cat(kilncCategory));

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(kilncCategory);
  cl::ParseCommandLineOptions(argc, argv, "Kiln ahead-of-time compiler\n");

  kiln::TargetOptions target{triple, cpu, features, optLevel};
  target.backend = backend;
  target.gpuArch = gpuArch;
  target.threads = threads;
  target.disabledPasses.assign(disabledPasses.begin(), disabledPasses.end());
  target.lineTables = lineTables;
  if (std::optional<std::string> error = kiln::checkPassOptions(target)) {
    WithColor::error(errs(), "kilnc") << *error << '\n';
    return 1;
  }
  std::string output = outputFilename;
  if (output.empty())
    output = emitStage == EmitStage::Object
                 ? sys::path::stem(inputFilename).str() + ".o"
                 : "-";

  auto compilation = kiln::Compilation::open(inputFilename);
  if (!compilation)
    return 1;
  auto write = [&](raw_ostream &os) {
    return compilation->emit(emitStage, target, os);
  };
  if (output == "-") {
    if (!write(outs()))
      return 1;
  } else if (!kiln::writeFileAtomically(output, write)) {
    return 1;
  }
  if (!headerFilename.empty() &&
      !kiln::writeFileAtomically(headerFilename, [&](raw_ostream &os) {
        return compilation->emit(EmitStage::Header, target, os);
      }))
    return 1;
  return 0;
}
