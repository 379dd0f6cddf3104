//===- PassSwitches.cpp - Optimization passes that can be switched off ---===//
#include "Pipelines/PassSwitches.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

namespace kiln {

llvm::ArrayRef<llvm::StringRef> switchablePasses() {
  static const llvm::StringRef passes[] = {
      "kiln-pad-guarded-gathers",     "kiln-vectorize-convolutions",
      "kiln-transpose-products",      "linalg-fuse-elementwise-ops",
      "kiln-parallelize-loops",       "kiln-vectorize-contractions",
      "kiln-hoist-register-tiles",     "kiln-vectorizable-loop-order",
      "kiln-plan-arena",              "kiln-fuse-epilogues",
      "kiln-fuse-row-reductions",
  };
  return passes;
}

/// Passes of the pipelines that the generated code cannot do without.
static bool isRequired(llvm::StringRef name) {
  return llvm::is_contained({llvm::StringRef("kiln-generate-training"),
                             llvm::StringRef("kiln-to-linalg"),
                             llvm::StringRef("kiln-state-abi"),
                             llvm::StringRef("kiln-emit-c-interface"),
                             llvm::StringRef("kiln-embed-manifest")},
                            name);
}

std::optional<std::string>
checkDisabledPasses(llvm::ArrayRef<std::string> names) {
  for (const std::string &name : names) {
    if (llvm::is_contained(switchablePasses(), name))
      continue;
    std::string list = llvm::join(switchablePasses(), ", ");
    if (isRequired(name))
      return "pass '" + name +
             "' cannot be disabled: the generated code needs it (passes that "
             "can be: " +
             list + ")";
    return "unknown pass '" + name +
           "' in --disable-pass (passes that can "
           "be disabled: " +
           list + ")";
  }
  return std::nullopt;
}

} // namespace kiln
