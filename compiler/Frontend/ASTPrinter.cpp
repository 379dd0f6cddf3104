//===- ASTPrinter.cpp - Canonical .kiln text from an ast::Module ----------===//
//
// The output is itself valid .kiln that parses to the same tree, which is what
// makes `kilnc --emit=ast` usable for round-trip tests.
//
//===----------------------------------------------------------------------===//

#include "Frontend/AST.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Format.h"

#include <cstdio>

using namespace kiln;
using namespace kiln::ast;

/// Prints the shortest text that reads back as exactly `value`, keeping
/// non-integers recognizable as floats (a '.' or an exponent).
static void printNumber(const NumberExpr &number, llvm::raw_ostream &os) {
  if (number.isInteger) {
    os << llvm::format("%.0f", number.value);
    return;
  }
  char buffer[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, number.value);
    double reread = 0;
    if (!llvm::StringRef(buffer).getAsDouble(reread) && reread == number.value)
      break;
  }
  llvm::StringRef text(buffer);
  os << text;
  if (text.find_first_of(".e") == llvm::StringRef::npos)
    os << ".0";
}

static void printString(llvm::StringRef value, llvm::raw_ostream &os) {
  os << '"';
  for (char c : value) {
    switch (c) {
    case '"':
      os << "\\\"";
      break;
    case '\\':
      os << "\\\\";
      break;
    case '\n':
      os << "\\n";
      break;
    case '\t':
      os << "\\t";
      break;
    default:
      os << c;
    }
  }
  os << '"';
}

static void printExpr(const Expr &expr, llvm::raw_ostream &os) {
  switch (expr.getKind()) {
  case Expr::Kind::Number:
    printNumber(llvm::cast<NumberExpr>(expr), os);
    return;
  case Expr::Kind::Name:
    os << llvm::cast<NameExpr>(expr).name;
    return;
  case Expr::Kind::String:
    printString(llvm::cast<StringExpr>(expr).value, os);
    return;
  case Expr::Kind::List: {
    os << '[';
    llvm::StringRef separator = "";
    for (const ExprPtr &element : llvm::cast<ListExpr>(expr).elements) {
      os << separator;
      printExpr(*element, os);
      separator = ", ";
    }
    os << ']';
    return;
  }
  case Expr::Kind::Call: {
    const auto &call = llvm::cast<CallExpr>(expr);
    os << call.callee << '(';
    llvm::StringRef separator = "";
    for (const ExprPtr &arg : call.args) {
      os << separator;
      printExpr(*arg, os);
      separator = ", ";
    }
    for (const KeywordArg &arg : call.kwargs) {
      os << separator << arg.name << " = ";
      printExpr(*arg.value, os);
      separator = ", ";
    }
    os << ')';
    return;
  }
  case Expr::Kind::Binary: {
    // Fully parenthesized: the printed text never depends on precedence.
    const auto &binary = llvm::cast<BinaryExpr>(expr);
    os << '(';
    printExpr(*binary.lhs, os);
    os << ' ' << binary.op << ' ';
    printExpr(*binary.rhs, os);
    os << ')';
    return;
  }
  case Expr::Kind::Unary: {
    const auto &unary = llvm::cast<UnaryExpr>(expr);
    os << unary.op;
    printExpr(*unary.operand, os);
    return;
  }
  }
  llvm_unreachable("unknown expression kind");
}

static void printType(const TensorType &type, llvm::raw_ostream &os) {
  os << (type.elementType == ElementType::F32 ? "f32" : "i32") << '[';
  llvm::StringRef separator = "";
  for (int64_t dim : type.shape) {
    os << separator;
    if (dim == kDynamicDim)
      os << '?';
    else
      os << dim;
    separator = ", ";
  }
  os << ']';
}

void ast::print(const Module &module, llvm::raw_ostream &os) {
  os << "model " << module.name << '\n';
  // One blank line before each non-empty group keeps the output readable.
  auto group = [&](bool nonEmpty) {
    if (nonEmpty)
      os << '\n';
  };

  group(!module.inputs.empty());
  for (const InputDecl &input : module.inputs) {
    os << (input.isLabel ? "label " : "input ") << input.name << ": ";
    printType(input.type, os);
    os << '\n';
  }

  group(!module.params.empty());
  for (const ParamDecl &param : module.params) {
    os << "param " << param.name << ": ";
    printType(param.type, os);
    os << " = ";
    printExpr(*param.init, os);
    os << '\n';
  }

  group(!module.assignments.empty());
  for (const Assignment &assign : module.assignments) {
    os << assign.name << " = ";
    printExpr(*assign.value, os);
    os << '\n';
  }

  group(module.output.has_value());
  if (module.output)
    os << "output " << module.output->first << '\n';

  for (const ConfigBlock &block : module.blocks) {
    os << '\n' << block.kind << " {\n";
    for (const ConfigEntry &entry : block.entries) {
      os << "  " << entry.key << " = ";
      printExpr(*entry.value, os);
      os << '\n';
    }
    os << "}\n";
  }
}
