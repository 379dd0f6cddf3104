//===- Error.h - error messages returned through the C API ------*- C++ -*-===//
//
// Every failing C function writes one line into the caller's (err, err_len)
// buffer; this keeps the truncation and NULL handling in one place.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_ERROR_H
#define KILN_RUNTIME_ERROR_H

#include <cstddef>

namespace kiln {

/// Formats the message into err (if not null), truncating to errLen bytes
/// including the terminator.
void setError(char *err, size_t errLen, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

} // namespace kiln

#endif // KILN_RUNTIME_ERROR_H
