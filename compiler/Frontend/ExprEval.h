//===- ExprEval.h - Constant values and call arguments of the AST --------===//
//
// Helpers shared by MLIR generation and recipe reading: numbers written as
// constant expressions (`1/255`), strings, and keyword arguments of calls.
// Errors are reported through `ErrorAt` at the offending text.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_EXPREVAL_H
#define KILN_FRONTEND_EXPREVAL_H

#include "Frontend/AST.h"

#include "mlir/IR/Diagnostics.h"

#include <string>

namespace kiln {

using ErrorAt = llvm::function_ref<mlir::InFlightDiagnostic(llvm::SMLoc)>;

/// A number, or + - * / and unary minus of numbers.
mlir::FailureOr<double> evaluateNumber(const ast::Expr &expr, ErrorAt error);

/// A whole number in [min, max].
mlir::FailureOr<int64_t> evaluateInteger(const ast::Expr &expr, int64_t min,
                                         int64_t max, ErrorAt error);

/// A whole number in [min, max] (one element) or a list of them
/// (`[2, 2]`, `[]`).
mlir::FailureOr<llvm::SmallVector<int64_t>>
evaluateIntegers(const ast::Expr &expr, int64_t min, int64_t max,
                 ErrorAt error);

mlir::FailureOr<std::string> evaluateString(const ast::Expr &expr,
                                            ErrorAt error);

/// `true` or `false`.
mlir::FailureOr<bool> evaluateFlag(const ast::Expr &expr, ErrorAt error);

/// Fails at the first keyword argument of `call` not in `allowed`.
mlir::LogicalResult checkKeywords(const ast::CallExpr &call,
                                  llvm::ArrayRef<llvm::StringRef> allowed,
                                  ErrorAt error);

/// Binds the arguments of `call` to `params` as Python does: positional
/// ones in order, then keyword ones by name. The first `required`
/// parameters must be given; absent optional ones are null. Fails at an
/// unknown or repeated argument, an extra positional one or a missing one.
mlir::FailureOr<llvm::SmallVector<const ast::Expr *>>
bindArguments(const ast::CallExpr &call, llvm::ArrayRef<llvm::StringRef> params,
              size_t required, ErrorAt error);

/// The value of keyword argument `name`, or null.
const ast::Expr *findKeyword(const ast::CallExpr &call, llvm::StringRef name);

} // namespace kiln

#endif // KILN_FRONTEND_EXPREVAL_H
