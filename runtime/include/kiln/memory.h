/* memory.h - buffers for model states and batches.
 *
 * A training step reads a wide weight one column strip at a time: one row of
 * the strip per 4 KiB page for a 1024-column weight, so every row costs a
 * TLB miss. Large blocks therefore come on 2 MiB pages where the system
 * offers them (Linux transparent huge pages, advised with MADV_HUGEPAGE).
 */
#ifndef KILN_MEMORY_H
#define KILN_MEMORY_H

#include <stddef.h>

#include "kiln/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every block is aligned to at least this many bytes. */
#define KILN_ALIGNMENT 64
/* Blocks of at least this many bytes are aligned to it and, on Linux,
 * advised for huge pages. */
#define KILN_HUGE_PAGE_SIZE (2u << 20)

/* bytes (at least one) of zeroed memory, aligned as above; NULL when out of
 * memory. Free with kiln_free. */
KILN_API void *kiln_alloc(size_t bytes);
KILN_API void kiln_free(void *block);

#ifdef __cplusplus
}
#endif

#endif /* KILN_MEMORY_H */
