//===- Error.cpp - error messages returned through the C API --------------===//

#include "Error.h"

#include <cstdarg>
#include <cstdio>

void kiln::setError(char *err, size_t errLen, const char *format, ...) {
  if (!err || errLen == 0)
    return;
  va_list args;
  va_start(args, format);
  std::vsnprintf(err, errLen, format, args);
  va_end(args);
}
