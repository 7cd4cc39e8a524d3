/* Internal header of libklient's cgo build: the public types without the public
 * prototypes (cgo declares the exports itself, without const), plus the small static
 * helpers Go needs to call C function pointers and to turn handle ids into pointers. */
#ifndef KLIENT_CAPI_H
#define KLIENT_CAPI_H
#define KLIENT_NO_PROTOTYPES
#include "klient.h"
#include <stdlib.h>
#include <string.h>

#define KLIENT_VERSION_STRING "0.1.0"

static inline const char *klient__version_str(void) { return KLIENT_VERSION_STRING; }

/* Handles are registry ids, not addresses; converting here keeps go vet quiet about
 * uintptr -> unsafe.Pointer conversions. */
static inline void *klient__h2p(uintptr_t h) { return (void *)h; }

/* cgo cannot call C function pointers directly. */
static inline void klient__call_sink(klient_event_sink_fn fn, void *ud, const char *line, size_t len) {
    fn(ud, line, len);
}
static inline int klient__call_transform(klient_transform_fn fn, void *ud,
                                         const klient_message_view_t *in, size_t n,
                                         klient_relay_output_t *out) {
    return fn(ud, in, n, out);
}
#endif
