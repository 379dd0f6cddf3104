//===- Memory.cpp - Zeroed, aligned blocks on huge pages when large -------===//
#include "kiln/memory.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <sys/mman.h>
#endif

void *kiln_alloc(size_t bytes) {
  size_t alignment =
      bytes >= KILN_HUGE_PAGE_SIZE ? KILN_HUGE_PAGE_SIZE : KILN_ALIGNMENT;
  // aligned_alloc wants a multiple of the alignment.
  size_t size = bytes ? bytes : 1;
  if (size > SIZE_MAX - alignment)
    return nullptr;
  size = (size + alignment - 1) / alignment * alignment;
  void *block = std::aligned_alloc(alignment, size);
  if (!block)
    return nullptr;
#if defined(MADV_HUGEPAGE)
  // Advice only: where huge pages are off or scarce, the block keeps 4 KiB
  // pages. Given before the first touch, so the memset faults huge pages in.
  if (alignment == KILN_HUGE_PAGE_SIZE)
    madvise(block, size, MADV_HUGEPAGE);
#endif
  std::memset(block, 0, size);
  return block;
}

void kiln_free(void *block) { std::free(block); }
