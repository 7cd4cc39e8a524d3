/* ABI cost benchmark: one no-op call (klient_abi_version), and producing 1,000,000
 * messages of 100 bytes through klient_producer_produce_batch (one crossing per
 * batch) versus klient_producer_produce_async (one crossing per message). Both produce
 * paths end with flush + pulling every delivery report. Prints a table; no asserts.
 * Needs KLIENT_TEST_BOOTSTRAP. Optional argv[1]: message count. */
#define _GNU_SOURCE
#include "klient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc, klient_error_t *err) {
    fprintf(stderr, "%s: status %d: %s\n", what, rc, err ? err->message : "");
    exit(1);
}
#define TRY(what, call) do { klient_error_t *e = NULL; int rc = (call); if (rc) die(what, rc, e); } while (0)

static char config[512];

static size_t drain(klient_producer_t *p, size_t want) {
    static klient_delivery_report_t reps[4096];
    size_t got = 0, cnt, bad = 0;
    while (got < want) {
        TRY("poll_reports", klient_producer_poll_reports(p, reps, 4096, 5000, &cnt, &e));
        if (cnt == 0) break;
        for (size_t i = 0; i < cnt; i++) bad += reps[i].error_code != 0;
        got += cnt;
    }
    if (bad) fprintf(stderr, "%zu delivery failures\n", bad);
    return got;
}

static double run(const char *topic, size_t n, int batch) {
    klient_producer_t *p = NULL;
    TRY("producer_new", klient_producer_new(config, &p, &e));
    char value[100];
    memset(value, 'x', sizeof value);
    enum { B = 10000 };
    static klient_message_t msgs[B];
    for (size_t i = 0; i < B; i++)
        msgs[i] = (klient_message_t){.topic = topic, .partition = -1, .value = value, .value_len = sizeof value};
    double t0 = now();
    if (batch) {
        for (size_t done = 0; done < n; done += B) {
            size_t k = n - done < B ? n - done : B;
            TRY("produce_batch", klient_producer_produce_batch(p, msgs, k, NULL, NULL, &e));
        }
    } else {
        for (size_t i = 0; i < n; i++) TRY("produce_async", klient_producer_produce_async(p, &msgs[0], NULL, &e));
    }
    double queued = now() - t0;
    TRY("flush", klient_producer_flush(p, -1, &e));
    size_t got = drain(p, n);
    double total = now() - t0;
    if (got != n) fprintf(stderr, "only %zu of %zu reports\n", got, n);
    klient_producer_destroy(p);
    printf("| %-28s | %9zu | %10.3f | %10.3f | %12.0f |\n", batch ? "produce_batch (10000/call)" : "produce_async (1/call)",
           n, queued, total, n / total);
    return total;
}

int main(int argc, char **argv) {
    const char *bs = getenv("KLIENT_TEST_BOOTSTRAP");
    if (!bs) { fprintf(stderr, "KLIENT_TEST_BOOTSTRAP is not set\n"); return 1; }
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    snprintf(config, sizeof config,
             "{\"bootstrap.servers\":\"%s\",\"linger.ms\":20,\"batch.size\":1000000,\"queue.buffering.max.messages\":2000000}", bs);

    /* no-op call */
    const int calls = 10000000;
    volatile int sink = 0;
    double t0 = now();
    for (int i = 0; i < calls; i++) sink += klient_abi_version();
    double noop = (now() - t0) / calls * 1e9;
    printf("klient %s, %zu messages of 100 bytes\n\n", klient_version(), n);
    printf("| %-28s | %9s |\n|------------------------------|-----------|\n", "call", "ns/call");
    printf("| %-28s | %9.1f |\n\n", "klient_abi_version (no-op)", noop);

    char topic[128];
    snprintf(topic, sizeof topic, "bench-abi-%d", (int)getpid());
    klient_admin_t *a = NULL;
    char spec[256], *res = NULL;
    TRY("admin_new", klient_admin_new(config, &a, &e));
    snprintf(spec, sizeof spec, "[{\"topic\":\"%s\",\"num_partitions\":3,\"replication_factor\":1}]", topic);
    TRY("create_topics", klient_admin_create_topics(a, spec, 30000, &res, &e));
    klient_free(res);

    printf("| %-28s | %9s | %10s | %10s | %12s |\n", "path", "messages", "queued s", "total s", "msg/s");
    printf("|------------------------------|-----------|------------|------------|--------------|\n");
    double tb = run(topic, n, 1);
    double ta = run(topic, n, 0);
    printf("\nbatch is %.2fx the throughput of one call per message\n", ta / tb);

    snprintf(spec, sizeof spec, "[\"%s\"]", topic);
    TRY("delete_topics", klient_admin_delete_topics(a, spec, 30000, &res, &e));
    klient_free(res);
    klient_admin_destroy(a);
    return sink == 0;
}
