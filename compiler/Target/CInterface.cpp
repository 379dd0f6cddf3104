//===- CInterface.cpp - The C functions of a compiled model --------------===//
#include "Target/CInterface.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace kiln {

static StringRef roleName(CRole role) {
  switch (role) {
  case CRole::State:
    return "state";
  case CRole::Input:
    return "input";
  case CRole::Label:
    return "label";
  case CRole::Output:
    return "output";
  case CRole::Loss:
    return "loss";
  case CRole::Metric:
    return "metric";
  case CRole::Scalar:
    return "scalar";
  }
  llvm_unreachable("unknown role");
}

DictionaryAttr abiRole(Builder &b, CRole role, StringRef name,
                       ArrayRef<int64_t> shape, StringRef labelDType) {
  SmallVector<NamedAttribute> fields{
      b.getNamedAttr("role", b.getStringAttr(roleName(role))),
      b.getNamedAttr("name", b.getStringAttr(name)),
      b.getNamedAttr("shape", b.getDenseI64ArrayAttr(shape)),
  };
  if (role == CRole::Label)
    fields.push_back(b.getNamedAttr("dtype", b.getStringAttr(labelDType)));
  return b.getDictionaryAttr(fields);
}

std::string implFunctionName(StringRef model, StringRef function) {
  return (model + "_" + function + "_impl").str();
}

std::string workspaceReserveName(StringRef model) {
  return (model + "_workspace_reserve").str();
}

FailureOr<CFunction> describeCFunction(StringRef implName, ArrayAttr roles) {
  CFunction function;
  if (!implName.ends_with("_impl") || !roles)
    return failure();
  function.name = implName.drop_back(strlen("_impl")).str();
  for (Attribute attr : roles) {
    auto dict = dyn_cast<DictionaryAttr>(attr);
    auto role = dict ? dict.getAs<StringAttr>("role") : StringAttr();
    auto name = dict ? dict.getAs<StringAttr>("name") : StringAttr();
    auto shape = dict ? dict.getAs<DenseI64ArrayAttr>("shape")
                      : DenseI64ArrayAttr();
    if (!role || !name || !shape)
      return failure();
    std::optional<CRole> kind =
        llvm::StringSwitch<std::optional<CRole>>(role.getValue())
            .Case("state", CRole::State)
            .Case("input", CRole::Input)
            .Case("label", CRole::Label)
            .Case("output", CRole::Output)
            .Case("loss", CRole::Loss)
            .Case("metric", CRole::Metric)
            .Case("scalar", CRole::Scalar)
            .Default(std::nullopt);
    if (!kind)
      return failure();
    StringRef dtype = "f32";
    if (*kind == CRole::Label) {
      auto labelDType = dict.getAs<StringAttr>("dtype");
      dtype = labelDType ? labelDType.getValue() : "i32";
      if (dtype != "i32" && dtype != "f32")
        return failure();
    }
    CArgument argument{*kind, name.str(), llvm::to_vector(shape.asArrayRef()),
                       dtype.str()};
    if (*kind != CRole::State && llvm::is_contained(argument.shape,
                                                    ShapedType::kDynamic))
      function.hasBatch = true;
    function.returnsLoss |= *kind == CRole::Loss;
    function.hasMetrics |= *kind == CRole::Metric;
    function.arguments.push_back(std::move(argument));
  }
  function.writesState = llvm::any_of(function.arguments, [](const CArgument &a) {
    return a.role == CRole::State && a.name == kMutableStateName;
  });
  return function;
}

/// How many arguments of `function` have `role`.
static int64_t countRole(const CFunction &function, CRole role) {
  return llvm::count_if(function.arguments,
                        [&](const CArgument &a) { return a.role == role; });
}

bool isPackedRole(const CFunction &function, CRole role) {
  return (role == CRole::Input || role == CRole::Label) &&
         countRole(function, role) > 1;
}

bool needsPackedVariant(const CFunction &function) {
  return isPackedRole(function, CRole::Input) ||
         isPackedRole(function, CRole::Label);
}

std::string packedFunctionName(const CFunction &function) {
  return function.name + "_packed";
}

std::string metricsFunctionName(const CFunction &function) {
  return (needsPackedVariant(function) ? packedFunctionName(function)
                                       : function.name) +
         "_metrics";
}

std::string formatCParameters(const CFunction &function, bool packed,
                              bool metrics) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::ListSeparator comma;
  auto each = [&](CRole role, auto print) {
    for (const CArgument &a : function.arguments)
      if (a.role == role)
        print(a);
  };
  each(CRole::State, [&](const CArgument &) {
    os << comma << (function.writesState ? "void *state" : "const void *state");
  });
  for (CRole role : {CRole::Input, CRole::Label}) {
    if (packed && isPackedRole(function, role)) {
      os << comma
         << (role == CRole::Input ? "const float *inputs"
                                  : "const void *labels");
      continue;
    }
    each(role, [&](const CArgument &a) {
      os << comma << (a.dtype == "i32" ? "const int32_t *" : "const float *")
         << a.name;
    });
  }
  if (function.hasBatch)
    os << comma << "int64_t batch";
  each(CRole::Output,
       [&](const CArgument &a) { os << comma << "float *" << a.name; });
  if (metrics)
    each(CRole::Metric,
         [&](const CArgument &a) { os << comma << "float *" << a.name; });
  each(CRole::Scalar,
       [&](const CArgument &a) { os << comma << "uint64_t " << a.name; });
  return text;
}

} // namespace kiln
