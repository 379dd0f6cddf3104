//===- Lexer.cpp - Tokenizer of the .kiln language ------------------------===//

#include "Frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace kiln;

static bool isIdentStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

/// Spells one source byte for a diagnostic; bytes that would garble the
/// terminal (control characters, stray UTF-8) are shown as '\xNN'.
static std::string describeChar(char c) {
  if (llvm::isPrint(c))
    return std::string(1, c);
  return "\\x" + llvm::utohexstr(static_cast<unsigned char>(c), /*LowerCase=*/false,
                                 /*Width=*/2);
}

void Lexer::skipSpaceAndComments() {
  while (cur != end) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
        c == '\v') {
      ++cur;
      continue;
    }
    bool comment = c == '#' || (c == '/' && cur + 1 != end && cur[1] == '/');
    if (!comment)
      return;
    while (cur != end && *cur != '\n')
      ++cur;
  }
}

Token Lexer::makeToken(Token::Kind kind, const char *start) {
  Token tok;
  tok.kind = kind;
  tok.text = llvm::StringRef(start, cur - start);
  tok.loc = llvm::SMLoc::getFromPointer(start);
  return tok;
}

Token Lexer::makeError(const char *at, const llvm::Twine &message) {
  Token tok;
  tok.kind = Token::Error;
  tok.text = llvm::StringRef(at, cur > at ? cur - at : 0);
  tok.loc = llvm::SMLoc::getFromPointer(at);
  tok.stringValue = message.str();
  // The parser stops at the first error, so there is nothing left to lex.
  cur = end;
  return tok;
}

Token Lexer::lex() {
  skipSpaceAndComments();
  if (cur == end)
    return makeToken(Token::Eof, cur);

  const char *start = cur;
  char c = *cur++;
  if (isIdentStart(c))
    return lexIdentifier(start);
  if (llvm::isDigit(c))
    return lexNumber(start);

  switch (c) {
  case '"':
    return lexString(start);
  case '(':
    return makeToken(Token::LParen, start);
  case ')':
    return makeToken(Token::RParen, start);
  case '[':
    return makeToken(Token::LBracket, start);
  case ']':
    return makeToken(Token::RBracket, start);
  case '{':
    return makeToken(Token::LBrace, start);
  case '}':
    return makeToken(Token::RBrace, start);
  case ',':
    return makeToken(Token::Comma, start);
  case ':':
    return makeToken(Token::Colon, start);
  case '=':
    return makeToken(Token::Equal, start);
  case '+':
    return makeToken(Token::Plus, start);
  case '-':
    return makeToken(Token::Minus, start);
  case '*':
    return makeToken(Token::Star, start);
  case '/':
    return makeToken(Token::Slash, start);
  case '?':
    return makeToken(Token::Question, start);
  default:
    return makeError(start, "unexpected character '" + describeChar(c) + "'");
  }
}

Token Lexer::lexIdentifier(const char *start) {
  while (cur != end && isIdentChar(*cur))
    ++cur;
  llvm::StringRef text(start, cur - start);
  Token::Kind kind = llvm::StringSwitch<Token::Kind>(text)
                         .Case("model", Token::KwModel)
                         .Case("input", Token::KwInput)
                         .Case("label", Token::KwLabel)
                         .Case("param", Token::KwParam)
                         .Case("output", Token::KwOutput)
                         .Case("train", Token::KwTrain)
                         .Case("data", Token::KwData)
                         .Default(Token::Identifier);
  return makeToken(kind, start);
}

Token Lexer::lexNumber(const char *start) {
  auto skipDigits = [&] {
    while (cur != end && llvm::isDigit(*cur))
      ++cur;
  };
  skipDigits();
  bool isFloat = false;
  if (cur != end && *cur == '.') {
    isFloat = true;
    ++cur;
    skipDigits();
  }
  if (cur != end && (*cur == 'e' || *cur == 'E')) {
    isFloat = true;
    ++cur;
    if (cur != end && (*cur == '+' || *cur == '-'))
      ++cur;
    if (cur == end || !llvm::isDigit(*cur))
      return makeError(start, "malformed exponent in number '" +
                                  llvm::StringRef(start, cur - start) + "'");
    skipDigits();
  }

  Token tok = makeToken(isFloat ? Token::Float : Token::Integer, start);
  // APFloat rounds correctly; huge literals become inf, which no later stage
  // (nor the printer) can represent.
  if (tok.text.getAsDouble(tok.numberValue) || std::isinf(tok.numberValue))
    return makeError(start, "number '" + tok.text + "' is out of range");
  return tok;
}

Token Lexer::lexString(const char *start) {
  std::string value;
  while (cur != end && *cur != '"') {
    char c = *cur;
    if (c == '\n')
      break;
    ++cur;
    if (c != '\\') {
      value += c;
      continue;
    }
    if (cur == end)
      break;
    const char *escape = cur - 1;
    switch (char e = *cur++) {
    case '"':
    case '\\':
      value += e;
      break;
    case 'n':
      value += '\n';
      break;
    case 't':
      value += '\t';
      break;
    default:
      return makeError(escape, "unknown escape sequence '\\" +
                                   describeChar(e) + "' in string");
    }
  }
  if (cur == end || *cur != '"')
    return makeError(start, "unterminated string");
  ++cur;
  Token tok = makeToken(Token::String, start);
  tok.stringValue = std::move(value);
  return tok;
}
