/*
 * klient.h -- the C ABI of klient (libklient.so), a Kafka client toolkit.
 *
 * Link: cc app.c $(pkg-config --cflags --libs klient)
 *
 * CONVENTIONS (they hold for every function unless its comment says otherwise)
 *
 * Status.  Every call returns an int status: KLIENT_OK (0) or one of KLIENT_ERR_*.
 *   The last parameter of most calls is `klient_error_t **err`. It may be NULL. When it
 *   is not NULL, *err is set to NULL on success and, on failure, to a newly allocated
 *   klient_error_t that the caller owns and frees with klient_error_destroy().
 *
 * Ownership.
 *   - Input memory (strings, message arrays, keys, values, headers) stays the caller's;
 *     the library copies what it keeps and never retains an input pointer after return.
 *   - Strings and JSON the library returns through `char **..._out` are owned by the
 *     caller and freed with klient_free() (never with free()).
 *   - klient_message_batch_t is freed with klient_message_batch_destroy() (one call
 *     frees the views, topics, keys, values and headers).
 *   - Handles are created by klient_*_new and released by klient_*_destroy.
 *   - No function returns memory that must be freed with the C library's free().
 *
 * Handles.  klient_producer_t, klient_consumer_t, klient_admin_t and klient_relay_t are
 *   opaque. They are not real pointers: never dereference them. Every call checks its
 *   handle: NULL, a destroyed handle, or a handle of the wrong type (a producer passed as
 *   a consumer) gives KLIENT_ERR_INVALID_ARGUMENT (NULL / wrong type) or
 *   KLIENT_ERR_CLOSED (destroyed or closed), never a crash. Destroying twice, or
 *   destroying NULL, is safe and returns KLIENT_OK.
 *
 * Timeouts.  timeout_ms < 0 means wait forever; 0 means do not wait.
 *
 * Threads.  The library runs its own threads (Go runtime + librdkafka). Producer,
 *   consumer, admin handles and the metrics/events functions are safe to call from any
 *   thread concurrently; see each object's notes. No callback is ever run on the
 *   caller's thread from inside another call except where stated; callbacks
 *   (event sink, relay transform) run on library threads.
 *   Go threads do not survive fork(): do not use the library in a forked child of a
 *   process that already loaded it.
 *
 * Signals.  Loading the library starts the Go runtime, which installs handlers for
 *   SIGSEGV, SIGBUS, SIGFPE, SIGPIPE and SIGURG (Go's rules for shared libraries: a
 *   signal not meant for Go code goes on to the handler installed before the library
 *   was loaded; see https://pkg.go.dev/os/signal). No klient function installs a
 *   handler, except klient_cli_main while one of its long-running commands runs (see
 *   its comment); SIGINT, SIGTERM and every other signal stay the application's.
 *
 * Panics inside the library are recovered and returned as KLIENT_ERR_INTERNAL.
 *
 * KLIENT_ERR_UNKNOWN (-1) is for errors the library cannot classify (should not occur).
 *
 * This file is the contract: libklient's own build (capi/) compiles every export
 * against these prototypes, and tests/python/test_abi.py checks the copies (the Python
 * ctypes declarations, errors.py, core/errors.go's kinds) against it.
 */
#ifndef KLIENT_H
#define KLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KLIENT_ABI_VERSION 1

/* Marks every function libklient exports (like rdkafka.h's RD_EXPORT). Defining it
 * before including this header overrides it. */
#ifndef KLIENT_API
#  if defined(__GNUC__) || defined(__clang__)
#    define KLIENT_API extern __attribute__((visibility("default")))
#  else
#    define KLIENT_API extern
#  endif
#endif

/* ---- Status codes (the Go core's error kinds, core/errors.go) ---------------------- */
#define KLIENT_OK                    0
#define KLIENT_ERR_UNKNOWN          (-1)
#define KLIENT_ERR_INVALID_ARGUMENT  1  /* bad input: NULL, empty, malformed, wrong handle type */
#define KLIENT_ERR_CLOSED            2  /* the object was closed or destroyed */
#define KLIENT_ERR_TIMEOUT           3  /* did not finish in time */
#define KLIENT_ERR_CONFIG            4  /* bad configuration: JSON, unknown or invalid property */
#define KLIENT_ERR_KAFKA             5  /* a Kafka error not classified further */
#define KLIENT_ERR_RETRIABLE         6  /* transient Kafka error: retrying may succeed */
#define KLIENT_ERR_FATAL             7  /* the client instance is unusable: destroy it */
#define KLIENT_ERR_FENCED            8  /* another producer took over the transactional id */
#define KLIENT_ERR_TRANSACTION       9  /* transaction state or lifecycle error */
#define KLIENT_ERR_REBALANCE        10  /* a rebalance callback failed */
#define KLIENT_ERR_CIRCUIT_OPEN     11  /* the circuit breaker rejected the call */
#define KLIENT_ERR_NOT_FOUND        12  /* topic, environment or file does not exist */
#define KLIENT_ERR_INTERNAL         13  /* a bug in klient (a recovered panic) */
#define KLIENT_ERR_CALLBACK         14  /* a user callback returned an error */

