//===- CInterface.h - The C functions of a compiled model ----------------===//
//
// Every `<model>_<fn>_impl` function carries `kiln.c_roles`: one entry per
// buffer/scalar argument saying what it is. From that one description the
// C wrappers (EmitCInterface) and the header (HeaderWriter) are derived, so
// they cannot disagree.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TARGET_CINTERFACE_H
#define KILN_TARGET_CINTERFACE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <string>

namespace kiln {

inline constexpr llvm::StringLiteral kCInterfaceRolesAttr = "kiln.c_roles";
/// `array<i64: perExample, fixed>`: the workspace an impl needs, in bytes
/// perExample * batch + fixed (kiln-plan-arena). On an impl, its last
/// argument is that workspace (not a C parameter); on the module, the most
/// any impl needs.
inline constexpr llvm::StringLiteral kWorkspaceAttr = "kiln.workspace";
/// Name of the State role of functions that update the state (init,
/// train_step); functions that only read it use kConstStateName.
inline constexpr llvm::StringLiteral kMutableStateName = "state";
inline constexpr llvm::StringLiteral kConstStateName = "const_state";

/// What an impl argument is. State is the flat state buffer; Input/Label
/// are batch buffers the caller reads from; Output/Loss are written, and so
/// is Metric (an f32[] count such as evaluate's top_k_hits), which only the
/// metrics variant of a function takes (see metricsFunctionName).
enum class CRole { State, Input, Label, Output, Loss, Metric, Scalar };

/// Every buffer is f32 but labels, which are i32 class indices or f32
/// values: their role records `dtype` ("i32" when absent).
mlir::DictionaryAttr abiRole(mlir::Builder &b, CRole role, llvm::StringRef name,
                             llvm::ArrayRef<int64_t> shape,
                             llvm::StringRef labelDType = "i32");

std::string implFunctionName(llvm::StringRef model, llvm::StringRef function);
/// The generated function that returns a workspace of at least its
/// argument's bytes, grown only when a call needs more.
std::string workspaceReserveName(llvm::StringRef model);

/// One impl argument as read back from `kiln.c_roles`.
struct CArgument {
  CRole role;
  std::string name;
  llvm::SmallVector<int64_t> shape; // ShapedType::kDynamic for the batch
  std::string dtype;                // "f32" or "i32"
};

/// The public C function derived from an impl: parameters are the state,
/// the inputs and labels, `batch` when any buffer has a batch dimension,
/// the outputs, then scalars; a Loss argument becomes the float result.
struct CFunction {
  std::string name;     // <model>_<fn>
  llvm::SmallVector<CArgument> arguments; // in impl order
  bool hasBatch = false;
  bool returnsLoss = false;
  bool writesState = false; // init and train_step
  bool hasMetrics = false;  // a Metric argument: there is a metrics variant
};

mlir::FailureOr<CFunction> describeCFunction(llvm::StringRef implName,
                                             mlir::ArrayAttr roles);

/// A function with several inputs or several labels also has a packed
/// variant, which takes each of those roles in one buffer: `inputs` (f32),
/// each input's [batch, ...] block after the other in declaration order,
/// and `labels`, the same for the labels (4-byte i32 or f32 elements, each
/// block of its label's type). A role with one buffer keeps its parameter.
/// The runtime's kiln_model passes the packed variants.
bool needsPackedVariant(const CFunction &function);
/// Whether `role` comes in one buffer in the packed variant of `function`.
bool isPackedRole(const CFunction &function, CRole role);
std::string packedFunctionName(const CFunction &function); // <name>_packed

/// A function with Metric arguments is public in two forms: the plain one
/// (and packed variant) computes and drops them; the metrics variant, in the
/// form the runtime's kiln_model takes (packed when there is a packed
/// variant), also writes each to a `float *` after the outputs.
std::string metricsFunctionName(const CFunction &function);

/// The C parameter list, e.g. "void *state, const float *x, int64_t batch";
/// `packed`: that of the packed variant; `metrics`: with the Metric
/// pointers.
std::string formatCParameters(const CFunction &function, bool packed = false,
                              bool metrics = false);

} // namespace kiln

#endif // KILN_TARGET_CINTERFACE_H
