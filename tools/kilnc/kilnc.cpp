//===- kilnc.cpp - The Kiln compiler driver -------------------------------===//
//
// Reads one .kiln file and writes the stage selected by --emit.
//
//===----------------------------------------------------------------------===//

#include "Frontend/AST.h"
#include "Frontend/Parser.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

namespace {
enum class EmitKind { AST };
} // namespace

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<input .kiln file>"),
                                          cl::Required);

static cl::opt<std::string> outputFilename("o", cl::desc("Output filename"),
                                           cl::value_desc("filename"),
                                           cl::init("-"));

static cl::opt<EmitKind> emitKind(
    "emit", cl::desc("The stage to write"), cl::init(EmitKind::AST),
    cl::values(clEnumValN(EmitKind::AST, "ast",
                          "the parsed model as canonical .kiln text")));

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Kiln ahead-of-time compiler\n");

  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFileOrSTDIN(inputFilename, /*IsText=*/true);
  if (std::error_code ec = file.getError()) {
    WithColor::error(errs(), "kilnc")
        << "cannot open '" << inputFilename << "': " << ec.message() << '\n';
    return 1;
  }
  SourceMgr sourceMgr;
  unsigned bufferId = sourceMgr.AddNewSourceBuffer(std::move(*file), SMLoc());
  std::unique_ptr<kiln::ast::Module> module =
      kiln::parseModule(sourceMgr, bufferId);
  if (!module)
    return 1;

  std::error_code ec;
  ToolOutputFile output(outputFilename, ec, sys::fs::OF_Text);
  if (ec) {
    WithColor::error(errs(), "kilnc")
        << "cannot open '" << outputFilename << "': " << ec.message() << '\n';
    return 1;
  }
  switch (emitKind) {
  case EmitKind::AST:
    kiln::ast::print(*module, output.os());
    break;
  }
  output.keep();
  return 0;
}
