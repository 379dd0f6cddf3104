//===- Parser.h - Recursive-descent parser of the .kiln language ----------===//
//
// Turns one .kiln buffer into an ast::Module. Syntax errors and duplicate
// definitions are reported through the SourceMgr as `file:line:col: error:`
// with the source line and a caret; parsing stops at the first error.
// Name resolution, arity and shapes are checked later, during MLIR generation.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_PARSER_H
#define KILN_FRONTEND_PARSER_H

#include "Frontend/AST.h"

#include <memory>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace kiln {

/// Parses buffer `bufferId` of `sourceMgr`. Returns null after reporting the
/// first error. The buffer must outlive the returned module: its SMLocs point
/// into it.
std::unique_ptr<ast::Module> parseModule(llvm::SourceMgr &sourceMgr,
                                         unsigned bufferId);

} // namespace kiln

#endif // KILN_FRONTEND_PARSER_H
