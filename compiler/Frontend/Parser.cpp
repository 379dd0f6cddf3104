//===- Parser.cpp - Recursive-descent parser of the .kiln language --------===//
//
// Grammar (newlines are insignificant: a statement ends where its expression
// ends, and the next statement starts with a keyword or `NAME =`):
//
//   module     ::= 'model' NAME statement*
//   statement  ::= ('input' | 'label') NAME ':' type
//                | 'param' NAME ':' type '=' expr
//                | NAME '=' expr
//                | 'output' NAME
//                | ('train' | 'data') '{' (KEY '=' expr)* '}'
//   type       ::= ('f32' | 'i32') '[' (dim (',' dim)*)? ']'
//   dim        ::= POSITIVE_INTEGER | '?'
//   expr       ::= term (('+' | '-') term)*
//   term       ::= unary (('*' | '/') unary)*
//   unary      ::= '-' unary | primary
//   primary    ::= NUMBER | STRING | NAME | NAME '(' args? ')' | '(' expr ')'
//                | '[' (expr (',' expr)* ','?)? ']'
//   args       ::= arg (',' arg)* ','?      positional ones before KEY '=' expr
//
// Block keys and keyword-argument names may be keywords (`data { train = ...
// }`); value names may not.
//
//===----------------------------------------------------------------------===//

#include "Frontend/Parser.h"
#include "Frontend/Lexer.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/SourceMgr.h"

#include <optional>

using namespace kiln;
using llvm::SMLoc;
using llvm::StringRef;
using llvm::Twine;

namespace {

/// Bounds recursion so that pathological input such as a million '(' is a
/// diagnostic rather than a stack overflow.
constexpr unsigned kMaxExprDepth = 256;

class Parser {
public:
  Parser(llvm::SourceMgr &sourceMgr, unsigned bufferId)
      : sourceMgr(sourceMgr),
        lexer(sourceMgr.getMemoryBuffer(bufferId)->getBuffer()) {
    tok = lexer.lex();
  }

  std::unique_ptr<ast::Module> parseModule();

private:
  //===--- Tokens and diagnostics ----------------------------------------===//

  void consume() {
    if (lookahead) {
      tok = std::move(*lookahead);
      lookahead.reset();
    } else {
      tok = lexer.lex();
    }
  }

  const Token &peek() {
    if (!lookahead)
      lookahead = lexer.lex();
    return *lookahead;
  }

  /// Always returns false so callers can `return emitError(...)`.
  bool emitError(SMLoc loc, const Twine &message) {
    sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Error, message);
    return false;
  }

  void emitNote(SMLoc loc, const Twine &message) {
    sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Note, message);
  }

  static std::string describe(const Token &t) {
    if (t.is(Token::Eof))
      return "end of file";
    return ("'" + t.text + "'").str();
  }

  /// Reports that the current token is not `what`. A lexer error token is
  /// reported with its own message, which says more.
  bool expected(const Twine &what) {
    if (tok.is(Token::Error))
      return emitError(tok.loc, tok.stringValue);
    return emitError(tok.loc, "expected " + what + ", found " + describe(tok));
  }

  bool consumeIf(Token::Kind kind) {
    if (!tok.is(kind))
      return false;
    consume();
    return true;
  }

  //===--- Declarations and statements -----------------------------------===//

  bool parseName(std::string &name, SMLoc &loc, const Twine &what);
  bool defineName(StringRef name, SMLoc loc);
  bool parseStatement(ast::Module &module);
  bool parseInput(ast::Module &module);
  bool parseParam(ast::Module &module);
  bool parseAssignment(ast::Module &module);
  bool parseOutput(ast::Module &module);
  bool parseBlock(ast::Module &module);
  bool parseType(ast::TensorType &type);

  //===--- Expressions ---------------------------------------------------===//

  ast::ExprPtr parseExpr();
  ast::ExprPtr parseTerm();
  ast::ExprPtr parseUnary();
  ast::ExprPtr parsePrimary();
  ast::ExprPtr parseCall(std::string callee, SMLoc loc);
  ast::ExprPtr parseList();

  llvm::SourceMgr &sourceMgr;
  Lexer lexer;
  Token tok;
  std::optional<Token> lookahead;
  /// Inputs, labels, params and assignments share one namespace.
  llvm::StringMap<SMLoc> definitions;
  unsigned exprDepth = 0;
};

} // namespace

