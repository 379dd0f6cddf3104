/* export.h - marks the symbols of the libkilnrt C API.
 *
 * The library is built with hidden visibility so that only what a header
 * declares with KILN_API becomes part of the ABI.
 */
#ifndef KILN_EXPORT_H
#define KILN_EXPORT_H

#if defined(_WIN32)
#if defined(KILN_RUNTIME_BUILDING)
#define KILN_API __declspec(dllexport)
#else
#define KILN_API __declspec(dllimport)
#endif
#else
#define KILN_API __attribute__((visibility("default")))
#endif

#endif /* KILN_EXPORT_H */
