#include <zlib.h>

// deflateInit2 and inflateInit2 are macros (they pass the zlib version and the stream size to
// the real functions), which Swift cannot import: these wrappers make them callable.

static inline int spaces_deflateInit2(z_streamp stream, int level, int windowBits, int memLevel) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}

static inline int spaces_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
