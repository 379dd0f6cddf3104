//===- Lexer.h - Tokenizer of the .kiln language --------------------------===//
//
// Splits one source buffer into tokens. The lexer never prints: a malformed
// token comes back as Token::Error with its message, and the parser reports it
// when it reaches that token, so diagnostics stay in source order.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_LEXER_H
#define KILN_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"

#include <string>

namespace kiln {

struct Token {
  enum Kind {
    Eof,
    Error,
    Identifier,
    Integer, // digits only
    Float,   // has '.' or an exponent
    String,
    // Keywords; they cannot name values.
    KwModel,
    KwInput,
    KwLabel,
    KwParam,
    KwOutput,
    KwTrain,
    KwData,
    // Punctuation.
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Colon,
    Equal,
    Plus,
    Minus,
    Star,
    Slash,
    Question,
  };

  Kind kind = Eof;
  /// The spelling in the source buffer (with quotes for strings).
  llvm::StringRef text;
  llvm::SMLoc loc;
  /// Integer/Float: the value. String: escapes resolved. Error: the message.
  std::string stringValue;
  double numberValue = 0;

  bool is(Kind k) const { return kind == k; }
  bool isKeyword() const { return kind >= KwModel && kind <= KwData; }
};

class Lexer {
public:
  /// `buffer` must outlive the lexer and every token it returns.
  explicit Lexer(llvm::StringRef buffer)
      : cur(buffer.begin()), end(buffer.end()) {}

  /// Returns the next token; Eof forever once the buffer is exhausted.
  Token lex();

private:
  void skipSpaceAndComments();
  Token makeToken(Token::Kind kind, const char *start);
  Token makeError(const char *at, const llvm::Twine &message);
  Token lexIdentifier(const char *start);
  Token lexNumber(const char *start);
  Token lexString(const char *start);

  const char *cur;
  const char *end;
};

} // namespace kiln

#endif // KILN_FRONTEND_LEXER_H