/* ---- Errors ------------------------------------------------------------------------ */
/* Every field is public so that FFI layers (ctypes) can read it directly. */
typedef struct klient_error {
    int code;               /* KLIENT_ERR_* */
    int kafka_code;         /* librdkafka rd_kafka_resp_err_t, 0 when not Kafka's */
    int retriable;          /* 1: retrying the operation may succeed */
    int fatal;              /* 1: the client instance is unusable */
    int txn_requires_abort; /* 1: abort the open transaction, then retry it */
    char *message;          /* UTF-8, never NULL; owned by the error object */
} klient_error_t;

/* Frees an error and its message. NULL is a no-op. Thread-safe. */
KLIENT_API void klient_error_destroy(klient_error_t *err);

/* Frees a string or buffer the library returned through a `char **` out-parameter.
 * NULL is a no-op. Thread-safe. */
KLIENT_API void klient_free(void *ptr);

/* ---- Version ----------------------------------------------------------------------- */
/* The library version, e.g. "0.1.0". Static string: do not free. Thread-safe. */
KLIENT_API const char *klient_version(void);
/* The ABI version the library implements; compare with KLIENT_ABI_VERSION. */
KLIENT_API int klient_abi_version(void);

/* JSON {"retriable":[codes],"fatal":[codes],"fencing":[codes]}: librdkafka error codes
 * in each classification set. *json_out is freed with klient_free. */
KLIENT_API int klient_error_codes(char **json_out, klient_error_t **err);

/* ---- Configuration ----------------------------------------------------------------- */
/* Resolves an environment from a config file (path NULL: $KLIENT_CONFIG_FILE or
 * ~/.kafka/config.json; env NULL: "default"). *json_out is the merged, raw map
 * (a JSON object, keys as written in the file) -- an empty object when the file does
 * not exist. A malformed file gives KLIENT_ERR_CONFIG naming file, line and column.
 * *json_out is freed with klient_free. Thread-safe. */
KLIENT_API int klient_config_resolve(const char *path, const char *env, char **json_out,
                                     klient_error_t **err);

/* Splits a raw config object into {"common":{},"producer":{},"consumer":{},"admin":{}},
 * each with librdkafka property names (bootstrap_servers -> bootstrap.servers); each
 * role map holds the common properties overlaid by that role's section.
 * *sections_json_out is freed with klient_free. Thread-safe. */
KLIENT_API int klient_config_split(const char *raw_json, char **sections_json_out, klient_error_t **err);

/* Returns a copy of a JSON object with every secret (password, token, key, SASL
 * credential...) replaced by "***MASKED***". *json_out is freed with klient_free. */
KLIENT_API int klient_config_mask(const char *json, char **json_out, klient_error_t **err);

/* ---- Messages ---------------------------------------------------------------------- */
typedef struct {
    const char *key;        /* NUL-terminated UTF-8 header name (not NULL) */
    const void *value;      /* NULL = null header value */
    size_t value_len;
} klient_header_t;

/* A message to produce. All memory stays the caller's; the library copies it during
 * the call. Every field is checked before anything is read or sent, and a bad one gives
 * KLIENT_ERR_INVALID_ARGUMENT naming it: lengths over INT32_MAX (or non-zero with a NULL
 * pointer), header_count over INT32_MAX, a partition below -1, a timestamp outside
 * 1677..2262 (what librdkafka's Go binding can carry), a topic Kafka would refuse. */
typedef struct {
    const char *topic;             /* not NULL, not empty; ASCII letters, digits, . _ - */
    int32_t partition;             /* >= 0, or -1 = let the partitioner choose */
    const void *key;               /* NULL = null key */
    size_t key_len;
    const void *value;             /* NULL = null value (tombstone) */
    size_t value_len;
    const klient_header_t *headers;/* may be NULL when header_count is 0 */
    size_t header_count;
    int64_t timestamp_ms;          /* 0 = now */
} klient_message_t;

/* What a consumed message's timestamp_ms is (librdkafka's rd_kafka_timestamp_type_t and
 * confluent-kafka's Message.timestamp() type): set by the producer (CreateTime) or by
 * the broker when it appended the record (a topic with
 * message.timestamp.type=LogAppendTime). */
#define KLIENT_TIMESTAMP_NOT_AVAILABLE 0
#define KLIENT_TIMESTAMP_CREATE_TIME 1
#define KLIENT_TIMESTAMP_LOG_APPEND_TIME 2

/* A consumed message. Every pointer is valid until klient_message_batch_destroy of the
 * owning klient_message_batch_t (keys and values may point into fetched memory the
 * batch holds: see klient_consumer_consume). */
typedef struct {
    const char *topic;
    int32_t partition;
    int32_t timestamp_type;        /* KLIENT_TIMESTAMP_*; fills what was padding (ABI 1 unchanged) */
    int64_t offset;
    int64_t timestamp_ms;          /* 0 when timestamp_type is KLIENT_TIMESTAMP_NOT_AVAILABLE */
    const void *key;               /* NULL when the record's key is null */
    size_t key_len;
    const void *value;             /* NULL when the record's value is null */
    size_t value_len;
    const klient_header_t *headers;/* NULL when header_count is 0 */
    size_t header_count;
} klient_message_view_t;