std::unique_ptr<ast::Module> Parser::parseModule() {
  auto module = std::make_unique<ast::Module>();
  if (!tok.is(Token::KwModel)) {
    if (tok.is(Token::Error))
      emitError(tok.loc, tok.stringValue);
    else
      emitError(tok.loc, "missing 'model' declaration at the start of the file");
    return nullptr;
  }
  module->loc = tok.loc;
  consume();
  SMLoc nameLoc;
  if (!parseName(module->name, nameLoc, "model name after 'model'"))
    return nullptr;

  while (!tok.is(Token::Eof))
    if (!parseStatement(*module))
      return nullptr;
  return module;
}

bool Parser::parseName(std::string &name, SMLoc &loc, const Twine &what) {
  if (tok.isKeyword())
    return emitError(tok.loc, "keyword '" + tok.text +
                                  "' cannot be used as a name");
  if (!tok.is(Token::Identifier))
    return expected(what);
  name = tok.text.str();
  loc = tok.loc;
  consume();
  return true;
}

bool Parser::defineName(StringRef name, SMLoc loc) {
  auto [it, inserted] = definitions.try_emplace(name, loc);
  if (inserted)
    return true;
  emitError(loc, "duplicate definition of '" + name + "'");
  emitNote(it->second, "previous definition of '" + name + "' is here");
  return false;
}

bool Parser::parseStatement(ast::Module &module) {
  switch (tok.kind) {
  case Token::KwInput:
  case Token::KwLabel:
    return parseInput(module);
  case Token::KwParam:
    return parseParam(module);
  case Token::KwOutput:
    return parseOutput(module);
  case Token::KwTrain:
  case Token::KwData:
    return parseBlock(module);
  case Token::Identifier:
    return parseAssignment(module);
  case Token::KwModel:
    emitError(tok.loc, "duplicate 'model' declaration");
    emitNote(module.loc, "the model is declared here");
    return false;
  default:
    return expected("a declaration or an assignment");
  }
}

bool Parser::parseInput(ast::Module &module) {
  ast::InputDecl decl;
  decl.isLabel = tok.is(Token::KwLabel);
  StringRef keyword = decl.isLabel ? "label" : "input";
  consume();
  if (!parseName(decl.name, decl.loc, "a name after '" + keyword + "'") ||
      !defineName(decl.name, decl.loc))
    return false;
  if (!consumeIf(Token::Colon))
    return expected("':' after " + keyword + " name '" + decl.name + "'");
  if (!parseType(decl.type))
    return false;
  module.inputs.push_back(std::move(decl));
  return true;
}

bool Parser::parseParam(ast::Module &module) {
  ast::ParamDecl decl;
  consume();
  if (!parseName(decl.name, decl.loc, "a name after 'param'") ||
      !defineName(decl.name, decl.loc))
    return false;
  if (!consumeIf(Token::Colon))
    return expected("':' after param name '" + decl.name + "'");
  if (!parseType(decl.type))
    return false;
  if (!consumeIf(Token::Equal))
    return expected("'=' and an initializer after the type of param '" +
                    decl.name + "'");
  decl.init = parseExpr();
  if (!decl.init)
    return false;
  module.params.push_back(std::move(decl));
  return true;
}

bool Parser::parseAssignment(ast::Module &module) {
  ast::Assignment assign;
  assign.name = tok.text.str();
  assign.loc = tok.loc;
  consume();
  if (!tok.is(Token::Equal))
    return expected("'=' after '" + assign.name + "'");
  if (!defineName(assign.name, assign.loc))
    return false;
  consume();
  assign.value = parseExpr();
  if (!assign.value)
    return false;
  module.assignments.push_back(std::move(assign));
  return true;
}

