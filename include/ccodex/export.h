/* Linkage of the public API. Every function declared in include/ccodex/ is marked
 * CX_EXTERN: libccodex is compiled with -fvisibility=hidden, so these are the only
 * symbols the shared library exports. CX_BEGIN_DECLS / CX_END_DECLS give the headers
 * C linkage when included from C++. */
#ifndef CCODEX_EXPORT_H
#define CCODEX_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define CX_EXTERN __attribute__((visibility("default")))
#else
#define CX_EXTERN
#endif

#ifdef __cplusplus
#define CX_BEGIN_DECLS extern "C" {
#define CX_END_DECLS }
#else
#define CX_BEGIN_DECLS
#define CX_END_DECLS
#endif

#endif
