//===- PassSwitches.h - Optimization passes that can be switched off -----===//
//
// `--disable-pass NAME` (kilnc, kiln train) and the `disable-pass` option of
// kiln-opt's pipelines drop one optimization pass from the CPU pipeline, for
// A/B measurements. The passes that make the code correct cannot be dropped.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PIPELINES_PASSSWITCHES_H
#define KILN_PIPELINES_PASSSWITCHES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace kiln {

/// The optimization passes of the CPU pipeline, in pipeline order.
llvm::ArrayRef<llvm::StringRef> switchablePasses();

/// Why `names` cannot all be disabled (an unknown or a required pass), or
/// nothing when they can.
std::optional<std::string>
checkDisabledPasses(llvm::ArrayRef<std::string> names);

} // namespace kiln

#endif // KILN_PIPELINES_PASSSWITCHES_H