bool Parser::parseOutput(ast::Module &module) {
  SMLoc keywordLoc = tok.loc;
  consume();
  std::string name;
  SMLoc loc;
  if (!parseName(name, loc, "a name after 'output'"))
    return false;
  if (module.output) {
    emitError(keywordLoc, "duplicate 'output' declaration");
    emitNote(module.output->second, "previous 'output' is here");
    return false;
  }
  module.output.emplace(std::move(name), loc);
  return true;
}

bool Parser::parseBlock(ast::Module &module) {
  ast::ConfigBlock block;
  block.kind = tok.text.str();
  block.loc = tok.loc;
  if (const ast::ConfigBlock *previous = module.findBlock(block.kind)) {
    emitError(block.loc, "duplicate '" + block.kind + "' block");
    emitNote(previous->loc, "previous '" + block.kind + "' block is here");
    return false;
  }
  consume();
  if (!consumeIf(Token::LBrace))
    return expected("'{' after '" + block.kind + "'");

  llvm::StringMap<SMLoc> keys;
  while (!consumeIf(Token::RBrace)) {
    if (!tok.is(Token::Identifier) && !tok.isKeyword())
      return expected("a key or '}' in '" + block.kind + "' block");
    ast::ConfigEntry entry;
    entry.key = tok.text.str();
    entry.loc = tok.loc;
    auto [it, inserted] = keys.try_emplace(entry.key, entry.loc);
    if (!inserted) {
      emitError(entry.loc, "duplicate key '" + entry.key + "' in '" +
                               block.kind + "' block");
      emitNote(it->second, "previous '" + entry.key + "' is here");
      return false;
    }
    consume();
    if (!consumeIf(Token::Equal))
      return expected("'=' after key '" + entry.key + "'");
    entry.value = parseExpr();
    if (!entry.value)
      return false;
    block.entries.push_back(std::move(entry));
  }
  module.blocks.push_back(std::move(block));
  return true;
}

bool Parser::parseType(ast::TensorType &type) {
  if (!tok.is(Token::Identifier))
    return expected("an element type (f32 or i32)");
  type.loc = tok.loc;
  if (tok.text == "f32")
    type.elementType = ast::ElementType::F32;
  else if (tok.text == "i32")
    type.elementType = ast::ElementType::I32;
  else
    return emitError(tok.loc, "unknown element type '" + tok.text +
                                  "' (expected f32 or i32)");
  StringRef elementName = tok.text;
  consume();
  if (!consumeIf(Token::LBracket))
    return expected("'[' after element type '" + elementName + "'");
  if (consumeIf(Token::RBracket))
    return true; // scalar

  while (true) {
    int64_t dim = ast::kDynamicDim;
    if (tok.is(Token::Integer) && tok.text.getAsInteger(10, dim))
      return emitError(tok.loc, "dimension '" + tok.text + "' is too large");
    if (tok.is(Token::Error))
      return emitError(tok.loc, tok.stringValue);
    if (!tok.is(Token::Question) && !(tok.is(Token::Integer) && dim > 0))
      return emitError(tok.loc,
                       "dimension must be a positive integer or '?', found " +
                           describe(tok));
    type.shape.push_back(dim);
    consume();
    if (consumeIf(Token::RBracket))
      return true;
    if (!consumeIf(Token::Comma))
      return expected("',' or ']' in shape");
  }
}

ast::ExprPtr Parser::parseExpr() {
  ast::ExprPtr lhs = parseTerm();
  while (lhs && (tok.is(Token::Plus) || tok.is(Token::Minus))) {
    char op = tok.text[0];
    SMLoc loc = tok.loc;
    consume();
    ast::ExprPtr rhs = parseTerm();
    if (!rhs)
      return nullptr;
    lhs = std::make_unique<ast::BinaryExpr>(loc, op, std::move(lhs),
                                            std::move(rhs));
  }
  return lhs;
}

ast::ExprPtr Parser::parseTerm() {
  ast::ExprPtr lhs = parseUnary();
  while (lhs && (tok.is(Token::Star) || tok.is(Token::Slash))) {
    char op = tok.text[0];
    SMLoc loc = tok.loc;
    consume();
    ast::ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = std::make_unique<ast::BinaryExpr>(loc, op, std::move(lhs),
                                            std::move(rhs));
  }
  return lhs;
}

