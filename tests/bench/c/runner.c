/* C-ABI runner of the benchmark harness (tests/bench/run.py). Prints ONE JSON line.
 *
 *   klient-bench-c MODE BOOTSTRAP TOPIC N SIZE GROUP
 *
 *   batch    klient_producer_produce_batch, 1000 messages per call, then flush
 *   async    klient_producer_produce_async, one call per message, then flush
 *   sync     klient_producer_produce (waits for the report): latency p50/p99
 *   consume  klient_consumer_consume(1000) until N (clock from the first batch, which
 *            is not counted, as in every consumer runner)
 *   abi      N calls of klient_abi_version: ns per crossing
 *
 * Same settings as the other runners: librdkafka defaults plus acks=all (the same
 * approach as tests/c/bench_abi.c, which uses its own tuned settings). Delivery reports
 * are pulled in bulk while producing so that the report queue stays small. */
#define _GNU_SOURCE
#include "klient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc, klient_error_t *err) {
    fprintf(stderr, "klient-bench-c: %s: status %d: %s\n", what, rc, err && err->message ? err->message : "");
    exit(1);
}
#define TRY(what, call)                    \
    do {                                   \
        klient_error_t *e = NULL;          \
        int rc_ = (call);                  \
        if (rc_) die(what, rc_, e);        \
    } while (0)

static klient_delivery_report_t reps[4096];
static size_t failed;

static size_t drain(klient_producer_t *p, int timeout_ms) {
    size_t cnt = 0;
    TRY("poll_reports", klient_producer_poll_reports(p, reps, 4096, timeout_ms, &cnt, &e));
    for (size_t i = 0; i < cnt; i++) failed += reps[i].error_code != 0;
    return cnt;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: klient-bench-c batch|async|sync|consume|abi BOOTSTRAP TOPIC N SIZE GROUP\n");
        return 2;
    }
    const char *mode = argv[1], *bs = argv[2], *topic = argv[3], *group = argv[6];
    size_t n = strtoul(argv[4], NULL, 10), size = strtoul(argv[5], NULL, 10);
    char cfg[512];

    if (!strcmp(mode, "abi")) {
        volatile int sink = 0;
        for (int i = 0; i < 100000; i++) sink += klient_abi_version();
        double t0 = now();
        for (size_t i = 0; i < n; i++) sink += klient_abi_version();
        double ns = (now() - t0) / n * 1e9;
        printf("{\"client\":\"klient-c\",\"mode\":\"abi\",\"msgs\":%zu,\"ns_per_call\":%.2f,\"sink\":%d}\n", n, ns,
               sink != 0);
        return 0;
    }

    if (!strcmp(mode, "consume")) {
        snprintf(cfg, sizeof cfg,
                 "{\"bootstrap.servers\":\"%s\",\"group.id\":\"%s\",\"auto.offset.reset\":\"earliest\","
                 "\"enable.auto.commit\":false}", bs, group);
        klient_consumer_t *c = NULL;
        TRY("consumer_new", klient_consumer_new(cfg, 0, &c, &e));
        const char *topics[] = {topic};
        TRY("subscribe", klient_consumer_subscribe(c, topics, 1, &e));
        size_t got = 0, counted = 0, bytes = 0;
        double t0 = 0, deadline = now() + 300;
        while (got < n) {
            if (now() > deadline) die("consume: timeout", 3, NULL);
            klient_message_batch_t *b = NULL;
            TRY("consume", klient_consumer_consume(c, 1000, 1000, &b, &e));
            if (b->count) {
                if (got == 0) {
                    t0 = now();
                } else {
                    counted += b->count;
                    for (size_t i = 0; i < b->count; i++) bytes += b->messages[i].value_len;
                }
                got += b->count;
            }
            klient_message_batch_destroy(b);
        }
        double secs = now() - t0;
        klient_consumer_destroy(c);
        printf("{\"client\":\"klient-c\",\"mode\":\"consume\",\"msgs\":%zu,\"bytes\":%zu,\"secs\":%.6f,"
               "\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f}\n", counted, bytes, secs, counted / secs, bytes / secs / 1e6);
        return 0;
    }

    int sync = !strcmp(mode, "sync");
    snprintf(cfg, sizeof cfg, "{\"bootstrap.servers\":\"%s\",\"acks\":\"all\"%s}", bs, sync ? ",\"linger.ms\":0" : "");
    klient_producer_t *p = NULL;
    TRY("producer_new", klient_producer_new(cfg, &p, &e));
    char *value = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++) value[i] = 'a' + i % 26;
    enum { B = 1000 };
    static klient_message_t msgs[B];
    for (size_t i = 0; i < B; i++)
        msgs[i] = (klient_message_t){.topic = topic, .partition = -1, .value = value, .value_len = size};
    double p50 = 0, p99 = 0, t0;

    if (sync) {
        klient_delivery_report_t rep;
        TRY("produce (warm-up)", klient_producer_produce(p, &msgs[0], 30000, &rep, &e));
        double *lat = malloc(sizeof(double) * (n ? n : 1));
        t0 = now();
        for (size_t i = 0; i < n; i++) {
            double s = now();
            TRY("produce", klient_producer_produce(p, &msgs[0], 30000, &rep, &e));
            lat[i] = (now() - s) * 1000;
        }
        qsort(lat, n, sizeof(double), cmp);
        p50 = lat[n / 2];
        p99 = lat[(size_t)(n * 0.99) < n ? (size_t)(n * 0.99) : n - 1];
        free(lat);
    } else if (!strcmp(mode, "batch") || !strcmp(mode, "async")) {
        int batch = !strcmp(mode, "batch");
        t0 = now();
        for (size_t done = 0; done < n;) {
            size_t k = n - done < B ? n - done : B;
            if (batch) {
                TRY("produce_batch", klient_producer_produce_batch(p, msgs, k, NULL, NULL, &e));
            } else {
                for (size_t i = 0; i < k; i++) TRY("produce_async", klient_producer_produce_async(p, &msgs[i], NULL, &e));
            }
            done += k;
            drain(p, 0);
        }
        TRY("flush", klient_producer_flush(p, -1, &e));
        while (drain(p, 0) > 0) {
        }
    } else {
        fprintf(stderr, "klient-bench-c: unknown mode %s\n", mode);
        return 2;
    }
    double secs = now() - t0;
    klient_producer_destroy(p);
    free(value);
    printf("{\"client\":\"klient-c\",\"mode\":\"%s\",\"msgs\":%zu,\"bytes\":%zu,\"secs\":%.6f,\"msgs_per_s\":%.1f,"
           "\"mb_per_s\":%.3f,\"errors\":%zu", mode, n, n * size, secs, n / secs, n * size / secs / 1e6, failed);
    if (sync) printf(",\"p50_ms\":%.3f,\"p99_ms\":%.3f", p50, p99);
    printf("}\n");
    return failed ? 1 : 0;
}
