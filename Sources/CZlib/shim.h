#ifndef VIGIE_CZLIB_SHIM_H
#define VIGIE_CZLIB_SHIM_H
#include <zlib.h>
/* deflateInit2 is a macro: a function Swift can call (windowBits 31 = gzip framing). */
static inline int vigie_deflate_init_gzip(z_stream *s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
}
static inline int vigie_inflate_init_gzip(z_stream *s) { return inflateInit2(s, 31); }
#endif