ast::ExprPtr Parser::parseUnary() {
  // Every nesting (parentheses, call arguments, unary minus) passes here.
  if (exprDepth == kMaxExprDepth) {
    emitError(tok.loc, "expression is nested too deeply");
    return nullptr;
  }
  ++exprDepth;
  ast::ExprPtr result;
  if (tok.is(Token::Minus)) {
    SMLoc loc = tok.loc;
    consume();
    if (ast::ExprPtr operand = parseUnary())
      result = std::make_unique<ast::UnaryExpr>(loc, '-', std::move(operand));
  } else {
    result = parsePrimary();
  }
  --exprDepth;
  return result;
}

ast::ExprPtr Parser::parsePrimary() {
  SMLoc loc = tok.loc;
  switch (tok.kind) {
  case Token::Integer:
  case Token::Float: {
    auto number = std::make_unique<ast::NumberExpr>(loc, tok.numberValue,
                                                    tok.is(Token::Integer));
    consume();
    return number;
  }
  case Token::String: {
    auto string = std::make_unique<ast::StringExpr>(loc, tok.stringValue);
    consume();
    return string;
  }
  case Token::Identifier: {
    std::string name = tok.text.str();
    consume();
    if (tok.is(Token::LParen))
      return parseCall(std::move(name), loc);
    return std::make_unique<ast::NameExpr>(loc, std::move(name));
  }
  case Token::LBracket:
    return parseList();
  case Token::LParen: {
    consume();
    ast::ExprPtr inner = parseExpr();
    if (!inner)
      return nullptr;
    if (!consumeIf(Token::RParen)) {
      expected("')'");
      return nullptr;
    }
    return inner;
  }
  default:
    if (tok.isKeyword())
      emitError(loc, "keyword '" + tok.text + "' cannot be used as a name");
    else
      expected("an expression");
    return nullptr;
  }
}

ast::ExprPtr Parser::parseCall(std::string callee, SMLoc loc) {
  auto call = std::make_unique<ast::CallExpr>(loc, std::move(callee));
  consume(); // '('
  llvm::StringMap<SMLoc> keywords;
  while (!consumeIf(Token::RParen)) {
    bool isKeywordArg = (tok.is(Token::Identifier) || tok.isKeyword()) &&
                        peek().is(Token::Equal);
    if (isKeywordArg) {
      ast::KeywordArg arg;
      arg.name = tok.text.str();
      arg.loc = tok.loc;
      auto [it, inserted] = keywords.try_emplace(arg.name, arg.loc);
      if (!inserted) {
        emitError(arg.loc, "duplicate keyword argument '" + arg.name + "'");
        emitNote(it->second, "previous '" + arg.name + "' is here");
        return nullptr;
      }
      consume(); // name
      consume(); // '='
      arg.value = parseExpr();
      if (!arg.value)
        return nullptr;
      call->kwargs.push_back(std::move(arg));
    } else {
      SMLoc argLoc = tok.loc;
      ast::ExprPtr arg = parseExpr();
      if (!arg)
        return nullptr;
      if (!call->kwargs.empty()) {
        emitError(argLoc, "positional argument after keyword argument");
        return nullptr;
      }
      call->args.push_back(std::move(arg));
    }
    if (consumeIf(Token::Comma))
      continue;
    if (!tok.is(Token::RParen)) {
      expected("',' or ')' in the arguments of '" + call->callee + "'");
      return nullptr;
    }
  }
  return call;
}

ast::ExprPtr Parser::parseList() {
  auto list = std::make_unique<ast::ListExpr>(tok.loc);
  consume(); // '['
  while (!consumeIf(Token::RBracket)) {
    ast::ExprPtr element = parseExpr();
    if (!element)
      return nullptr;
    list->elements.push_back(std::move(element));
    if (consumeIf(Token::Comma))
      continue;
    if (!tok.is(Token::RBracket)) {
      expected("',' or ']' in a list");
      return nullptr;
    }
  }
  return list;
}

std::unique_ptr<ast::Module> kiln::parseModule(llvm::SourceMgr &sourceMgr,
                                               unsigned bufferId) {
  return Parser(sourceMgr, bufferId).parseModule();
}