typedef struct {
    size_t count;
    const klient_message_view_t *messages;
} klient_message_batch_t;

/* Frees a batch returned by klient_consumer_consume (one call frees everything, and
 * lets the library reuse the fetched memory its keys and values point into).
 * NULL is a no-op. Thread-safe. */
KLIENT_API void klient_message_batch_destroy(klient_message_batch_t *batch);

/* ---- Opaque handles ---------------------------------------------------------------- */
typedef struct klient_producer klient_producer_t;
typedef struct klient_consumer klient_consumer_t;
typedef struct klient_admin klient_admin_t;
typedef struct klient_relay klient_relay_t;

/* ---- Producer ----------------------------------------------------------------------
 * Thread safety: every producer function may be called from any thread concurrently,
 * except that a transaction is per producer (begin/commit/abort are serialised; only
 * one transaction is open at a time). Delivery reports are pulled by the caller
 * (klient_producer_poll_reports): no callback runs on library threads.
 *
 * config_json: a JSON object of librdkafka properties ("bootstrap.servers" or
 * "bootstrap_servers"); it may also carry "producer"/"consumer"/"admin" sections, of
 * which the "producer" one is overlaid (see klient_config_split). An unknown property
 * or a malformed JSON gives KLIENT_ERR_CONFIG. "transactional.id" enables transactions.
 * "delivery.report.only.error" is checked but not passed to librdkafka: klient counts
 * every message's report (synchronous produce, flush, close), so tracked messages are
 * reported whether they succeeded or not.
 */
KLIENT_API int klient_producer_new(const char *config_json, klient_producer_t **out, klient_error_t **err);
/* Flushes (up to timeout_ms), aborts an open transaction and closes the producer. The
 * handle stays valid (calls then fail with KLIENT_ERR_CLOSED) until destroyed. Closing
 * twice is a no-op. */
KLIENT_API int klient_producer_close(klient_producer_t *p, int timeout_ms, klient_error_t **err);
/* Closes (waiting up to 30 s for in-flight messages) and frees the handle. NULL and
 * double destroy are safe. Do not use the handle, nor its ready fd, afterwards. */
KLIENT_API int klient_producer_destroy(klient_producer_t *p);

typedef struct {
    uint64_t id;               /* the id produce_async / produce_batch returned */
    int32_t partition;
    int64_t offset;            /* -1 when unknown */
    int64_t timestamp_ms;
    int error_code;            /* 0 ok, else KLIENT_ERR_* */
    int kafka_code;            /* librdkafka code of the failure, 0 when ok */
    char error_message[256];   /* NUL-terminated (truncated), "" when ok */
} klient_delivery_report_t;

/* Produces one message and waits (up to timeout_ms) for its delivery report, which is
 * written to *report_out when not NULL (also on a delivery failure). When every broker
 * has refused connections for 5 s it fails early with KLIENT_ERR_RETRIABLE
 * ("connection refused by <bootstrap.servers> ..."); the message stays queued. */
KLIENT_API int klient_producer_produce(klient_producer_t *p, const klient_message_t *m, int timeout_ms,
                                       klient_delivery_report_t *report_out, klient_error_t **err);
/* The synchronous produce in two steps, for callers that must not block for the whole
 * wait (Python's main thread returns to the interpreter between slices, so Ctrl-C is
 * handled): klient_producer_produce_start queues one message (failing at once as
 * klient_producer_produce would) and gives a wait handle; klient_delivery_wait waits up
 * to timeout_ms (-1: no limit) for its delivery report. *done_out is 1 when the report
 * came: it is written to *report_out (may be NULL) and the return value is the
 * delivery's outcome, as for klient_producer_produce; 0 when timeout_ms passed first
 * (KLIENT_OK, call again). The wait ends early with an error on an authentication
 * failure, on close, and when no broker was ever reachable for 5 s (the message is
 * purged: that error is its outcome). klient_delivery_wait_destroy frees the handle
 * (NULL and double destroy are safe); a report still to come is dropped. The handle
 * must not be waited on by two threads at once, nor destroyed while a wait on it runs. */
typedef struct klient_delivery_wait klient_delivery_wait_t;
KLIENT_API int klient_producer_produce_start(klient_producer_t *p, const klient_message_t *m,
                                             klient_delivery_wait_t **out, klient_error_t **err);
KLIENT_API int klient_delivery_wait(klient_delivery_wait_t *w, int timeout_ms, int *done_out,
                                    klient_delivery_report_t *report_out, klient_error_t **err);
KLIENT_API int klient_delivery_wait_destroy(klient_delivery_wait_t *w);
/* klient_producer_produce_start and a first klient_delivery_wait(timeout_ms) in one call.
 * When the report comes within timeout_ms, *done_out is 1, the report is written to
 * *report_out (may be NULL), the return value is the delivery's outcome and *out is
 * NULL: no handle to destroy. Otherwise *done_out is 0 and: KLIENT_OK with *out the wait
 * handle to go on with (klient_delivery_wait, then klient_delivery_wait_destroy); or an
 * error with *out NULL, when the message could not be queued (as produce_start) or the
 * wait ended early (as delivery_wait). For a caller that waits in slices, the common case
 * costs one call instead of three. */
