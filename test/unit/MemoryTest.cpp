//===- MemoryTest.cpp - kiln_alloc: alignment, zeroing, huge-page advice --===//
#include "kiln/memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace {

struct Freed {
  void operator()(void *block) const { kiln_free(block); }
};
using Block = std::unique_ptr<unsigned char, Freed>;

Block allocate(size_t bytes) {
  return Block(static_cast<unsigned char *>(kiln_alloc(bytes)));
}

bool allZero(const unsigned char *bytes, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (bytes[i])
      return false;
  return true;
}

/// The VmFlags line of the /proc/self/smaps mapping that holds `address`.
std::string vmFlagsOf(const void *address) {
  std::ifstream smaps("/proc/self/smaps");
  auto target = reinterpret_cast<uintptr_t>(address);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= target && target < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0)
      return line;
  }
  return "";
}

TEST(Memory, SmallBlocksAreZeroedAndCacheLineAligned) {
  for (size_t bytes : {size_t(0), size_t(1), size_t(100), size_t(4096)}) {
    Block block = allocate(bytes);
    ASSERT_NE(block, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block.get()) % KILN_ALIGNMENT, 0u);
    EXPECT_TRUE(allZero(block.get(), bytes ? bytes : 1)) << bytes;
  }
}

TEST(Memory, LargeBlocksAreZeroedAndHugePageAligned) {
  size_t bytes = 3 * size_t(KILN_HUGE_PAGE_SIZE) + 123;
  Block block = allocate(bytes);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(block.get()) % KILN_HUGE_PAGE_SIZE, 0u);
  EXPECT_TRUE(allZero(block.get(), bytes));
  std::memset(block.get(), 0xab, bytes); // the whole block is writable
}

TEST(Memory, TooLargeIsNull) {
  EXPECT_EQ(kiln_alloc(SIZE_MAX - 16), nullptr);
}

#if defined(__linux__)
TEST(Memory, LargeBlocksAreAdvisedForHugePages) {
  // MADV_HUGEPAGE shows as "hg" among the mapping's VmFlags, whether or not
  // the kernel could back it with huge pages yet.
  Block block = allocate(4 * size_t(KILN_HUGE_PAGE_SIZE));
  ASSERT_NE(block, nullptr);
  std::string flags = vmFlagsOf(block.get());
  ASSERT_FALSE(flags.empty()) << "no /proc/self/smaps entry for the block";
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
}
#endif

} // namespace
