//===- AST.h - Abstract syntax tree of the .kiln language ----------------===//
//
// The parser produces one ast::Module per file. Every node keeps the SMLoc of
// its first character so later stages (MLIR generation, verifiers) can report
// errors at the user's source position through the same llvm::SourceMgr.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_AST_H
#define KILN_FRONTEND_AST_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::ast {

/// Marks the dynamic (`?`) dimension of a tensor type, e.g. the batch.
constexpr int64_t kDynamicDim = -1;

enum class ElementType { F32, I32 };

/// `f32[?, 28, 28, 1]`.
struct TensorType {
  ElementType elementType = ElementType::F32;
  std::vector<int64_t> shape; // kDynamicDim for `?`
  llvm::SMLoc loc;
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Expr {
public:
  enum class Kind { Number, Name, String, List, Call, Binary, Unary };
  Expr(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
  virtual ~Expr() = default;
  Kind getKind() const { return kind; }
  llvm::SMLoc getLoc() const { return loc; }

private:
  Kind kind;
  llvm::SMLoc loc;
};
using ExprPtr = std::unique_ptr<Expr>;

/// `0.1`, `64`, `1e-3`. `isInteger` is true when written without '.'/exponent.
class NumberExpr : public Expr {
public:
  NumberExpr(llvm::SMLoc loc, double value, bool isInteger)
      : Expr(Kind::Number, loc), value(value), isInteger(isInteger) {}
  double value;
  bool isInteger;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }
};

/// A reference to an input, label, parameter, earlier assignment, or a bare
/// identifier used as a value (`glorot_uniform`, `SAME`, `true`).
class NameExpr : public Expr {
public:
  NameExpr(llvm::SMLoc loc, std::string name)
      : Expr(Kind::Name, loc), name(std::move(name)) {}
  std::string name;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Name; }
};

/// `"path/to/file.gz"` with escapes already resolved.
class StringExpr : public Expr {
public:
  StringExpr(llvm::SMLoc loc, std::string value)
      : Expr(Kind::String, loc), value(std::move(value)) {}
  std::string value;
  static bool classof(const Expr *e) { return e->getKind() == Kind::String; }
};

/// `[a, b, ...]`: shapes, axes, window sizes and the tensors of concat.
class ListExpr : public Expr {
public:
  explicit ListExpr(llvm::SMLoc loc) : Expr(Kind::List, loc) {}
  std::vector<ExprPtr> elements;
  static bool classof(const Expr *e) { return e->getKind() == Kind::List; }
};

/// `name = expr` inside a call's argument list.
struct KeywordArg {
  std::string name;
  llvm::SMLoc loc;
  ExprPtr value;
};

/// `callee(arg, ..., key = value, ...)`; positional arguments come first.
class CallExpr : public Expr {
public:
  CallExpr(llvm::SMLoc loc, std::string callee)
      : Expr(Kind::Call, loc), callee(std::move(callee)) {}
  std::string callee;
  std::vector<ExprPtr> args;
  std::vector<KeywordArg> kwargs;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }
};

/// `lhs op rhs` with op one of + - * /. loc is the operator's position.
class BinaryExpr : public Expr {
public:
  BinaryExpr(llvm::SMLoc loc, char op, ExprPtr lhs, ExprPtr rhs)
      : Expr(Kind::Binary, loc), op(op), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {}
  char op;
  ExprPtr lhs, rhs;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }
};

/// `-operand`.
class UnaryExpr : public Expr {
public:
  UnaryExpr(llvm::SMLoc loc, char op, ExprPtr operand)
      : Expr(Kind::Unary, loc), op(op), operand(std::move(operand)) {}
  char op;
  ExprPtr operand;
  static bool classof(const Expr *e) { return e->getKind() == Kind::Unary; }
};

//===----------------------------------------------------------------------===//
// Declarations and statements
//===----------------------------------------------------------------------===//

/// `input x: f32[?, 784]` or `label y: i32[?]`.
struct InputDecl {
  std::string name;
  llvm::SMLoc loc;
  bool isLabel = false;
  TensorType type;
};

/// `param w: f32[784, 256] = glorot_uniform` (init is a NameExpr, CallExpr
/// such as `normal(stddev = 0.1)`, or a NumberExpr for a constant fill).
struct ParamDecl {
  std::string name;
  llvm::SMLoc loc;
  TensorType type;
  ExprPtr init;
};

/// `h1 = relu(matmul(x, w1) + b1)`.
struct Assignment {
  std::string name;
  llvm::SMLoc loc;
  ExprPtr value;
};

/// `key = value` inside a `train { }` or `data { }` block.
struct ConfigEntry {
  std::string key;
  llvm::SMLoc loc;
  ExprPtr value;
};

/// `train { ... }` or `data { ... }`.
struct ConfigBlock {
  std::string kind; // "train" or "data"
  llvm::SMLoc loc;
  std::vector<ConfigEntry> entries;
};

/// One whole .kiln file.
///
///   model NAME
///   input/label/param declarations, assignments (in any interleaving,
///   but names must be defined before use)
///   output NAME            -- the value `predict` returns
///   train { ... }  data { ... }
struct Module {
  std::string name;
  llvm::SMLoc loc;
  std::vector<InputDecl> inputs; // inputs and labels in source order
  std::vector<ParamDecl> params;
  std::vector<Assignment> assignments;
  std::optional<std::pair<std::string, llvm::SMLoc>> output;
  std::vector<ConfigBlock> blocks;

  const ConfigBlock *findBlock(llvm::StringRef kind) const {
    for (const ConfigBlock &b : blocks)
      if (b.kind == kind)
        return &b;
    return nullptr;
  }
};

/// Prints the module back as canonical .kiln text (one declaration or
/// statement per line, fully parenthesized binary expressions), so that
/// `kilnc --emit=ast` output parses again to the same tree.
void print(const Module &module, llvm::raw_ostream &os);

} // namespace kiln::ast

#endif // KILN_FRONTEND_AST_H