KLIENT_API int klient_producer_produce_start_wait(klient_producer_t *p, const klient_message_t *m, int timeout_ms,
                                                  int *done_out, klient_delivery_report_t *report_out,
                                                  klient_delivery_wait_t **out, klient_error_t **err);
/* Queues one message and returns at once; *id_out (may be NULL) identifies its delivery
 * report, pulled later with klient_producer_poll_reports. */
KLIENT_API int klient_producer_produce_async(klient_producer_t *p, const klient_message_t *m,
                                             uint64_t *id_out, klient_error_t **err);
/* Queues n (at most INT32_MAX) messages in one call (one library crossing). The ids are first_id ..
 * first_id + accepted - 1. When the local queue is full the call waits for space. On
 * failure, messages from index *accepted_out on were not queued (and get no report).
 * first_id_out and accepted_out may be NULL. */
KLIENT_API int klient_producer_produce_batch(klient_producer_t *p, const klient_message_t *msgs, size_t n,
                                             uint64_t *first_id_out, size_t *accepted_out,
                                             klient_error_t **err);
/* Moves up to `capacity` completed delivery reports of async/batch produce into the
 * caller's array `out`, waiting up to timeout_ms for the first one (0: no wait).
 * *count_out receives how many were written (possibly 0). */
KLIENT_API int klient_producer_poll_reports(klient_producer_t *p, klient_delivery_report_t *out,
                                            size_t capacity, int timeout_ms, size_t *count_out,
                                            klient_error_t **err);
/* Waits until every queued message is delivered or failed (KLIENT_ERR_TIMEOUT when
 * some are still in flight at the deadline; KLIENT_ERR_RETRIABLE once every broker has
 * refused connections for 5 s). Reports still need to be pulled. */
KLIENT_API int klient_producer_flush(klient_producer_t *p, int timeout_ms, klient_error_t **err);
/* Number of async/batch messages whose delivery report is not yet queued. */
KLIENT_API int klient_producer_pending(klient_producer_t *p, size_t *out, klient_error_t **err);
/* A file descriptor that is readable while delivery reports wait to be pulled. Watch
 * it with poll/epoll/asyncio; do not read or close it. Valid until destroy. */
KLIENT_API int klient_producer_ready_fd(klient_producer_t *p, int *fd_out, klient_error_t **err);

/* ---- Fast paths: untracked sends, packed produce, counters -------------------------
 * Untracked messages get no id and no per-message delivery report on success: they
 * are only counted (klient_producer_stats). A FAILED untracked message still gets a
 * delivery report, with id 0, its partition, error code and message, so nothing fails
 * silently. Tracked messages behave exactly as with klient_producer_produce_batch. */
typedef struct {
    uint64_t delivered; /* async, batch and untracked messages delivered since creation */
    uint64_t failed;    /* ... that failed (each one also has a delivery report) */
    uint64_t pending;   /* ... queued whose outcome is not known yet */
} klient_producer_stats_t;

#define KLIENT_PRODUCE_TRACKED 1 /* produce_packed: ids and a report for every message */

/* Copies the producer's delivery counters into *out (not NULL). Synchronous produce
 * is not counted. */
KLIENT_API int klient_producer_stats(klient_producer_t *p, klient_producer_stats_t *out, klient_error_t **err);
/* Queues n messages to one topic in one call, from contiguous buffers: message i's
 * value is values[value_offsets[i] .. value_offsets[i+1]) and its key is
 * keys[key_offsets[i] .. key_offsets[i+1]). Offset arrays have n+1 entries and must
 * not decrease (KLIENT_ERR_INVALID_ARGUMENT naming the index otherwise). keys NULL (with
 * key_offsets NULL) = every key null; values NULL (value_offsets may be NULL) = every
 * value null; an empty slice is an empty, non-null key/value. partition -1 lets the
 * partitioner choose. flags: 0 = untracked (see above, *first_id_out = 0), or
 * KLIENT_PRODUCE_TRACKED = ids *first_id_out .. + accepted - 1 with a report each.
 * Waits for queue space like produce_batch. All buffers stay the caller's and are not
 * used after return (librdkafka copies each message). On failure, messages from index
 * *accepted_out on were not queued. first_id_out and accepted_out may be NULL. */
KLIENT_API int klient_producer_produce_packed(klient_producer_t *p, const char *topic, int32_t partition,
                                              const void *keys, const uint64_t *key_offsets,
                                              const void *values, const uint64_t *value_offsets,
                                              size_t n, int flags, uint64_t *first_id_out,
                                              size_t *accepted_out, klient_error_t **err);

/* Transactions (the producer needs "transactional.id"). */
typedef struct {
    int success;           /* 1 when the step succeeded */
    double duration_ms;    /* begin: the call's duration; commit/abort: the transaction's */
} klient_txn_result_t;

KLIENT_API int klient_producer_init_transactions(klient_producer_t *p, int timeout_ms, klient_error_t **err);
/* Begins a transaction (initialising transactions first if needed). res may be NULL. */
KLIENT_API int klient_producer_begin_transaction(klient_producer_t *p, klient_txn_result_t *res,
                                                 klient_error_t **err);
