//===- MallocArray.h - owned arrays whose allocation can fail ---*- C++ -*-===//
//
// The C API must report out-of-memory instead of throwing through C callers
// (and the library may be built without exceptions), so large buffers come
// from malloc and are checked.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_MALLOCARRAY_H
#define KILN_RUNTIME_MALLOCARRAY_H

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace kiln {

struct FreeDeleter {
  void operator()(void *pointer) const { std::free(pointer); }
};

template <typename T> using MallocArray = std::unique_ptr<T[], FreeDeleter>;

/// Allocates count elements (uninitialized); null if count is too large or
/// memory is exhausted.
template <typename T> MallocArray<T> allocateArray(int64_t count) {
  if (count < 0 || static_cast<uint64_t>(count) > SIZE_MAX / sizeof(T))
    return nullptr;
  size_t bytes = static_cast<size_t>(count) * sizeof(T);
  return MallocArray<T>(static_cast<T *>(std::malloc(bytes ? bytes : 1)));
}

} // namespace kiln

#endif // KILN_RUNTIME_MALLOCARRAY_H
