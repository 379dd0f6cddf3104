//===- ExprEval.cpp - Constant values and call arguments of the AST ------===//
#include "Frontend/ExprEval.h"

#include <cmath>

using namespace mlir;

namespace kiln {

FailureOr<double> evaluateNumber(const ast::Expr &expr, ErrorAt error) {
  if (auto *number = dyn_cast<ast::NumberExpr>(&expr))
    return number->value;
  if (auto *unary = dyn_cast<ast::UnaryExpr>(&expr)) {
    auto operand = evaluateNumber(*unary->operand, error);
    return failed(operand) ? operand : FailureOr<double>(-*operand);
  }
  if (auto *binary = dyn_cast<ast::BinaryExpr>(&expr)) {
    auto lhs = evaluateNumber(*binary->lhs, error);
    if (failed(lhs))
      return failure();
    auto rhs = evaluateNumber(*binary->rhs, error);
    if (failed(rhs))
      return failure();
    switch (binary->op) {
    case '+':
      return *lhs + *rhs;
    case '-':
      return *lhs - *rhs;
    case '*':
      return *lhs * *rhs;
    default:
      if (*rhs == 0)
        return error(binary->getLoc()) << "division by zero";
      return *lhs / *rhs;
    }
  }
  return error(expr.getLoc()) << "expected a number";
}

FailureOr<int64_t> evaluateInteger(const ast::Expr &expr, int64_t min,
                                   int64_t max, ErrorAt error) {
  auto value = evaluateNumber(expr, error);
  if (failed(value))
    return failure();
  if (*value != std::floor(*value) || *value < (double)min ||
      *value > (double)max)
    return error(expr.getLoc())
           << "expected a whole number from " << min << " to " << max;
  return (int64_t)*value;
}

FailureOr<SmallVector<int64_t>> evaluateIntegers(const ast::Expr &expr,
                                                 int64_t min, int64_t max,
                                                 ErrorAt error) {
  SmallVector<int64_t> values;
  auto *list = dyn_cast<ast::ListExpr>(&expr);
  if (!list) {
    auto value = evaluateInteger(expr, min, max, error);
    if (failed(value))
      return failure();
    values.push_back(*value);
    return values;
  }
  for (const ast::ExprPtr &element : list->elements) {
    auto value = evaluateInteger(*element, min, max, error);
    if (failed(value))
      return failure();
    values.push_back(*value);
  }
  return values;
}

FailureOr<std::string> evaluateString(const ast::Expr &expr, ErrorAt error) {
  if (auto *text = dyn_cast<ast::StringExpr>(&expr))
    return text->value;
  return error(expr.getLoc()) << "expected a string";
}

FailureOr<bool> evaluateFlag(const ast::Expr &expr, ErrorAt error) {
  auto *bare = dyn_cast<ast::NameExpr>(&expr);
  if (!bare || (bare->name != "true" && bare->name != "false"))
    return error(expr.getLoc()) << "expected true or false";
  return bare->name == "true";
}

LogicalResult checkKeywords(const ast::CallExpr &call,
                            ArrayRef<StringRef> allowed, ErrorAt error) {
  for (const ast::KeywordArg &kw : call.kwargs)
    if (!llvm::is_contained(allowed, kw.name)) {
      auto diag = error(kw.loc) << "unknown argument '" << kw.name << "' of '"
                                << call.callee << "'";
      if (allowed.empty()) {
        diag << " (it takes none)";
      } else {
        diag << " (expected ";
        llvm::interleave(allowed, diag, ", ");
        diag << ")";
      }
      return failure();
    }
  return success();
}

FailureOr<SmallVector<const ast::Expr *>>
bindArguments(const ast::CallExpr &call, ArrayRef<StringRef> params,
              size_t required, ErrorAt error) {
  SmallVector<const ast::Expr *> bound(params.size(), nullptr);
  if (call.args.size() > params.size())
    return error(call.args[params.size()]->getLoc())
           << "'" << call.callee << "' takes at most " << params.size()
           << " positional argument" << (params.size() == 1 ? "" : "s")
           << ", got " << call.args.size();
  for (auto [i, arg] : llvm::enumerate(call.args))
    bound[i] = arg.get();
  if (failed(checkKeywords(call, params, error)))
    return failure();
  for (const ast::KeywordArg &kw : call.kwargs) {
    size_t i = llvm::find(params, kw.name) - params.begin();
    if (bound[i])
      return error(kw.loc) << "argument '" << kw.name << "' of '"
                           << call.callee << "' is given twice";
    bound[i] = kw.value.get();
  }
  for (size_t i = 0; i < required; ++i)
    if (!bound[i])
      return error(call.getLoc()) << "'" << call.callee
                                  << "' needs argument '" << params[i] << "'";
  return bound;
}

const ast::Expr *findKeyword(const ast::CallExpr &call, StringRef name) {
  for (const ast::KeywordArg &kw : call.kwargs)
    if (kw.name == name)
      return kw.value.get();
  return nullptr;
}

} // namespace kiln