/* Commits; an error with txn_requires_abort set means: call abort_transaction. */
KLIENT_API int klient_producer_commit_transaction(klient_producer_t *p, int timeout_ms,
                                                  klient_txn_result_t *res, klient_error_t **err);
KLIENT_API int klient_producer_abort_transaction(klient_producer_t *p, int timeout_ms,
                                                 klient_txn_result_t *res, klient_error_t **err);
/* *out = 1 while a transaction is open. */
KLIENT_API int klient_producer_in_transaction(klient_producer_t *p, int *out, klient_error_t **err);
/* Adds the consumer's current positions (and its group metadata, for zombie fencing)
 * to the open transaction, so they commit if and only if the transaction commits. */
KLIENT_API int klient_producer_send_offsets(klient_producer_t *p, klient_consumer_t *c, int timeout_ms,
                                            klient_error_t **err);

/* Retry + circuit breaker. Produces synchronously, retrying retriable failures with
 * exponential backoff (base_backoff_ms * 2^(attempt-1), +-10% jitter); max_attempts <= 0
 * means 5, base_backoff_ms <= 0 means 50. When attempts are exhausted the producer's
 * breaker opens and later calls fail fast with KLIENT_ERR_CIRCUIT_OPEN until the
 * cool-down passes. report_out may be NULL. */
KLIENT_API int klient_producer_produce_with_retry(klient_producer_t *p, const klient_message_t *m,
                                                  int max_attempts, int base_backoff_ms, int timeout_ms,
                                                  klient_delivery_report_t *report_out,
                                                  klient_error_t **err);
/* Replaces the breaker with a closed one using this cool-down (<= 0: 5000 ms). */
KLIENT_API int klient_producer_breaker_configure(klient_producer_t *p, int cooldown_ms, klient_error_t **err);
/* *state_out: 0 closed, 1 open, 2 half_open. */
KLIENT_API int klient_producer_breaker_state(klient_producer_t *p, int *state_out, klient_error_t **err);

/* ---- Consumer ----------------------------------------------------------------------
 * Thread safety: all consumer functions may be called from any thread; consume calls
 * are meant to come from one thread at a time (concurrent consumes split messages
 * between them). klient_consumer_stop may be called from any thread to wake a blocked
 * consume. Rebalance events are pulled (klient_consumer_rebalance_events) and never
 * delivered as callbacks.
 *
 * config_json: as for the producer ("consumer" section overlaid); "group.id" is
 * required; isolation.level defaults to read_committed, auto.offset.reset to earliest.
 * "klient.prefetch.messages" (default 10000) and "klient.prefetch.kbytes" (default
 * 2048: keys, values and header values) bound what the library fetches ahead of
 * consume calls (on top of librdkafka's own queue: queued.min.messages defaults to
 * 10000 and queued.max.messages.kbytes to 16384 here); lower them to save memory.
 * Properties starting with "klient." are klient's own and are not passed to
 * librdkafka; an unknown one is KLIENT_ERR_CONFIG.
 * Offsets are stored for commit only when messages are handed out by consume (for
 * klient_consumer_consume_deferred: when klient_consumer_settle says so).
 */
#define KLIENT_CONSUMER_REBALANCE_EVENTS 1 /* queue rebalance events for pulling */

KLIENT_API int klient_consumer_new(const char *config_json, int flags, klient_consumer_t **out,
                                   klient_error_t **err);
/* Replaces the subscription with topics[0..n-1] (n > 0) and starts fetching. The
 * strings are copied. */
KLIENT_API int klient_consumer_subscribe(klient_consumer_t *c, const char *const *topics, size_t n,
                                         klient_error_t **err);
/* Waits until max_messages (> 0) have arrived or timeout_ms passed (returns early when a
 * rebalance event or an error is pending, or after klient_consumer_stop). On success
 * *batch_out is always set (count may be 0) and is freed with
 * klient_message_batch_destroy. An error from the fetch side (e.g. fatal) is returned
 * with no batch (*batch_out = NULL).
 * The batch's keys, values and header values are not copies: they point into the
 * memory the library fetched them into (as a librdkafka message points into its fetch
 * response), which stays valid until klient_message_batch_destroy, also after the
 * consumer is destroyed. That memory is shared by the messages of one fetch (up to
 * about 4 MB) and is reused for later fetches once all of them are destroyed: a program
 * that keeps a few messages for long should copy them and destroy their batch, or it
 * holds every fetch they came from. */
KLIENT_API int klient_consumer_consume(klient_consumer_t *c, size_t max_messages, int timeout_ms,
                                       klient_message_batch_t **batch_out, klient_error_t **err);
/* A consumed batch in one flat, little-endian buffer (for FFI layers that decode
 * with struct.unpack_from instead of walking C structs). data[0 .. size) holds:
 *   u32 ntopics; ntopics x (u16 len, len bytes of topic name);
 *   then count messages, each: a 36-byte header
 *     u16 topic_index, u8 timestamp_type (KLIENT_TIMESTAMP_*; 0 in libraries before
 *     it was added, where this byte was padding: read 0 with a timestamp as CreateTime),
 *     1 pad byte, i32 partition, i64 offset, i64 timestamp_ms (0 = unknown), i32 key_len
 *     (-1 = null key), i32 value_len (-1 = null value), u32 header_count
 *     (Python: struct.Struct("<HBxiqqiiI"))
 *   followed by the key bytes, the value bytes, then header_count x (u16 name_len,
 *   name bytes, i32 value_len (-1 = null), value bytes). No padding between messages.
 * Freed with klient_packed_batch_destroy (one call frees the struct and its data). */
