/* Internal header of libklient's cgo build: the public header (its prototypes
 * included, so the C compiler checks each export against them), the const types the
 * exports are declared with, and the small static helpers Go needs to call C function
 * pointers and to turn handle ids into pointers. */
#ifndef KLIENT_CAPI_H
#define KLIENT_CAPI_H
#include "klient.h"
#include <stdlib.h>
#include <string.h>

/* cgo writes its own declaration of every //export function from the Go parameter
 * types. Exports take these const types where klient.h says const, so that cgo's
 * declarations are identical to the header's and the C compiler checks every export
 * against the public prototype. */
typedef const char klient__cchar;         /* const char * */
typedef const char *const klient__cstrs;  /* const char *const * */
typedef const void klient__cvoid;         /* const void * */
typedef const uint64_t klient__cu64;      /* const uint64_t * */
typedef const klient_message_t klient__cmessage;

#define KLIENT_VERSION_STRING "0.1.0"

static inline const char *klient__version_str(void) { return KLIENT_VERSION_STRING; }

/* Handles are registry ids, not addresses; converting here keeps go vet quiet about
 * uintptr -> unsafe.Pointer conversions. */
static inline void *klient__h2p(uintptr_t h) { return (void *)h; }

/* cgo cannot call C function pointers directly. */
static inline void klient__call_sink(klient_event_sink_fn fn, void *ud, const char *line, size_t len) {
    fn(ud, line, len);
}
static inline void klient__call_log(klient_log_fn fn, void *ud, int level, const char *client,
                                    const char *facility, const char *name, const char *message) {
    fn(ud, level, client, facility, name, message);
}
static inline void klient__call_stats(klient_stats_fn fn, void *ud, const char *client, const char *json) {
    fn(ud, client, json);
}
static inline int klient__call_transform(klient_transform_fn fn, void *ud,
                                         const klient_message_view_t *in, size_t n,
                                         klient_relay_output_t *out) {
    return fn(ud, in, n, out);
}
#endif