typedef struct {
    size_t count;
    size_t size;
    const uint8_t *data;
} klient_packed_batch_t;
/* As klient_consumer_consume, but the batch comes in the packed layout above. On
 * success *batch_out is always set (count may be 0). */
KLIENT_API int klient_consumer_consume_packed(klient_consumer_t *c, size_t max_messages, int timeout_ms,
                                              klient_packed_batch_t **batch_out, klient_error_t **err);
/* As klient_consumer_consume_packed, but returns as soon as one message is buffered
 * (waiting up to timeout_ms for the first; up to max_messages, what is buffered) and
 * DEFERS the hand-out: no offset of the batch is stored for commit until
 * klient_consumer_settle says how many of its messages the application received. For
 * bindings that take a batch but give messages to their application one at a time
 * (a stream the application may leave after any message). While a non-empty deferred
 * batch is outstanding, every consume call (this one included) fails with
 * KLIENT_ERR_INVALID_ARGUMENT: settle it first. An empty batch leaves nothing
 * outstanding. On failure nothing is outstanding. */
KLIENT_API int klient_consumer_consume_deferred(klient_consumer_t *c, size_t max_messages, int timeout_ms,
                                                klient_packed_batch_t **batch_out, klient_error_t **err);
/* Records that the application received the first `handed` messages of the
 * outstanding deferred batch: those not settled before count as handed out now (their
 * offsets are stored for commit, as consume's are). Without KLIENT_SETTLE_KEEP the
 * batch ends: its other messages go back to the front of the consumer's buffer, so the
 * next consume returns them, in order. With it the batch stays outstanding (the
 * application goes on with it, e.g. after committing mid-batch), and a later call may
 * settle more. Messages of partitions revoked or seeked since the batch was taken are
 * neither handed out nor put back (as buffered ones are dropped). handed must be
 * between what was already settled and the batch's count; with no batch outstanding
 * only 0 is accepted (a no-op). Settle before committing, so a commit includes what the
 * application received. */
#define KLIENT_SETTLE_KEEP 1 /* the batch stays outstanding */
KLIENT_API int klient_consumer_settle(klient_consumer_t *c, size_t handed, int flags, klient_error_t **err);
/* NULL is a no-op. Thread-safe. */
KLIENT_API void klient_packed_batch_destroy(klient_packed_batch_t *batch);
/* Seeks one partition (partition >= 0) or every partition of topic (partition -1) to
 * offset (>= 0, or -2 beginning, -1 end). Partitions not assigned yet are seeked when
 * the group assigns them. */
KLIENT_API int klient_consumer_seek(klient_consumer_t *c, const char *topic, int32_t partition,
                                    int64_t offset, klient_error_t **err);
/* Synchronously commits the offsets of every message handed out so far (nothing to
 * commit is not an error). */
KLIENT_API int klient_consumer_commit(klient_consumer_t *c, klient_error_t **err);
/* Commits without waiting; a failure is reported as a "commit_failed" event. */
KLIENT_API int klient_consumer_commit_async(klient_consumer_t *c, klient_error_t **err);
/* JSON arrays of {"topic":..,"partition":..,"offset":..}; freed with klient_free. */
KLIENT_API int klient_consumer_assignment(klient_consumer_t *c, char **json_out, klient_error_t **err);
KLIENT_API int klient_consumer_position(klient_consumer_t *c, char **json_out, klient_error_t **err);
KLIENT_API int klient_consumer_committed(klient_consumer_t *c, int timeout_ms, char **json_out,
                                         klient_error_t **err);
/* Removes and returns the queued rebalance events (with KLIENT_CONSUMER_REBALANCE_EVENTS):
 * [{"kind":"assign|revoke|lost","partitions":[{"topic":..,"partition":..,"offset":..}]}].
 * Freed with klient_free. */
KLIENT_API int klient_consumer_rebalance_events(klient_consumer_t *c, char **json_out, klient_error_t **err);
/* A file descriptor readable while messages, rebalance events or errors are waiting
 * (and after close). Do not read or close it. Valid until destroy. */
KLIENT_API int klient_consumer_ready_fd(klient_consumer_t *c, int *fd_out, klient_error_t **err);
/* Makes blocked and later consume calls return at once (with what they have). */
KLIENT_API int klient_consumer_stop(klient_consumer_t *c, klient_error_t **err);
/* Leaves the group and closes; the handle stays valid (calls fail with
 * KLIENT_ERR_CLOSED) until destroyed. Closing twice is a no-op. A deferred batch still
 * outstanding ends as settled so far (nothing more counts as handed out), and its
 * memory is freed with the rest (a packed batch already returned stays valid). */
KLIENT_API int klient_consumer_close(klient_consumer_t *c, klient_error_t **err);
/* Closes and frees. NULL and double destroy are safe. */
KLIENT_API int klient_consumer_destroy(klient_consumer_t *c);

/* ---- Admin -------------------------------------------------------------------------
 * Thread-safe. Results are JSON strings freed with klient_free. */
KLIENT_API int klient_admin_new(const char *config_json, klient_admin_t **out, klient_error_t **err);
/* specs_json: [{"topic":"t","num_partitions":3,"replication_factor":1,"config":{}}]
 * (0 partitions / factor = broker default; more than INT32_MAX partitions or INT16_MAX
 * replicas is KLIENT_ERR_INVALID_ARGUMENT). Like every admin call it fails early: with
 * KLIENT_ERR_FATAL "authentication failed" on a failed login, and with
 * KLIENT_ERR_RETRIABLE "connection refused by <bootstrap.servers>" 5 s after every broker
 * went down. *results_json_out:
 * [{"topic":"t","error":null|"message","error_code":0|KLIENT_ERR_*}]; per-topic
 * failures (already exists...) are reported there with status KLIENT_OK. */
KLIENT_API int klient_admin_create_topics(klient_admin_t *a, const char *specs_json, int timeout_ms,
                                          char **results_json_out, klient_error_t **err);
/* As klient_admin_create_topics, but the broker only validates the request (nothing is
 * created): a topic's error says why its creation would fail. */
KLIENT_API int klient_admin_validate_topics(klient_admin_t *a, const char *specs_json, int timeout_ms,
                                            char **results_json_out, klient_error_t **err);
/* topics_json: ["a","b"]; results as for create. */
KLIENT_API int klient_admin_delete_topics(klient_admin_t *a, const char *topics_json, int timeout_ms,
                                          char **results_json_out, klient_error_t **err);
/* *json_out: ["t1","t2"] sorted; internal topics ("__...") only with include_internal. */
KLIENT_API int klient_admin_list_topics(klient_admin_t *a, int include_internal, int timeout_ms,
                                        char **json_out, klient_error_t **err);
/* *json_out: [{"name":..,"internal":false,"partitions":[{"partition":0,"leader":1,
 * "replicas":[1],"isr":[1]}]}]. A missing topic gives KLIENT_ERR_NOT_FOUND. */
KLIENT_API int klient_admin_describe_topics(klient_admin_t *a, const char *topics_json, int timeout_ms,
                                            char **json_out, klient_error_t **err);
/* *json_out: {"cluster_id":"..","controller_id":1,"brokers":[{"id":1,"host":"h",
 * "port":9092}],"topics":["t1","__consumer_offsets"]} (brokers by id, topics sorted,
 * internal ones included; controller_id -1 when there is none). */
KLIENT_API int klient_admin_cluster_metadata(klient_admin_t *a, int timeout_ms, char **json_out,
                                             klient_error_t **err);
/* topics_json: ["a","b"]. *json_out: {"a":{"cleanup.policy":"delete",...},...}, every
 * configuration entry of each topic; a topic that cannot be described (missing) is left
 * out. */
KLIENT_API int klient_admin_describe_configs(klient_admin_t *a, const char *topics_json, int timeout_ms,
                                             char **json_out, klient_error_t **err);
/* NULL and double destroy are safe. */
KLIENT_API int klient_admin_destroy(klient_admin_t *a);

/* ---- Relay (exactly-once consume -> transform -> produce) ---------------------------
 * The relay owns neither the consumer nor the producer: destroy them after the relay.
 * The producer needs a transactional.id. */
typedef struct klient_relay_output klient_relay_output_t;

/* Called ONCE PER BATCH on a library thread (not the thread that called
 * klient_relay_run; successive calls may come from different threads). `in` and
 * everything it points to are valid only during the call. Call klient_relay_emit zero
 * or more times with `out` (valid only during the call); return 0 to accept the batch,
 * any other value to abort its transaction: the batch is then rewound and retried. A
 * batch may be transformed more than once (after an abort or a rebalance), so the
 * transform should have no side effects of its own. Output partition -1 lets the
 * partitioner choose. */
typedef int (*klient_transform_fn)(void *user_data, const klient_message_view_t *in, size_t n,
                                   klient_relay_output_t *out);

/* Adds one output message to the current batch. The library copies it. m->topic NULL
 * means the relay's target topic. Only valid inside a transform call. */
KLIENT_API int klient_relay_emit(klient_relay_output_t *out, const klient_message_t *m);

/* options_json: {"batch_size":25,"max_batch_ms":1000,"max_in_flight":1,
 * "grace_period_ms":10000} (any may be omitted; NULL = defaults). The consumer must
 * have "enable.auto.commit": false and the producer a transactional.id
 * (KLIENT_ERR_CONFIG otherwise). The relay subscribes the consumer to src itself. fn NULL = identity (forward every message unchanged).
 * user_data is passed to fn as is; it must stay valid until the relay is destroyed. */
KLIENT_API int klient_relay_new(klient_consumer_t *c, klient_producer_t *p, const char *options_json,
                                klient_transform_fn fn, void *user_data, klient_relay_t **out,
                                klient_error_t **err);
/* Runs the relay from topic src to topic dst, blocking the calling thread until
 * klient_relay_stop (KLIENT_OK) or a failure. */
KLIENT_API int klient_relay_run(klient_relay_t *r, const char *src, const char *dst, klient_error_t **err);
/* Asks a running relay to stop after its current batch; callable from any thread
 * (and from a transform callback). Stopping lets the batches already consumed commit
 * (grace period, "grace_period_ms" option, default 10000). */
KLIENT_API int klient_relay_stop(klient_relay_t *r, klient_error_t **err);
/* *json_out: the relay's counters as a JSON object; freed with klient_free. */
KLIENT_API int klient_relay_stats(klient_relay_t *r, char **json_out, klient_error_t **err);
/* Stops (if running), waits for klient_relay_run to return, and frees. NULL and double
 * destroy are safe. Do not call it from a transform callback. */
KLIENT_API int klient_relay_destroy(klient_relay_t *r);

/* ---- Metrics (process-wide counters, shared with the Go core and Python) ------------
 * Thread-safe. */
/* Adds value (may be negative) to the named counter; the sum saturates at INT64_MAX /
 * INT64_MIN instead of wrapping. */
KLIENT_API int klient_metrics_inc(const char *name, int64_t value, klient_error_t **err);
/* *out = the counter's value (0 for a counter never incremented). */
KLIENT_API int klient_metrics_get(const char *name, int64_t *out, klient_error_t **err);
/* *json_out: {"name":value,...}; freed with klient_free. */
KLIENT_API int klient_metrics_snapshot(char **json_out, klient_error_t **err);
/* *text_out: Prometheus text exposition format; freed with klient_free. */
KLIENT_API int klient_metrics_prometheus(char **text_out, klient_error_t **err);
/* Removes every counter. */
KLIENT_API int klient_metrics_reset(klient_error_t **err);

/* ---- Events ------------------------------------------------------------------------ */
/* Receives each structured event as one compact JSON line (no newline, not
 * NUL-terminated: use len). Called on library threads, possibly concurrently; the line
 * is valid only during the call. The callback must not call klient_events_set_sink. */
typedef void (*klient_event_sink_fn)(void *user_data, const char *json_line, size_t len);
/* Installs the process-wide sink (NULL removes it). An event being delivered
 * concurrently may still reach the previous sink. */
KLIENT_API int klient_events_set_sink(klient_event_sink_fn fn, void *user_data, klient_error_t **err);

/* ---- Logs -------------------------------------------------------------------------- */
/* Receives each of librdkafka's log lines (e.g. a refused connection) instead of
 * librdkafka printing it to stderr. level is the syslog level (0 emergency, 3 error,
 * 4 warning, 6 info, 7 debug); client is "producer", "consumer" or "admin"; name is
 * librdkafka's instance name ("rdkafka#producer-1"); facility its tag ("FAIL").
 * Called on library threads, possibly concurrently; the strings are valid only during
 * the call. The callback must not call klient_set_log_cb. */
typedef void (*klient_log_fn)(void *user_data, int level, const char *client, const char *facility,
                              const char *name, const char *message);
/* Installs the process-wide log callback (NULL restores the default: librdkafka's line
 * format on stderr). A line being delivered concurrently may still reach the previous
 * callback. */
KLIENT_API int klient_set_log_cb(klient_log_fn fn, void *user_data, klient_error_t **err);

/* ---- Statistics ------------------------------------------------------------------- */
/* Receives librdkafka's statistics: the JSON document (see librdkafka's STATISTICS.md:
 * brokers, topics, partitions, queue depths, latencies) that each client whose config
 * sets "statistics.interval.ms" emits at that interval. client is "producer",
 * "consumer" or "admin"; the document's "name" member is librdkafka's instance name
 * (see klient_client_name), which tells apart clients of one kind. Called on library
 * threads, possibly concurrently; the client's event loop waits for the callback, so
 * keep it short. The strings are valid only during the call. The callback must not
 * call klient_set_stats_cb. */
typedef void (*klient_stats_fn)(void *user_data, const char *client, const char *json);
/* Installs the process-wide statistics callback (NULL removes it: the documents are
 * dropped). A document being delivered concurrently may still reach the previous
 * callback. */
KLIENT_API int klient_set_stats_cb(klient_stats_fn fn, void *user_data, klient_error_t **err);
/* *name_out = librdkafka's instance name of a producer, consumer or admin handle
 * ("rdkafka#producer-3", unique in the process): the "name" of its statistics
 * documents. Freed with klient_free. */
KLIENT_API int klient_client_name(const void *client, char **name_out, klient_error_t **err);

/* ---- CLI --------------------------------------------------------------------------- */
/* Runs the klient command line in-process with argv[0..argc-1] (argv[0] is the program
 * name, ignored) and returns its exit code (0 ok, 1 error, 2 usage). It reads and
 * writes the process's stdin/stdout/stderr and is meant to own the process while it
 * runs (python -m klient): it may replace the event sink (klient_events_set_sink), and
 * its long-running commands (consume stream, relay) catch SIGINT/SIGTERM for a graceful
 * stop while they run -- a second signal exits the process. No other klient function
 * touches signals. */
KLIENT_API int klient_cli_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* KLIENT_H */
