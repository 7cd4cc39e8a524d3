/* C test of libklient's ABI against the real broker (KLIENT_TEST_BOOTSTRAP).
 * Every function group and every documented error path; prints "N passed, N failed"
 * (N passed: check sites, see check_). */
#define _GNU_SOURCE
#include "klient.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* passed counts check sites (source lines) that passed, each once however often a loop
 * ran it, so the total is the same from run to run; failed counts every failure. */
static int passed, failed;
static unsigned char passed_at[1 << 14];

#define CHECK(cond, ...) check_((cond), __LINE__, #cond, __VA_ARGS__)
static void check_(int ok, int line, const char *expr, const char *fmt, ...) {
    if (ok) {
        if (line < 0 || line >= (int)sizeof passed_at) {
            passed++;
        } else if (!passed_at[line]) {
            passed_at[line] = 1;
            passed++;
        }
        return;
    }
    failed++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL line %d (%s): ", line, expr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Runs a call that must succeed; prints the error message otherwise. */
#define OK(call) do { klient_error_t *e_ = NULL; int rc_ = (call); \
    check_(rc_ == KLIENT_OK, __LINE__, #call, "status %d: %s", rc_, e_ ? e_->message : "(no error)"); \
    klient_error_destroy(e_); } while (0)
#define E (&e_)

/* Runs a call that must fail with `code`; the error must carry the same code and a
 * message containing `needle`. */
#define FAILS(want, needle, call) do { klient_error_t *e_ = NULL; int rc_ = (call); \
    check_(rc_ == (want) && e_ != NULL && e_->code == (want) && e_->message != NULL && \
           strstr(e_->message, (needle)) != NULL, __LINE__, #call, \
           "want status %d with \"%s\", got %d: %s", (want), (needle), rc_, e_ ? e_->message : "(no error)"); \
    klient_error_destroy(e_); } while (0)

static char bootstrap[256];
static char suffix[32];

static void name(char *buf, size_t n, const char *what) { snprintf(buf, n, "ctest-%s-%s", what, suffix); }

static char *cfg(const char *extra) {
    static __thread char buf[1024];
    snprintf(buf, sizeof buf, "{\"bootstrap.servers\":\"%s\"%s%s}", bootstrap, extra ? "," : "", extra ? extra : "");
    return buf;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------------------- */
static void test_version(void) {
    CHECK(klient_abi_version() == KLIENT_ABI_VERSION, "abi %d", klient_abi_version());
    CHECK(klient_version() && strlen(klient_version()) > 0, "version");
    char *js = NULL;
    OK(klient_error_codes(&js, E));
    CHECK(js && strstr(js, "\"retriable\"") && strstr(js, "\"fatal\"") && strstr(js, "\"fencing\""), "codes %s", js ? js : "");
    klient_free(js);
    klient_free(NULL);
    klient_error_destroy(NULL);
    klient_message_batch_destroy(NULL);
}

static void test_config(void) {
    char path[] = "/tmp/klient-ctest-XXXXXX";
    int fd = mkstemp(path);
    const char *doc = "{\"default\":{\"bootstrap_servers\":\"a:1\",\"sasl_password\":\"hunter2\","
                      "\"sasl.oauthbearer.config\":\"principal=bob secret=oauth-marker\",\"ssl.ca.pem\":\"ca-marker\"},"
                      "\"prod\":{\"bootstrap_servers\":\"b:2\",\"producer\":{\"acks\":\"all\"}}}";
    CHECK(write(fd, doc, strlen(doc)) == (ssize_t)strlen(doc), "write");
    close(fd);
    char *js = NULL;
    OK(klient_config_resolve(path, "prod", &js, E));
    CHECK(js && strstr(js, "b:2") && strstr(js, "hunter2"), "resolve %s", js ? js : "");
    char *sec = NULL;
    OK(klient_config_split(js, &sec, E));
    CHECK(sec && strstr(sec, "\"bootstrap.servers\":\"b:2\"") && strstr(sec, "\"acks\":\"all\"") &&
          strstr(sec, "\"common\""), "split %s", sec ? sec : "");
    char *masked = NULL;
    OK(klient_config_mask(js, &masked, E));
    CHECK(masked && !strstr(masked, "hunter2") && !strstr(masked, "oauth-marker") && !strstr(masked, "ca-marker") &&
          strstr(masked, "\"sasl_password\":\"***MASKED***\""), "mask %s", masked ? masked : "");
    klient_free(js); klient_free(sec); klient_free(masked);
    js = NULL;
    OK(klient_config_resolve("/nonexistent/klient.json", NULL, &js, E));
    CHECK(js && strcmp(js, "{}") == 0, "missing file gives {}: %s", js ? js : "");
    klient_free(js);
    /* malformed file: error names line and column */
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(write(fd, "{\n \"a\": ,}", 10) == 10, "write");
    close(fd);
    FAILS(KLIENT_ERR_CONFIG, "line 2", klient_config_resolve(path, NULL, &js, E));
    unlink(path);
    FAILS(KLIENT_ERR_CONFIG, "raw_json", klient_config_split("[1,2]", &sec, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL", klient_config_split(NULL, &sec, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL", klient_config_mask("{}", NULL, E));
    FAILS(KLIENT_ERR_CONFIG, "must be a string", klient_config_split("{\"a\":[1]}", &sec, E));
}

static void test_error_paths(void) {
    klient_producer_t *p = NULL;
    klient_consumer_t *c = NULL;
    klient_admin_t *a = NULL;
    /* bad JSON, unknown key, NULL args */
    FAILS(KLIENT_ERR_CONFIG, "config_json", klient_producer_new("{not json", &p, E));
    CHECK(p == NULL, "no handle on failure");
    FAILS(KLIENT_ERR_CONFIG, "no.such.property", klient_producer_new(cfg("\"no.such.property\":1"), &p, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL", klient_producer_new(NULL, &p, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "out is NULL", klient_producer_new(cfg(NULL), NULL, E));
    FAILS(KLIENT_ERR_CONFIG, "group.id", klient_consumer_new(cfg(NULL), 0, &c, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "flags", klient_consumer_new(cfg("\"group.id\":\"g\""), 8, &c, E));
    FAILS(KLIENT_ERR_CONFIG, "bogus.key", klient_admin_new(cfg("\"bogus.key\":\"x\""), &a, E));
    /* error pointer NULL is allowed: status still returned */
    CHECK(klient_producer_new("{", &p, NULL) == KLIENT_ERR_CONFIG, "err NULL");

    /* NULL handles */
    klient_message_t m = {.topic = "t", .partition = -1};
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL", klient_producer_produce(NULL, &m, 1000, NULL, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL", klient_consumer_commit(NULL, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL", klient_admin_list_topics(NULL, 0, 1000, NULL, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL", klient_relay_stop(NULL, E));
    CHECK(klient_producer_destroy(NULL) == KLIENT_OK, "destroy NULL");
    CHECK(klient_consumer_destroy(NULL) == KLIENT_OK, "destroy NULL");
    CHECK(klient_admin_destroy(NULL) == KLIENT_OK, "destroy NULL");
    CHECK(klient_relay_destroy(NULL) == KLIENT_OK, "destroy NULL");

    /* wrong handle type, closed and destroyed handles */
    OK(klient_producer_new(cfg(NULL), &p, E));
    OK(klient_consumer_new(cfg("\"group.id\":\"ctest-err\""), 0, &c, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "expected a consumer", klient_consumer_commit((klient_consumer_t *)p, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "expected a producer", klient_producer_flush((klient_producer_t *)c, 100, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "expected a admin", klient_admin_list_topics((klient_admin_t *)c, 0, 100, NULL, E));
    CHECK(klient_consumer_destroy((klient_consumer_t *)p) == KLIENT_OK, "wrong-type destroy is a no-op");
    size_t pend = 99;
    OK(klient_producer_pending(p, &pend, E)); /* still alive after the wrong-type destroy */
    CHECK(pend == 0, "pending %zu", pend);
    /* bad messages */
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "message is NULL", klient_producer_produce(p, NULL, 1000, NULL, E));
    klient_message_t bad = {.topic = NULL, .partition = -1};
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "topic", klient_producer_produce_async(p, &bad, NULL, E));
    bad.topic = "x"; bad.header_count = 2;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "headers is NULL", klient_producer_produce_async(p, &bad, NULL, E));
    klient_delivery_report_t rep[2];
    size_t cnt = 7;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "capacity", klient_producer_poll_reports(p, rep, 0, 0, &cnt, E));
    FAILS(KLIENT_ERR_TRANSACTION, "transactional", klient_producer_begin_transaction(p, NULL, E));
    /* consume before subscribe, bad max */
    klient_message_batch_t *b = NULL;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "subscribe", klient_consumer_consume(c, 10, 0, &b, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "max_messages", klient_consumer_consume(c, 0, 0, &b, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "topics", klient_consumer_subscribe(c, NULL, 0, E));
    const char *empty[] = {""};
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "empty", klient_consumer_subscribe(c, empty, 1, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "offset", klient_consumer_seek(c, "t", 0, -7, E));

    /* close keeps the handle (calls fail CLOSED); destroy removes it (CLOSED too) */
    OK(klient_producer_close(p, 5000, E));
    OK(klient_producer_close(p, 5000, E));
    FAILS(KLIENT_ERR_CLOSED, "closed", klient_producer_produce(p, &m, 1000, NULL, E));
    CHECK(klient_producer_destroy(p) == KLIENT_OK, "destroy");
    CHECK(klient_producer_destroy(p) == KLIENT_OK, "destroy twice");
    FAILS(KLIENT_ERR_CLOSED, "destroyed", klient_producer_produce(p, &m, 1000, NULL, E));
    FAILS(KLIENT_ERR_CLOSED, "destroyed", klient_producer_pending(p, &pend, E));
    OK(klient_consumer_close(c, E));
    FAILS(KLIENT_ERR_CLOSED, "closed", klient_consumer_commit(c, E));
    CHECK(klient_consumer_destroy(c) == KLIENT_OK, "destroy");
    CHECK(klient_consumer_destroy(c) == KLIENT_OK, "destroy twice");
    FAILS(KLIENT_ERR_CLOSED, "destroyed", klient_consumer_stop(c, E));
    /* a pointer that was never a handle */
    FAILS(KLIENT_ERR_CLOSED, "invalid", klient_producer_flush((klient_producer_t *)(uintptr_t)0x1234, 0, E));
}

/* ---------------------------------------------------------------------------------- */
static klient_admin_t *admin;

static void create_topic(const char *topic, int partitions) {
    char specs[512], *res = NULL;
    snprintf(specs, sizeof specs, "[{\"topic\":\"%s\",\"num_partitions\":%d,\"replication_factor\":1}]", topic, partitions);
    OK(klient_admin_create_topics(admin, specs, 30000, &res, E));
    CHECK(res && strstr(res, "\"error\":null"), "create %s: %s", topic, res ? res : "");
    klient_free(res);
}

static void test_admin(const char *topic) {
    OK(klient_admin_new(cfg(NULL), &admin, E));
    create_topic(topic, 3);
    char specs[512], *res = NULL, *js = NULL;
    snprintf(specs, sizeof specs, "[{\"topic\":\"%s\",\"num_partitions\":3}]", topic);
    OK(klient_admin_create_topics(admin, specs, 30000, &res, E));
    CHECK(res && strstr(res, "\"error_code\":") && !strstr(res, "\"error\":null"), "duplicate create reports per topic: %s", res ? res : "");
    klient_free(res);
    OK(klient_admin_list_topics(admin, 0, 10000, &js, E));
    CHECK(js && strstr(js, topic) && !strstr(js, "__consumer_offsets"), "list %s", js ? js : "");
    klient_free(js);
    char q[256];
    snprintf(q, sizeof q, "[\"%s\"]", topic);
    OK(klient_admin_describe_topics(admin, q, 10000, &js, E));
    CHECK(js && strstr(js, "\"partition\":2") && strstr(js, "\"isr\""), "describe %s", js ? js : "");
    klient_free(js);
    js = NULL;
    FAILS(KLIENT_ERR_NOT_FOUND, "", klient_admin_describe_topics(admin, "[\"ctest-no-such-topic-zz\"]", 10000, &js, E));
    CHECK(js == NULL, "no json on failure");
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "specs_json", klient_admin_create_topics(admin, "{\"topic\":1}", 1000, &res, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "no topics", klient_admin_delete_topics(admin, "[]", 1000, &res, E));
}

/* ---------------------------------------------------------------------------------- */
static void test_produce(const char *topic, int *produced) {
    klient_producer_t *p = NULL;
    OK(klient_producer_new(cfg("\"linger.ms\":5"), &p, E));
    /* sync with headers and key */
    klient_header_t hs[2] = {{"h1", "v1", 2}, {"hnull", NULL, 0}};
    klient_message_t m = {.topic = topic, .partition = 0, .key = "k-sync", .key_len = 6,
                          .value = "v-sync", .value_len = 6, .headers = hs, .header_count = 2,
                          .timestamp_ms = 1700000000000};
    klient_delivery_report_t r;
    memset(&r, 0xff, sizeof r);
    OK(klient_producer_produce(p, &m, 30000, &r, E));
    CHECK(r.error_code == 0 && r.partition == 0 && r.offset >= 0 && r.error_message[0] == 0,
          "sync report code %d part %d off %lld", r.error_code, r.partition, (long long)r.offset);
    (*produced)++;

    /* sync in two steps: start, then wait in slices until done */
    klient_delivery_wait_t *w = NULL;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "out is NULL", klient_producer_produce_start(p, &m, NULL, E));
    OK(klient_producer_produce_start(p, &m, &w, E));
    (*produced)++;
    int done = 0, slices = 0;
    memset(&r, 0xff, sizeof r);
    for (int64_t end = now_ms() + 30000; !done && now_ms() < end; slices++)
        OK(klient_delivery_wait(w, 20, &done, &r, E));
    CHECK(done && r.error_code == 0 && r.partition == 0 && r.offset >= 0 && r.timestamp_ms == 1700000000000,
          "two-step report done %d code %d part %d off %lld ts %lld after %d slices", done, r.error_code, r.partition,
          (long long)r.offset, (long long)r.timestamp_ms, slices);
    OK(klient_delivery_wait_destroy(w));
    OK(klient_delivery_wait_destroy(w)); /* double destroy is safe */
    OK(klient_delivery_wait_destroy(NULL));
    FAILS(KLIENT_ERR_CLOSED, "destroyed", klient_delivery_wait(w, 0, &done, &r, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL", klient_delivery_wait(NULL, 0, &done, &r, E));

    /* start and a first wait in one call: the report within the wait leaves no handle */
    klient_delivery_wait_t *w2 = (klient_delivery_wait_t *)&r; /* must be reset to NULL */
    done = -1;
    memset(&r, 0xff, sizeof r);
    OK(klient_producer_produce_start_wait(p, &m, 30000, &done, &r, &w2, E));
    (*produced)++;
    CHECK(done == 1 && w2 == NULL && r.error_code == 0 && r.partition == 0 && r.offset >= 0,
          "start_wait done %d handle %p code %d part %d off %lld", done, (void *)w2, r.error_code, r.partition,
          (long long)r.offset);
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "out is NULL", klient_producer_produce_start_wait(p, &m, 0, &done, &r, NULL, E));
    klient_message_t bad = m;
    bad.topic = NULL;
    w2 = (klient_delivery_wait_t *)&r;
    done = -1;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "topic", klient_producer_produce_start_wait(p, &bad, 1000, &done, &r, &w2, E));
    CHECK(done == 0 && w2 == NULL, "a message not queued: done %d handle %p", done, (void *)w2);
    /* a report that takes longer than the first wait (linger.ms 300): a handle to go on with */
    klient_producer_t *slow = NULL;
    OK(klient_producer_new(cfg("\"linger.ms\":300"), &slow, E));
    int64_t t0 = now_ms();
    OK(klient_producer_produce_start_wait(slow, &m, 0, &done, &r, &w2, E));
    (*produced)++;
    CHECK(done == 0 && w2 != NULL, "not done within 0 ms: done %d handle %p", done, (void *)w2);
    memset(&r, 0xff, sizeof r);
    for (int64_t end = now_ms() + 30000; !done && now_ms() < end;)
        OK(klient_delivery_wait(w2, 50, &done, &r, E));
    CHECK(done && r.error_code == 0 && r.partition == 0 && r.offset >= 0 && now_ms() - t0 >= 250,
          "continued wait done %d code %d off %lld after %lld ms", done, r.error_code, (long long)r.offset,
          (long long)(now_ms() - t0));
    OK(klient_delivery_wait_destroy(w2));
    OK(klient_producer_destroy(slow));

    /* async + ready fd + poll(2) */
    int fd = -1;
    OK(klient_producer_ready_fd(p, &fd, E));
    CHECK(fd >= 0, "fd %d", fd);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    CHECK(poll(&pfd, 1, 0) == 0, "fd not readable before any report");
    uint64_t id = 0;
    m.key = NULL; m.key_len = 0; m.value = "v-async"; m.value_len = 7; m.headers = NULL; m.header_count = 0;
    m.partition = -1; m.timestamp_ms = 0;
    OK(klient_producer_produce_async(p, &m, &id, E));
    (*produced)++;
    CHECK(id > 0, "id %llu", (unsigned long long)id);
    int pr = poll(&pfd, 1, 30000);
    CHECK(pr == 1 && (pfd.revents & POLLIN), "fd readable once the report waits (poll=%d)", pr);
    size_t cnt = 0;
    OK(klient_producer_poll_reports(p, &r, 1, 0, &cnt, E));
    CHECK(cnt == 1 && r.id == id && r.error_code == 0, "async report cnt %zu id %llu", cnt, (unsigned long long)r.id);
    CHECK(poll(&pfd, 1, 0) == 0, "fd drained after pulling every report");

    /* batch: 1000 messages in one call, reports pulled in batches */
    enum { N = 1000 };
    static klient_message_t msgs[N];
    static char keys[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "b%d", i);
        msgs[i] = (klient_message_t){.topic = topic, .partition = -1, .key = keys[i], .key_len = strlen(keys[i]),
                                     .value = "batch-value", .value_len = 11};
    }
    uint64_t first = 0;
    size_t accepted = 0;
    OK(klient_producer_produce_batch(p, msgs, N, &first, &accepted, E));
    CHECK(accepted == N && first > id, "batch accepted %zu first %llu", accepted, (unsigned long long)first);
    *produced += N;
    OK(klient_producer_flush(p, 30000, E));
    size_t pend = 99;
    OK(klient_producer_pending(p, &pend, E));
    CHECK(pend == 0, "pending after flush %zu", pend);
    static klient_delivery_report_t reps[300];
    size_t got = 0, okc = 0;
    uint64_t minid = UINT64_MAX, maxid = 0;
    int64_t deadline = now_ms() + 30000;
    while (got < N && now_ms() < deadline) {
        OK(klient_producer_poll_reports(p, reps, 300, 1000, &cnt, E));
        CHECK(cnt <= 300, "capacity respected %zu", cnt);
        for (size_t i = 0; i < cnt; i++) {
            okc += reps[i].error_code == 0;
            if (reps[i].id < minid) minid = reps[i].id;
            if (reps[i].id > maxid) maxid = reps[i].id;
        }
        got += cnt;
    }
    CHECK(got == N && okc == N && minid == first && maxid == first + N - 1, "batch reports %zu ok %zu ids %llu..%llu",
          got, okc, (unsigned long long)minid, (unsigned long long)maxid);
    /* a batch with a bad message in the middle: the prefix is queued */
    msgs[5].topic = NULL;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "message 5", klient_producer_produce_batch(p, msgs, 10, &first, &accepted, E));
    CHECK(accepted == 5, "accepted prefix %zu", accepted);
    msgs[5].topic = topic;
    *produced += 5;
    OK(klient_producer_flush(p, 30000, E));
    /* reports reach the queue just after flush returns: collect until 5 or timeout */
    got = 0;
    deadline = now_ms() + 10000;
    while (got < 5 && now_ms() < deadline) {
        OK(klient_producer_poll_reports(p, reps, 300, 1000, &cnt, E));
        got += cnt;
    }
    CHECK(got == 5, "prefix reports %zu", got);

    /* produce with retry + breaker */
    OK(klient_producer_produce_with_retry(p, &m, 3, 10, 30000, &r, E));
    (*produced)++;
    CHECK(r.error_code == 0 && r.offset >= 0, "retry produce");
    int st = -1;
    OK(klient_producer_breaker_state(p, &st, E));
    CHECK(st == 0, "breaker closed %d", st);
    OK(klient_producer_breaker_configure(p, 1000, E));
    /* a delivery failure: a partition that does not exist */
    m.partition = 99;
    FAILS(KLIENT_ERR_FATAL, "", klient_producer_produce(p, &m, 30000, &r, E));
    CHECK(r.error_code != 0 && r.kafka_code != 0 && r.error_message[0] != 0, "failure report %d %d %s", r.error_code, r.kafka_code, r.error_message);
    OK(klient_producer_destroy(p));
}

static void test_consume(const char *topic, int produced) {
    klient_consumer_t *c = NULL;
    char group[128], extra[256];
    name(group, sizeof group, "group");
    snprintf(extra, sizeof extra, "\"group.id\":\"%s\",\"enable.auto.commit\":false", group);
    OK(klient_consumer_new(cfg(extra), KLIENT_CONSUMER_REBALANCE_EVENTS, &c, E));
    const char *topics[] = {topic};
    OK(klient_consumer_subscribe(c, topics, 1, E));
    int fd = -1;
    OK(klient_consumer_ready_fd(c, &fd, E));
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    CHECK(poll(&pfd, 1, 30000) == 1, "consumer fd readable (rebalance or messages)");

    int total = 0, sync_seen = 0, batch_seen = 0, null_key = 0, assign_events = 0;
    int64_t deadline = now_ms() + 60000;
    while (total < produced && now_ms() < deadline) {
        char *ev = NULL;
        OK(klient_consumer_rebalance_events(c, &ev, E));
        if (ev && strstr(ev, "\"kind\":\"assign\"")) assign_events++;
        klient_free(ev);
        klient_message_batch_t *b = NULL;
        OK(klient_consumer_consume(c, 500, 1000, &b, E));
        CHECK(b != NULL, "batch always set");
        if (!b) break;
        for (size_t i = 0; i < b->count; i++) {
            const klient_message_view_t *v = &b->messages[i];
            if (strcmp(v->topic, topic) != 0) { CHECK(0, "topic %s", v->topic); continue; }
            if (v->key && v->key_len == 6 && memcmp(v->key, "k-sync", 6) == 0) {
                sync_seen = v->value_len == 6 && memcmp(v->value, "v-sync", 6) == 0 && v->header_count == 2 &&
                            strcmp(v->headers[0].key, "h1") == 0 && v->headers[0].value_len == 2 &&
                            memcmp(v->headers[0].value, "v1", 2) == 0 && strcmp(v->headers[1].key, "hnull") == 0 &&
                            v->headers[1].value == NULL && v->timestamp_ms == 1700000000000 &&
                            v->timestamp_type == KLIENT_TIMESTAMP_CREATE_TIME && v->partition == 0;
            }
            if (v->key == NULL) null_key++;
            if (v->key && v->key_len >= 2 && ((const char *)v->key)[0] == 'b' && v->value_len == 11) batch_seen++;
        }
        total += (int)b->count;
        klient_message_batch_destroy(b);
    }
    CHECK(total == produced, "consumed %d of %d", total, produced);
    CHECK(sync_seen, "sync message with key, headers, null header and timestamp round-trips");
    CHECK(batch_seen == 1005, "batch messages %d", batch_seen);
    CHECK(null_key == 2, "null keys %d", null_key);
    CHECK(assign_events >= 1, "assign rebalance event pulled");

    char *js = NULL;
    OK(klient_consumer_assignment(c, &js, E));
    CHECK(js && strstr(js, topic) && strstr(js, "\"partition\":2"), "assignment %s", js ? js : "");
    klient_free(js);
    OK(klient_consumer_commit(c, E));
    OK(klient_consumer_committed(c, 10000, &js, E));
    CHECK(js && strstr(js, "\"offset\":") && !strstr(js, "\"offset\":-1001"), "committed %s", js ? js : "");
    klient_free(js);
    OK(klient_consumer_position(c, &js, E));
    CHECK(js && strstr(js, topic), "position %s", js ? js : "");
    klient_free(js);
    OK(klient_consumer_commit_async(c, E));

    /* seek back to the start of partition 0: the sync message comes again */
    OK(klient_consumer_seek(c, topic, 0, -2, E));
    klient_message_batch_t *b = NULL;
    int again = 0;
    deadline = now_ms() + 30000;
    while (!again && now_ms() < deadline) {
        OK(klient_consumer_consume(c, 100, 1000, &b, E));
        for (size_t i = 0; b && i < b->count; i++)
            if (b->messages[i].partition == 0 && b->messages[i].offset == 0) again = 1;
        klient_message_batch_destroy(b);
    }
    CHECK(again, "seek to beginning re-delivers offset 0");

    /* stop wakes a blocked consume */
    OK(klient_consumer_stop(c, E));
    int64_t t0 = now_ms();
    OK(klient_consumer_consume(c, 100, 20000, &b, E));
    CHECK(now_ms() - t0 < 5000, "consume returns at once after stop");
    klient_message_batch_destroy(b);
    OK(klient_consumer_close(c, E));
    struct pollfd p2 = {.fd = fd, .events = POLLIN};
    CHECK(poll(&p2, 1, 0) == 1, "fd readable after close");
    OK(klient_consumer_destroy(c));
}

/* A batch's keys and values point into the fetched bytes (no copy): they must stay as
 * consumed while the caller holds the batch, however many batches come after it (their
 * fetches reuse the memory of destroyed batches), and after the consumer is destroyed. */
enum { VIEW_N = 3000, VIEW_LEN = 2000 };
static void view_value(char *v, int i) { /* the index, then a filler that differs from message to message */
    memset(v, 'a' + i % 26, VIEW_LEN);
    char idx[16];
    snprintf(idx, sizeof idx, "%08d", i);
    memcpy(v, idx, 8);
}

static int view_intact(const klient_message_view_t *v) {
    static char want[VIEW_LEN];
    if (v->offset >= VIEW_N) /* the last message: empty key and value, not null */
        return v->key != NULL && v->key_len == 0 && v->value != NULL && v->value_len == 0;
    view_value(want, (int)v->offset);
    char key[16];
    int kl = snprintf(key, sizeof key, "k%d", (int)v->offset);
    return v->value_len == VIEW_LEN && memcmp(v->value, want, VIEW_LEN) == 0 && v->key_len == (size_t)kl &&
           memcmp(v->key, key, (size_t)kl) == 0;
}

static int batch_intact(const klient_message_batch_t *b, int64_t first) {
    for (size_t i = 0; i < b->count; i++)
        if (b->messages[i].offset != first + (int64_t)i || !view_intact(&b->messages[i])) return 0;
    return 1;
}

static void test_batch_lifetime(void) {
    char topic[128], group[128], extra[256];
    name(topic, sizeof topic, "views");
    name(group, sizeof group, "views");
    create_topic(topic, 1);
    klient_producer_t *p = NULL;
    OK(klient_producer_new(cfg("\"linger.ms\":5"), &p, E));
    static char vals[VIEW_N * VIEW_LEN], keys[VIEW_N * 16];
    static uint64_t voff[VIEW_N + 1], koff[VIEW_N + 1];
    size_t kp = 0;
    for (int i = 0; i < VIEW_N; i++) {
        view_value(vals + (size_t)i * VIEW_LEN, i);
        voff[i] = (uint64_t)i * VIEW_LEN;
        koff[i] = kp;
        kp += (size_t)sprintf(keys + kp, "k%d", i);
    }
    voff[VIEW_N] = (uint64_t)VIEW_N * VIEW_LEN;
    koff[VIEW_N] = kp;
    size_t accepted = 0;
    OK(klient_producer_produce_packed(p, topic, 0, keys, koff, vals, voff, VIEW_N, 0, NULL, &accepted, E));
    klient_message_t empty = {.topic = topic, .partition = 0, .key = "", .key_len = 0, .value = "", .value_len = 0};
    OK(klient_producer_produce(p, &empty, 30000, NULL, E));
    OK(klient_producer_flush(p, 30000, E));
    OK(klient_producer_destroy(p));

    /* a small prefetch: the topic takes dozens of fetches */
    snprintf(extra, sizeof extra, "\"group.id\":\"%s\",\"enable.auto.commit\":false,\"klient.prefetch.kbytes\":256", group);
    klient_consumer_t *c = NULL;
    OK(klient_consumer_new(cfg(extra), 0, &c, E));
    const char *topics[] = {topic};
    OK(klient_consumer_subscribe(c, topics, 1, E));
    klient_message_batch_t *kept = NULL;
    int64_t deadline = now_ms() + 30000;
    while ((!kept || kept->count == 0) && now_ms() < deadline) {
        klient_message_batch_destroy(kept);
        kept = NULL;
        OK(klient_consumer_consume(c, 100, 1000, &kept, E));
    }
    CHECK(kept && kept->count > 0 && batch_intact(kept, 0), "first batch as produced");
    int64_t next = kept ? (int64_t)kept->count : 0;
    int later_intact = 1;
    deadline = now_ms() + 60000;
    while (next <= VIEW_N && now_ms() < deadline) {
        klient_message_batch_t *b = NULL;
        OK(klient_consumer_consume(c, 200, 1000, &b, E));
        if (!b) break;
        if (!batch_intact(b, next)) later_intact = 0;
        next += (int64_t)b->count;
        klient_message_batch_destroy(b);
    }
    CHECK(next == VIEW_N + 1 && later_intact, "every later batch as produced (%lld of %d)", (long long)next, VIEW_N + 1);
    CHECK(kept && batch_intact(kept, 0), "the held batch is unchanged after %lld more messages",
          (long long)(next - (kept ? (int64_t)kept->count : 0)));
    OK(klient_consumer_close(c, E));
    OK(klient_consumer_destroy(c));
    CHECK(kept && batch_intact(kept, 0), "the held batch is unchanged after its consumer is destroyed");
    klient_message_batch_destroy(kept);
}

/* ---------------------------------------------------------------------------------- */
/* Fast paths: untracked and tracked packed produce, stats, packed consume, prefetch. */
static uint32_t rd_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static int64_t rd_i64(const uint8_t *p) { int64_t v; memcpy(&v, p, 8); return v; }

/* The offset of a packed batch's first message (the layout of klient_packed_batch_t). */
static int64_t packed_first_offset(const klient_packed_batch_t *b) {
    const uint8_t *d = b->data;
    uint32_t nt = rd_u32(d);
    d += 4;
    for (uint32_t t = 0; t < nt; t++) d += 2 + rd_u16(d);
    return rd_i64(d + 8);
}

static void test_packed(void) {
    char topic[128], small[128];
    name(topic, sizeof topic, "packed");
    name(small, sizeof small, "packed-small");
    create_topic(topic, 1);
    char specs[512], *res = NULL;
    snprintf(specs, sizeof specs, "[{\"topic\":\"%s\",\"num_partitions\":1,\"config\":{\"max.message.bytes\":\"2000\"}}]", small);
    OK(klient_admin_create_topics(admin, specs, 30000, &res, E));
    CHECK(res && strstr(res, "\"error\":null"), "create %s: %s", small, res ? res : "");
    klient_free(res);

    klient_producer_t *p = NULL;
    OK(klient_producer_new(cfg("\"linger.ms\":5"), &p, E));
    /* one message with headers first, so packed consume has headers to encode */
    klient_header_t hs[2] = {{"h1", "v1", 2}, {"hnull", NULL, 0}};
    klient_message_t m = {.topic = topic, .partition = 0, .key = "hk", .key_len = 2, .value = "hv", .value_len = 2,
                          .headers = hs, .header_count = 2, .timestamp_ms = 1700000000000};
    OK(klient_producer_produce(p, &m, 30000, NULL, E));

    enum { N = 1000 };
    static char vals[N * 8], keys[N * 8];
    static uint64_t voff[N + 1], koff[N + 1];
    size_t vp = 0, kp = 0;
    for (int i = 0; i < N; i++) {
        voff[i] = vp; koff[i] = kp;
        vp += (size_t)sprintf(vals + vp, "v%d", i);
        if (i % 10 != 0) kp += (size_t)sprintf(keys + kp, "k%d", i); /* every 10th key empty */
    }
    voff[N] = vp; koff[N] = kp;
    uint64_t first = 99;
    size_t accepted = 0;
    OK(klient_producer_produce_packed(p, topic, -1, keys, koff, vals, voff, N, 0, &first, &accepted, E));
    CHECK(accepted == N && first == 0, "untracked accepted %zu first %llu", accepted, (unsigned long long)first);
    /* tracked, null keys and null values */
    OK(klient_producer_produce_packed(p, topic, 0, NULL, NULL, NULL, NULL, 10, KLIENT_PRODUCE_TRACKED, &first, &accepted, E));
    CHECK(accepted == 10 && first > 0, "tracked accepted %zu first %llu", accepted, (unsigned long long)first);
    OK(klient_producer_flush(p, 30000, E));
    klient_producer_stats_t st;
    memset(&st, 0xff, sizeof st);
    OK(klient_producer_stats(p, &st, E));
    CHECK(st.delivered == N + 10 && st.failed == 0 && st.pending == 0, "stats %llu/%llu/%llu",
          (unsigned long long)st.delivered, (unsigned long long)st.failed, (unsigned long long)st.pending);
    static klient_delivery_report_t reps[64];
    size_t cnt = 0, got = 0;
    int64_t deadline = now_ms() + 10000;
    while (got < 10 && now_ms() < deadline) {
        OK(klient_producer_poll_reports(p, reps + got, 64 - got, 500, &cnt, E));
        got += cnt;
    }
    CHECK(got == 10 && reps[0].id >= first && reps[9].id == first + 9, "only the tracked messages are reported: %zu", got);

    /* an untracked failure (record above the topic's max.message.bytes) is reported with id 0 */
    static char big[5000];
    memset(big, 'x', sizeof big);
    uint64_t boff[2] = {0, sizeof big};
    OK(klient_producer_produce_packed(p, small, -1, NULL, NULL, big, boff, 1, 0, NULL, &accepted, E));
    klient_error_t *fe = NULL;
    klient_producer_flush(p, 30000, &fe);
    klient_error_destroy(fe);
    got = 0;
    deadline = now_ms() + 30000;
    while (got == 0 && now_ms() < deadline) OK(klient_producer_poll_reports(p, reps, 64, 500, &got, E));
    CHECK(got == 1 && reps[0].id == 0 && reps[0].error_code != 0 && reps[0].kafka_code != 0 && reps[0].error_message[0],
          "failed untracked report: got %zu id %llu code %d %s", got, (unsigned long long)reps[0].id, reps[0].error_code, reps[0].error_message);
    OK(klient_producer_stats(p, &st, E));
    CHECK(st.failed == 1 && st.delivered == N + 10 && st.pending == 0, "stats after failure %llu/%llu",
          (unsigned long long)st.delivered, (unsigned long long)st.failed);

    /* bad input */
    uint64_t bad[3] = {0, 5, 3};
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "value_offsets[1]", klient_producer_produce_packed(p, topic, -1, NULL, NULL, vals, bad, 2, 0, NULL, &accepted, E));
    CHECK(accepted == 0, "nothing accepted on bad offsets");
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "key_offsets", klient_producer_produce_packed(p, topic, -1, keys, NULL, vals, voff, 2, 0, NULL, NULL, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "flags", klient_producer_produce_packed(p, topic, -1, NULL, NULL, vals, voff, 2, 8, NULL, NULL, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "topic", klient_producer_produce_packed(p, "", -1, NULL, NULL, vals, voff, 2, 0, NULL, NULL, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "out", klient_producer_stats(p, NULL, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "handle", klient_producer_stats(NULL, &st, E));
    OK(klient_producer_destroy(p));

    /* packed consume, with a small prefetch; an unknown klient.* property is refused */
    klient_consumer_t *c = NULL;
    char group[128], extra[384];
    name(group, sizeof group, "packed-group");
    snprintf(extra, sizeof extra, "\"group.id\":\"%s\",\"klient.prefetch.mesages\":10", group);
    FAILS(KLIENT_ERR_CONFIG, "klient.prefetch.mesages", klient_consumer_new(cfg(extra), 0, &c, E));
    snprintf(extra, sizeof extra, "\"group.id\":\"%s\",\"enable.auto.commit\":false,\"klient_prefetch_messages\":100", group);
    OK(klient_consumer_new(cfg(extra), 0, &c, E));
    const char *topics[] = {topic};
    OK(klient_consumer_subscribe(c, topics, 1, E));
    int total = 0, hdr_ok = 0, values_ok = 0, empty_keys = 0, null_both = 0;
    int64_t last_off = -1;
    deadline = now_ms() + 60000;
    while (total < N + 11 && now_ms() < deadline) {
        klient_packed_batch_t *b = NULL;
        OK(klient_consumer_consume_packed(c, 300, 1000, &b, E));
        CHECK(b != NULL, "packed batch always set");
        if (!b) break;
        const uint8_t *d = b->data, *end = b->data + b->size;
        uint32_t nt = b->count ? rd_u32(d) : 0;
        d += b->count ? 4 : 0;
        char tname[256] = "";
        for (uint32_t t = 0; t < nt; t++) {
            uint16_t l = rd_u16(d);
            if (t == 0) { memcpy(tname, d + 2, l < 255 ? l : 255); tname[l < 255 ? l : 255] = 0; }
            d += 2 + l;
        }
        CHECK(b->count == 0 || (nt == 1 && strcmp(tname, topic) == 0), "topic table %u %s", nt, tname);
        for (size_t i = 0; i < b->count && d + 36 <= end; i++) {
            uint16_t ti = rd_u16(d);
            uint8_t tstype = d[2];
            int32_t part, klen, vlen;
            memcpy(&part, d + 4, 4);
            int64_t off = rd_i64(d + 8), ts = rd_i64(d + 16);
            memcpy(&klen, d + 24, 4);
            memcpy(&vlen, d + 28, 4);
            uint32_t nh = rd_u32(d + 32);
            CHECK(ti == 0 && part == 0 && off == last_off + 1, "msg hdr ti %u part %d off %lld", ti, part, (long long)off);
            last_off = off;
            d += 36;
            const uint8_t *k = d;
            d += klen > 0 ? klen : 0;
            const uint8_t *v = d;
            d += vlen > 0 ? vlen : 0;
            if (off == 0) {
                int ok = klen == 2 && memcmp(k, "hk", 2) == 0 && vlen == 2 && memcmp(v, "hv", 2) == 0 && nh == 2 &&
                         ts == 1700000000000 && tstype == KLIENT_TIMESTAMP_CREATE_TIME;
                for (uint32_t h = 0; h < nh; h++) {
                    uint16_t hl = rd_u16(d);
                    int32_t hv;
                    memcpy(&hv, d + 2 + hl, 4);
                    if (h == 0) ok = ok && hl == 2 && memcmp(d + 2, "h1", 2) == 0 && hv == 2 && memcmp(d + 6 + hl, "v1", 2) == 0;
                    if (h == 1) ok = ok && hl == 5 && hv == -1;
                    d += 2 + hl + 4 + (hv > 0 ? hv : 0);
                }
                hdr_ok = ok;
            } else if (off <= N) {
                char want[16];
                int i2 = (int)off - 1;
                int wl = sprintf(want, "v%d", i2);
                values_ok += vlen == wl && memcmp(v, want, (size_t)wl) == 0 && nh == 0;
                if (i2 % 10 == 0) empty_keys += klen == 0;
            } else {
                null_both += klen == -1 && vlen == -1;
            }
        }
        CHECK(d == end, "packed batch fully decoded (%td bytes left)", end - d);
        total += (int)b->count;
        klient_packed_batch_destroy(b);
    }
    klient_packed_batch_destroy(NULL);
    CHECK(total == N + 11, "packed consumed %d", total);
    CHECK(hdr_ok, "headers, key, value and timestamp round-trip through the packed layout");
    CHECK(values_ok == N && empty_keys == N / 10 && null_both == 10, "values %d empty keys %d null %d", values_ok, empty_keys, null_both);
    klient_packed_batch_t *b = (klient_packed_batch_t *)1;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "max_messages", klient_consumer_consume_packed(c, 0, 0, &b, E));
    CHECK(b == NULL, "batch_out cleared on failure");
    OK(klient_consumer_destroy(c));

    /* deferred hand-out: take a batch, settle one message, the rest comes back in order */
    name(group, sizeof group, "deferred-group");
    snprintf(extra, sizeof extra, "\"group.id\":\"%s\",\"enable.auto.commit\":false", group);
    OK(klient_consumer_new(cfg(extra), 0, &c, E));
    OK(klient_consumer_subscribe(c, topics, 1, E));
    b = NULL;
    for (deadline = now_ms() + 60000; now_ms() < deadline;) {
        OK(klient_consumer_consume_deferred(c, 10, 1000, &b, E));
        if (b && b->count >= 2) break;
        OK(klient_consumer_settle(c, b ? b->count : 0, 0, E)); /* it returns once one is buffered: go on */
        klient_packed_batch_destroy(b);
        b = NULL;
    }
    CHECK(b != NULL && b->count >= 2, "deferred batch taken");
    if (b && b->count >= 2) {
        int64_t first = packed_first_offset(b);
        klient_packed_batch_t *other = NULL;
        FAILS(KLIENT_ERR_INVALID_ARGUMENT, "settle it first", klient_consumer_consume_packed(c, 10, 0, &other, E));
        FAILS(KLIENT_ERR_INVALID_ARGUMENT, "flags", klient_consumer_settle(c, 1, 8, E));
        FAILS(KLIENT_ERR_INVALID_ARGUMENT, "handed", klient_consumer_settle(c, b->count + 1, 0, E));
        OK(klient_consumer_settle(c, 1, 0, E));
        FAILS(KLIENT_ERR_INVALID_ARGUMENT, "handed", klient_consumer_settle(c, 1, 0, E)); /* none outstanding */
        OK(klient_consumer_settle(c, 0, 0, E));
        OK(klient_consumer_consume_packed(c, 10, 10000, &other, E));
        CHECK(other && other->count >= 1 && packed_first_offset(other) == first + 1,
              "after settling 1 of a batch starting at %lld, the next consume starts at %lld", (long long)first,
              other && other->count ? (long long)packed_first_offset(other) : -1LL);
        klient_packed_batch_destroy(other);
    }
    klient_packed_batch_destroy(b);
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "max_messages", klient_consumer_consume_deferred(c, 0, 0, &b, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL", klient_consumer_settle(NULL, 0, 0, E));
    OK(klient_consumer_destroy(c));
    char del[400];
    snprintf(del, sizeof del, "[\"%s\",\"%s\"]", topic, small);
    OK(klient_admin_delete_topics(admin, del, 30000, &res, E));
    klient_free(res);
}

/* ---------------------------------------------------------------------------------- */
static void test_transactions(const char *topic) {
    klient_producer_t *p = NULL;
    char tid[128], extra[256];
    name(tid, sizeof tid, "txn");
    snprintf(extra, sizeof extra, "\"transactional.id\":\"%s\"", tid);
    OK(klient_producer_new(cfg(extra), &p, E));
    OK(klient_producer_init_transactions(p, 30000, E));
    klient_txn_result_t res = {0, 0};
    int in = -1;
    klient_message_t m = {.topic = topic, .partition = -1, .value = "committed", .value_len = 9};
    OK(klient_producer_begin_transaction(p, &res, E));
    CHECK(res.success == 1, "begin success");
    OK(klient_producer_in_transaction(p, &in, E));
    CHECK(in == 1, "in transaction");
    FAILS(KLIENT_ERR_TRANSACTION, "already open", klient_producer_begin_transaction(p, &res, E));
    OK(klient_producer_produce_async(p, &m, NULL, E));
    OK(klient_producer_commit_transaction(p, 30000, &res, E));
    CHECK(res.success == 1 && res.duration_ms > 0, "commit result %d %.3f", res.success, res.duration_ms);
    OK(klient_producer_in_transaction(p, &in, E));
    CHECK(in == 0, "not in transaction");
    m.value = "aborted"; m.value_len = 7;
    OK(klient_producer_begin_transaction(p, &res, E));
    OK(klient_producer_produce_async(p, &m, NULL, E));
    OK(klient_producer_flush(p, 30000, E));
    OK(klient_producer_abort_transaction(p, 30000, &res, E));
    CHECK(res.success == 1, "abort result");
    FAILS(KLIENT_ERR_TRANSACTION, "no transaction", klient_producer_commit_transaction(p, 1000, &res, E));
    CHECK(res.success == 0, "failed commit result");

    /* a read_committed consumer sees the committed record only; then send_offsets
     * commits its position inside a transaction */
    klient_consumer_t *c = NULL;
    char group[128];
    name(group, sizeof group, "txgroup");
    snprintf(extra, sizeof extra, "\"group.id\":\"%s\",\"enable.auto.commit\":false", group);
    OK(klient_consumer_new(cfg(extra), 0, &c, E));
    const char *topics[] = {topic};
    OK(klient_consumer_subscribe(c, topics, 1, E));
    int committed = 0, aborted = 0;
    int64_t deadline = now_ms() + 30000;
    while (now_ms() < deadline && committed == 0) {
        klient_message_batch_t *b = NULL;
        OK(klient_consumer_consume(c, 100, 1000, &b, E));
        for (size_t i = 0; b && i < b->count; i++) {
            const klient_message_view_t *v = &b->messages[i];
            if (v->value_len == 9 && memcmp(v->value, "committed", 9) == 0) committed++;
            if (v->value_len == 7 && memcmp(v->value, "aborted", 7) == 0) aborted++;
        }
        klient_message_batch_destroy(b);
    }
    /* give an aborted record time to show up if isolation were broken */
    klient_message_batch_t *b = NULL;
    OK(klient_consumer_consume(c, 100, 1500, &b, E));
    for (size_t i = 0; b && i < b->count; i++)
        if (b->messages[i].value_len == 7 && memcmp(b->messages[i].value, "aborted", 7) == 0) aborted++;
    klient_message_batch_destroy(b);
    CHECK(committed == 1 && aborted == 0, "read_committed: committed %d aborted %d", committed, aborted);

    OK(klient_producer_begin_transaction(p, &res, E));
    OK(klient_producer_send_offsets(p, c, 30000, E));
    OK(klient_producer_commit_transaction(p, 30000, &res, E));
    char *js = NULL;
    OK(klient_consumer_committed(c, 10000, &js, E));
    /* exactly what was handed out: record 0 consumed -> next offset 1 (librdkafka's own
     * position is past the commit and abort markers) */
    CHECK(js && strstr(js, "\"offset\":1}"), "transactional offsets committed: %s", js ? js : "");
    klient_free(js);
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "expected a consumer", klient_producer_send_offsets(p, (klient_consumer_t *)p, 1000, E));
    OK(klient_consumer_destroy(c));
    OK(klient_producer_destroy(p));
}

/* ---------------------------------------------------------------------------------- */
typedef struct {
    int calls;
    int max_batch;
    pthread_t caller;
    int other_thread;
    int bad_emit_status;
} transform_state;

static int upper_transform(void *ud, const klient_message_view_t *in, size_t n, klient_relay_output_t *out) {
    transform_state *st = ud;
    __atomic_add_fetch(&st->calls, 1, __ATOMIC_SEQ_CST);
    if ((int)n > st->max_batch) st->max_batch = (int)n;
    if (!pthread_equal(pthread_self(), st->caller)) st->other_thread = 1;
    for (size_t i = 0; i < n; i++) {
        char buf[256];
        size_t len = in[i].value_len < sizeof buf ? in[i].value_len : sizeof buf;
        for (size_t j = 0; j < len; j++) {
            char ch = ((const char *)in[i].value)[j];
            buf[j] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
        }
        klient_header_t h = {"via", "ctest", 5};
        klient_message_t m = {.topic = NULL, .partition = -1, .key = in[i].key, .key_len = in[i].key_len,
                              .value = buf, .value_len = len, .headers = &h, .header_count = 1};
        if (klient_relay_emit(out, &m) != KLIENT_OK) return 1;
    }
    st->bad_emit_status = klient_relay_emit(out, NULL);
    return 0;
}

typedef struct {
    klient_relay_t *r;
    const char *src, *dst;
    int rc;
    char msg[256];
} run_args;

static void *run_relay(void *arg) {
    run_args *a = arg;
    klient_error_t *err = NULL;
    a->rc = klient_relay_run(a->r, a->src, a->dst, &err);
    if (err) snprintf(a->msg, sizeof a->msg, "%s", err->message);
    klient_error_destroy(err);
    return NULL;
}

/* Relay fixtures shared by the relay tests: "<what>-src" and "<what>-dst" topics with
 * the source filled with n messages ("<what>-i", key = value), the relay's consumer
 * (auto-commit off) and transactional producer, and a consumer of the target. */
static void relay_topics(const char *what, int partitions, int n, char *src, char *dst) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s-src", what);
    name(src, 128, buf);
    snprintf(buf, sizeof buf, "%s-dst", what);
    name(dst, 128, buf);
    create_topic(src, partitions);
    create_topic(dst, partitions);
    klient_producer_t *sp = NULL;
    OK(klient_producer_new(cfg(NULL), &sp, E));
    for (int i = 0; i < n; i++) {
        char v[32];
        snprintf(v, sizeof v, "%s-%d", what, i);
        klient_message_t m = {.topic = src, .partition = -1, .key = v, .key_len = strlen(v), .value = v, .value_len = strlen(v)};
        OK(klient_producer_produce_async(sp, &m, NULL, E));
    }
    OK(klient_producer_flush(sp, 30000, E));
    OK(klient_producer_destroy(sp));
}

static void relay_clients(const char *what, klient_consumer_t **c, klient_producer_t **p) {
    char buf[64], id[128], extra[512];
    snprintf(buf, sizeof buf, "%s-group", what);
    name(id, sizeof id, buf);
    snprintf(extra, sizeof extra, "\"group.id\":\"%s\",\"enable.auto.commit\":false", id);
    OK(klient_consumer_new(cfg(extra), 0, c, E));
    snprintf(buf, sizeof buf, "%s-tx", what);
    name(id, sizeof id, buf);
    snprintf(extra, sizeof extra, "\"transactional.id\":\"%s\"", id);
    OK(klient_producer_new(cfg(extra), p, E));
}

static klient_consumer_t *relay_verifier(const char *what, const char *dst) {
    char buf[64], id[128], extra[512];
    snprintf(buf, sizeof buf, "%s-verify", what);
    name(id, sizeof id, buf);
    snprintf(extra, sizeof extra, "\"group.id\":\"%s\"", id);
    klient_consumer_t *vc = NULL;
    OK(klient_consumer_new(cfg(extra), 0, &vc, E));
    const char *vt[] = {dst};
    OK(klient_consumer_subscribe(vc, vt, 1, E));
    return vc;
}

static void test_relay(void) {
    char src[128], dst[128];
    enum { N = 60 };
    relay_topics("relay", 2, N, src, dst);
    klient_consumer_t *c = NULL;
    klient_producer_t *p = NULL;
    relay_clients("relay", &c, &p);
    klient_message_t any = {.topic = src, .partition = -1};

    klient_relay_t *r = NULL;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "options_json", klient_relay_new(c, p, "{\"batch_size\":\"x\"}", NULL, NULL, &r, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "expected a consumer", klient_relay_new((klient_consumer_t *)p, p, NULL, NULL, NULL, &r, E));
    transform_state st = {0, 0, pthread_self(), 0, 0};
    OK(klient_relay_new(c, p, "{\"batch_size\":10,\"max_batch_ms\":200}", upper_transform, &st, &r, E));
    CHECK(klient_relay_emit((klient_relay_output_t *)r, &any) == KLIENT_ERR_INVALID_ARGUMENT, "emit outside a transform");

    run_args ra = {r, src, dst, -1, ""};
    pthread_t th;
    pthread_create(&th, NULL, run_relay, &ra);

    klient_consumer_t *vc = relay_verifier("relay", dst);
    int got = 0, upper = 0, hdr = 0;
    int64_t deadline = now_ms() + 60000;
    while (got < N && now_ms() < deadline) {
        klient_message_batch_t *b = NULL;
        OK(klient_consumer_consume(vc, 100, 1000, &b, E));
        for (size_t i = 0; b && i < b->count; i++) {
            const klient_message_view_t *v = &b->messages[i];
            got++;
            if (v->value_len >= 6 && memcmp(v->value, "RELAY-", 6) == 0) upper++;
            if (v->header_count == 1 && strcmp(v->headers[0].key, "via") == 0) hdr++;
        }
        klient_message_batch_destroy(b);
    }
    char *js = NULL;
    OK(klient_relay_stats(r, &js, E));
    CHECK(js && strstr(js, "\"forwarded\":60"), "relay stats %s", js ? js : "");
    klient_free(js);
    OK(klient_relay_stop(r, E));
    pthread_join(th, NULL);
    CHECK(ra.rc == KLIENT_OK, "relay run returned %d: %s", ra.rc, ra.msg);
    CHECK(got == N && upper == N && hdr == N, "relayed %d upper %d headers %d", got, upper, hdr);
    CHECK(st.calls >= N / 10 && st.calls < N && st.max_batch > 1 && st.max_batch <= 10,
          "transform called once per batch: %d calls, max batch %d", st.calls, st.max_batch);
    CHECK(st.other_thread, "transform runs on a library thread");
    CHECK(st.bad_emit_status == KLIENT_ERR_INVALID_ARGUMENT, "emit NULL message: %d", st.bad_emit_status);
    OK(klient_relay_destroy(r));
    OK(klient_relay_destroy(r));
    FAILS(KLIENT_ERR_CLOSED, "destroyed", klient_relay_stats(r, &js, E));
    OK(klient_consumer_destroy(vc));
    OK(klient_consumer_destroy(c));
    OK(klient_producer_destroy(p));
}

/* ---------------------------------------------------------------------------------- */
/* Bad input that a careless C caller produces: invalid UTF-8 and illegal topic names,
 * zero and absurd lengths, a transform that fails. Each is a clear error (or, for zero
 * lengths, a valid empty record) and never a crash. */
static int failing_calls;
static int fail_first_transform(void *ud, const klient_message_view_t *in, size_t n, klient_relay_output_t *out) {
    (void)ud;
    if (__atomic_add_fetch(&failing_calls, 1, __ATOMIC_SEQ_CST) == 1) return 1; /* abort the first batch */
    for (size_t i = 0; i < n; i++) {
        klient_message_t m = {.topic = NULL, .partition = -1, .key = in[i].key, .key_len = in[i].key_len,
                              .value = in[i].value, .value_len = in[i].value_len};
        if (klient_relay_emit(out, &m) != KLIENT_OK) return 2;
    }
    return 0;
}

static void test_bad_input(const char *topic) {
    klient_producer_t *p = NULL;
    OK(klient_producer_new(cfg(NULL), &p, E));
    klient_message_t m = {.topic = "bad\xff\xfe", .partition = -1, .value = "v", .value_len = 1};
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "topic name", klient_producer_produce(p, &m, 5000, NULL, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "topic name", klient_producer_produce_async(p, &m, NULL, E));
    m.topic = "has space";
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "topic name", klient_producer_produce_batch(p, &m, 1, NULL, NULL, E));
    uint64_t offs[2] = {0, 1};
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "topic name", klient_producer_produce_packed(p, "\xc3\x28", -1, NULL, NULL, "v", offs, 1, 0, NULL, NULL, E));

    /* absurd lengths are refused before the library reads the buffer */
    m.topic = topic;
    m.value_len = (size_t)1 << 40;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "at most", klient_producer_produce(p, &m, 5000, NULL, E));
    m.value_len = 1;
    m.key = NULL; m.key_len = 5;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL but its length", klient_producer_produce_async(p, &m, NULL, E));
    uint64_t huge[2] = {0, (uint64_t)1 << 33};
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "at most", klient_producer_produce_packed(p, topic, -1, NULL, NULL, "v", huge, 1, 0, NULL, NULL, E));

    /* zero lengths: an empty (not null) key and value are a valid record */
    klient_delivery_report_t rep;
    m.key = ""; m.key_len = 0; m.value = ""; m.value_len = 0;
    OK(klient_producer_produce(p, &m, 10000, &rep, E));
    CHECK(rep.error_code == 0 && rep.offset >= 0, "empty record delivered: code %d offset %lld", rep.error_code, (long long)rep.offset);

    /* illegal names through the consumer and admin too */
    klient_consumer_t *c = NULL;
    OK(klient_consumer_new(cfg("\"group.id\":\"ctest-bad-input\""), 0, &c, E));
    const char *bad[] = {"ok-topic", "bad\xff"};
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "topic name", klient_consumer_subscribe(c, bad, 2, E));
    const char *pattern[] = {"^(unclosed"};
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "does not compile", klient_consumer_subscribe(c, pattern, 1, E));
    char *res = NULL;
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "topic name", klient_admin_create_topics(admin, "[{\"topic\":\"a/b\",\"num_partitions\":1,\"replication_factor\":1}]", 5000, &res, E));
    klient_free(res);
    OK(klient_consumer_destroy(c));
    OK(klient_producer_destroy(p));
}

/* A FAILS whose message must also not be a Go panic dump. */
#define FAILS_CLEAN(want, needle, call) do { klient_error_t *e_ = NULL; int rc_ = (call); \
    check_(rc_ == (want) && e_ != NULL && e_->code == (want) && strstr(e_->message, (needle)) != NULL && \
           !strstr(e_->message, "goroutine") && !strstr(e_->message, "panic"), __LINE__, #call, \
           "want status %d with \"%s\" and no stack trace, got %d: %s", (want), (needle), rc_, e_ ? e_->message : "(no error)"); \
    klient_error_destroy(e_); } while (0)

/* Values librdkafka would truncate or wrap, and counts no array can have, are refused
 * with KLIENT_ERR_INVALID_ARGUMENT and a clear message; nothing is sent. */
static void test_boundary_values(void) {
    char topic[128];
    name(topic, sizeof topic, "bounds");
    create_topic(topic, 1);
    klient_producer_t *p = NULL;
    OK(klient_producer_new(cfg(NULL), &p, E));
    klient_header_t hs[1] = {{"h", "v", 1}};
    klient_message_t m = {.topic = topic, .partition = -1, .value = "v", .value_len = 1, .headers = hs};

    m.header_count = SIZE_MAX;
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "header_count", klient_producer_produce(p, &m, 5000, NULL, E));
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "header_count", klient_producer_produce_async(p, &m, NULL, E));
    m.header_count = 1;
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "n is", klient_producer_produce_batch(p, &m, SIZE_MAX, NULL, NULL, E));
    klient_delivery_report_t reps[1];
    size_t count = 0;
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "capacity", klient_producer_poll_reports(p, reps, SIZE_MAX, 0, &count, E));

    m.partition = -2;
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "partition", klient_producer_produce(p, &m, 5000, NULL, E));
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "partition", klient_producer_produce_batch(p, &m, 1, NULL, NULL, E));
    uint64_t offs[2] = {0, 1};
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "partition", klient_producer_produce_packed(p, topic, INT32_MIN, NULL, NULL, "v", offs, 1, 0, NULL, NULL, E));
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "partition", klient_producer_produce_packed(p, topic, -2, NULL, NULL, "v", offs, 1, KLIENT_PRODUCE_TRACKED, NULL, NULL, E));
    m.partition = -1;
    m.timestamp_ms = INT64_MAX;
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "timestamp", klient_producer_produce(p, &m, 5000, NULL, E));
    m.timestamp_ms = INT64_MIN;
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "timestamp", klient_producer_produce_with_retry(p, &m, 3, 10, 5000, NULL, E));
    m.timestamp_ms = 0;
    klient_header_t badkey[1] = {{"\xff", "v", 1}};
    m.headers = badkey;
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "UTF-8", klient_producer_produce(p, &m, 5000, NULL, E));
    OK(klient_producer_flush(p, 10000, E));
    OK(klient_producer_destroy(p));

    klient_consumer_t *c = NULL;
    OK(klient_consumer_new(cfg("\"group.id\":\"ctest-bounds\""), 0, &c, E));
    const char *topics[1] = {topic};
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "n is", klient_consumer_subscribe(c, topics, SIZE_MAX, E));
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "partition", klient_consumer_seek(c, topic, -2, 0, E));
    /* Nothing reached the topic. */
    OK(klient_consumer_subscribe(c, topics, 1, E));
    klient_message_batch_t *b = NULL;
    OK(klient_consumer_consume(c, 10, 3000, &b, E));
    CHECK(b && b->count == 0, "refused messages were sent: %zu in the topic", b ? b->count : (size_t)0);
    klient_message_batch_destroy(b);
    OK(klient_consumer_destroy(c));

    char specs[512], *res = NULL;
    snprintf(specs, sizeof specs, "[{\"topic\":\"%s-x\",\"num_partitions\":4294967297,\"replication_factor\":1}]", topic);
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "num_partitions", klient_admin_create_topics(admin, specs, 5000, &res, E));
    snprintf(specs, sizeof specs, "[{\"topic\":\"%s-x\",\"num_partitions\":1,\"replication_factor\":4294967297}]", topic);
    FAILS_CLEAN(KLIENT_ERR_INVALID_ARGUMENT, "replication_factor", klient_admin_create_topics(admin, specs, 5000, &res, E));
    char q[256], *js = NULL;
    snprintf(q, sizeof q, "[\"%s-x\"]", topic);
    FAILS(KLIENT_ERR_NOT_FOUND, "", klient_admin_describe_topics(admin, q, 10000, &js, E));
    snprintf(q, sizeof q, "[\"%s\"]", topic);
    OK(klient_admin_delete_topics(admin, q, 30000, &res, E));
    klient_free(res);

    /* An unreachable broker: "connection refused" with the address within ~5 s. */
    klient_admin_t *down = NULL;
    OK(klient_admin_new("{\"bootstrap.servers\":\"127.0.0.1:1\"}", &down, E));
    int64_t t0 = now_ms();
    js = NULL;
    FAILS(KLIENT_ERR_RETRIABLE, "connection refused by 127.0.0.1:1", klient_admin_list_topics(down, 0, 30000, &js, E));
    CHECK(now_ms() - t0 < 9000, "unreachable broker reported after %lld ms", (long long)(now_ms() - t0));
    CHECK(js == NULL, "no json on failure");
    OK(klient_admin_destroy(down));

    /* The same for a sync produce and a flush of a producer that never reached a broker
     * (librdkafka alone waits message.timeout.ms). */
    klient_producer_t *pdown = NULL;
    OK(klient_producer_new("{\"bootstrap.servers\":\"127.0.0.1:1\",\"message.timeout.ms\":30000}", &pdown, E));
    klient_message_t dm = {.topic = "klient-unreachable", .partition = -1, .value = "x", .value_len = 1};
    t0 = now_ms();
    FAILS(KLIENT_ERR_RETRIABLE, "connection refused by 127.0.0.1:1", klient_producer_produce(pdown, &dm, 30000, NULL, E));
    CHECK(now_ms() - t0 < 9000, "unreachable broker reported to produce after %lld ms", (long long)(now_ms() - t0));
    /* The failed produce's message was purged (not sent, never later): flush has nothing
     * to wait for until another message is queued. */
    OK(klient_producer_flush(pdown, 1000, E));
    uint64_t did = 0;
    OK(klient_producer_produce_async(pdown, &dm, &did, E));
    t0 = now_ms();
    FAILS(KLIENT_ERR_RETRIABLE, "connection refused by 127.0.0.1:1", klient_producer_flush(pdown, 30000, E));
    CHECK(now_ms() - t0 < 9000, "unreachable broker reported to flush after %lld ms", (long long)(now_ms() - t0));
    OK(klient_producer_destroy(pdown));

    /* Counters saturate instead of wrapping (INT64_MAX twice used to read -2). */
    int64_t v = 0;
    OK(klient_metrics_inc("ctest.saturate", INT64_MAX, E));
    OK(klient_metrics_inc("ctest.saturate", INT64_MAX, E));
    OK(klient_metrics_get("ctest.saturate", &v, E));
    CHECK(v == INT64_MAX, "INT64_MAX + INT64_MAX = %lld, want INT64_MAX", (long long)v);
}

/* A transform that fails aborts its batch; the relay retries it and forwards every
 * message exactly once. */
static void test_relay_callback_error(void) {
    char src[128], dst[128];
    enum { N = 20 };
    relay_topics("relayerr", 1, N, src, dst);
    klient_consumer_t *c = NULL;
    klient_producer_t *p = NULL;
    relay_clients("relayerr", &c, &p);
    klient_relay_t *r = NULL;
    OK(klient_relay_new(c, p, "{\"batch_size\":50,\"max_batch_ms\":300}", fail_first_transform, NULL, &r, E));
    run_args ra = {r, src, dst, -1, ""};
    pthread_t th;
    pthread_create(&th, NULL, run_relay, &ra);

    klient_consumer_t *vc = relay_verifier("relayerr", dst);
    int got = 0;
    int64_t deadline = now_ms() + 60000;
    while (now_ms() < deadline && got <= N) {
        klient_message_batch_t *b = NULL;
        OK(klient_consumer_consume(vc, 100, got == N ? 2000 : 1000, &b, E));
        size_t n = b ? b->count : 0;
        got += (int)n;
        klient_message_batch_destroy(b);
        if (got == N && n == 0) break; /* all there, and nothing more arrived */
    }
    char *js = NULL;
    OK(klient_relay_stats(r, &js, E));
    CHECK(js && !strstr(js, "\"aborted\":0"), "the failed transform aborted a batch: %s", js ? js : "");
    klient_free(js);
    OK(klient_relay_stop(r, E));
    pthread_join(th, NULL);
    CHECK(ra.rc == KLIENT_OK, "relay kept running after the callback error: %d %s", ra.rc, ra.msg);
    CHECK(got == N && failing_calls >= 2, "relayed %d of %d exactly once after %d transform calls", got, N, failing_calls);
    OK(klient_relay_destroy(r));
    OK(klient_consumer_destroy(vc));
    OK(klient_consumer_destroy(c));
    OK(klient_producer_destroy(p));
}

/* ---------------------------------------------------------------------------------- */
static int sink_lines;
static int sink_txn;
static void sink(void *ud, const char *line, size_t len) {
    int *marker = ud;
    if (*marker != 42) return;
    __atomic_add_fetch(&sink_lines, 1, __ATOMIC_SEQ_CST);
    if (len > 10 && memmem(line, len, "\"event\":\"transaction_", 21)) __atomic_add_fetch(&sink_txn, 1, __ATOMIC_SEQ_CST);
}

static void test_metrics_events(const char *topic) {
    OK(klient_metrics_reset(E));
    OK(klient_metrics_inc("ctest.counter", 5, E));
    OK(klient_metrics_inc("ctest.counter", 2, E));
    int64_t v = 0;
    OK(klient_metrics_get("ctest.counter", &v, E));
    CHECK(v == 7, "counter %lld", (long long)v);
    OK(klient_metrics_get("ctest.never", &v, E));
    CHECK(v == 0, "unknown counter 0");
    char *js = NULL;
    OK(klient_metrics_snapshot(&js, E));
    CHECK(js && strstr(js, "\"ctest.counter\":7"), "snapshot %s", js ? js : "");
    klient_free(js);
    OK(klient_metrics_prometheus(&js, E));
    CHECK(js && strstr(js, "klient_ctest_counter_total 7") && strstr(js, "# TYPE"), "prometheus %s", js ? js : "");
    klient_free(js);
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "name", klient_metrics_inc(NULL, 1, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "out", klient_metrics_get("x", NULL, E));

    static int marker = 42;
    OK(klient_events_set_sink(sink, &marker, E));
    klient_producer_t *p = NULL;
    char tid[128], extra[256];
    name(tid, sizeof tid, "evtx");
    snprintf(extra, sizeof extra, "\"transactional.id\":\"%s\"", tid);
    OK(klient_producer_new(cfg(extra), &p, E));
    klient_message_t m = {.topic = topic, .partition = -1, .value = "e", .value_len = 1};
    OK(klient_producer_begin_transaction(p, NULL, E));
    OK(klient_producer_produce(p, &m, 30000, NULL, E));
    OK(klient_producer_commit_transaction(p, 30000, NULL, E));
    CHECK(sink_txn >= 2, "sink got transaction_begin and transaction_commit (%d of %d lines)", sink_txn, sink_lines);
    OK(klient_metrics_get("producer.tx.commit", &v, E));
    CHECK(v == 1, "core counter visible from C: %lld", (long long)v);
    OK(klient_events_set_sink(NULL, NULL, E));
    int before = sink_lines;
    OK(klient_producer_begin_transaction(p, NULL, E));
    OK(klient_producer_abort_transaction(p, 30000, NULL, E));
    CHECK(sink_lines == before, "no events after removing the sink");
    OK(klient_producer_destroy(p));
}

static int log_fail;      /* FAIL lines of a producer naming 127.0.0.1:1 at syslog level 3 */
static void log_cb(void *ud, int level, const char *client, const char *facility, const char *name,
                   const char *message) {
    int *marker = ud;
    if (*marker != 43) return;
    if (level == 3 && !strcmp(client, "producer") && !strcmp(facility, "FAIL") && !strncmp(name, "rdkafka#producer-", 17) &&
        strstr(message, "127.0.0.1:1"))
        __atomic_store_n(&log_fail, 1, __ATOMIC_SEQ_CST);
}

/* A refused connection reaches the log callback and nothing reaches stderr (fd 2 goes to
 * a temporary file meanwhile). */
static void test_log_cb(void) {
    static int marker = 43;
    OK(klient_set_log_cb(log_cb, &marker, E));
    fflush(stderr);
    char path[] = "/tmp/klient-ctest-stderr-XXXXXX";
    int tmp = mkstemp(path), saved = dup(2);
    dup2(tmp, 2);
    klient_producer_t *p = NULL;
    int rc = klient_producer_new("{\"bootstrap.servers\":\"127.0.0.1:1\"}", &p, NULL);
    for (int i = 0; rc == KLIENT_OK && i < 200 && !__atomic_load_n(&log_fail, __ATOMIC_SEQ_CST); i++) usleep(100 * 1000);
    if (p) klient_producer_destroy(p);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    off_t size = lseek(tmp, 0, SEEK_END);
    close(tmp);
    unlink(path);
    CHECK(rc == KLIENT_OK, "producer to 127.0.0.1:1 created");
    CHECK(log_fail, "the refused connection reached the log callback within 20s");
    CHECK(size == 0, "nothing on stderr while the log callback is set (%lld bytes)", (long long)size);
    OK(klient_set_log_cb(NULL, NULL, E));
}

/* Statistics documents seen by stats_cb: the "name" of each (librdkafka's instance). */
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static char stats_names[64][128];
static int stats_n, stats_bad;
static void stats_cb(void *ud, const char *client, const char *json) {
    int *marker = ud;
    if (*marker != 44) return;
    /* librdkafka writes the name first: { "name": "rdkafka#producer-1", ... */
    const char *n = strstr(json, "\"name\": \"");
    const char *end = n ? strchr(n + 9, '"') : NULL;
    pthread_mutex_lock(&stats_mu);
    if (strcmp(client, "producer") || !strstr(json, "\"type\": \"producer\"") || !end || end - (n + 9) >= 128) {
        stats_bad++;
    } else if (stats_n < 64) {
        memcpy(stats_names[stats_n], n + 9, (size_t)(end - (n + 9)));
        stats_names[stats_n][end - (n + 9)] = 0;
        stats_n++;
    }
    pthread_mutex_unlock(&stats_mu);
}

static int stats_seen(const char *name) {
    pthread_mutex_lock(&stats_mu);
    int seen = 0;
    for (int i = 0; i < stats_n && !seen; i++) seen = !strcmp(stats_names[i], name);
    pthread_mutex_unlock(&stats_mu);
    return seen;
}

/* Two producers with statistics.interval.ms=100: each one's JSON document reaches the
 * statistics callback, named as klient_client_name names the producer; after the
 * callback is removed nothing more arrives. */
static void test_stats_cb(void) {
    static int marker = 44;
    OK(klient_set_stats_cb(stats_cb, &marker, E));
    klient_producer_t *p1 = NULL, *p2 = NULL;
    OK(klient_producer_new(cfg("\"statistics.interval.ms\":100"), &p1, E));
    OK(klient_producer_new(cfg("\"statistics.interval.ms\":100"), &p2, E));
    char *n1 = NULL, *n2 = NULL;
    OK(klient_client_name(p1, &n1, E));
    OK(klient_client_name(p2, &n2, E));
    CHECK(n1 && n2 && !strncmp(n1, "rdkafka#producer-", 17) && strcmp(n1, n2), "two producers, two names (%s, %s)", n1 ? n1 : "", n2 ? n2 : "");
    int64_t deadline = now_ms() + 10000;
    while (now_ms() < deadline && !(n1 && n2 && stats_seen(n1) && stats_seen(n2))) usleep(50 * 1000);
    CHECK(n1 && stats_seen(n1), "statistics of %s within 10 s", n1 ? n1 : "");
    CHECK(n2 && stats_seen(n2), "statistics of %s within 10 s", n2 ? n2 : "");
    CHECK(stats_bad == 0, "%d documents without \"type\": \"producer\" or a name", stats_bad);
    OK(klient_set_stats_cb(NULL, NULL, E));
    usleep(200 * 1000); /* a document being delivered may still reach the old callback */
    pthread_mutex_lock(&stats_mu);
    int before = stats_n;
    pthread_mutex_unlock(&stats_mu);
    usleep(500 * 1000);
    pthread_mutex_lock(&stats_mu);
    int after = stats_n;
    pthread_mutex_unlock(&stats_mu);
    CHECK(after == before, "no statistics after removing the callback (%d more)", after - before);
    OK(klient_producer_destroy(p1));
    FAILS(KLIENT_ERR_CLOSED, "destroyed", klient_client_name(p1, &n1, E));
    FAILS(KLIENT_ERR_INVALID_ARGUMENT, "NULL", klient_client_name(NULL, &n1, E));
    OK(klient_producer_destroy(p2));
    klient_free(n1);
    klient_free(n2);
}

static void test_cli(void) {
    char *argv[] = {"klient", "--help", NULL};
    fflush(stdout);
    int saved = dup(1), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    int rc = klient_cli_main(2, argv);
    char *bad[] = {"klient", "no-such-command", NULL};
    int saved2 = dup(2);
    dup2(devnull, 2);
    int rc2 = klient_cli_main(2, bad);
    fflush(stdout);
    dup2(saved, 1); dup2(saved2, 2);
    close(saved); close(saved2); close(devnull);
    CHECK(rc == 0, "cli --help exit %d", rc);
    CHECK(rc2 == 2, "cli unknown command exit %d", rc2);
}

int main(void) {
    const char *bs = getenv("KLIENT_TEST_BOOTSTRAP");
    if (!bs || !*bs) {
        fprintf(stderr, "KLIENT_TEST_BOOTSTRAP is not set (source build/broker.env)\n");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    snprintf(bootstrap, sizeof bootstrap, "%s", bs);
    srand((unsigned)(time(NULL) ^ getpid()));
    snprintf(suffix, sizeof suffix, "%d-%06d", (int)getpid(), rand() % 1000000);
    char topic[128], ttopic[128];
    name(topic, sizeof topic, "main");
    name(ttopic, sizeof ttopic, "txn");

    test_version();
    test_config();
    test_error_paths();
    test_admin(topic);
    int produced = 0;
    test_produce(topic, &produced);
    test_consume(topic, produced);
    test_packed();
    test_batch_lifetime();
    create_topic(ttopic, 1);
    test_transactions(ttopic);
    test_relay();
    test_bad_input(topic);
    test_boundary_values();
    test_relay_callback_error();
    test_metrics_events(ttopic);
    test_log_cb();
    test_stats_cb();
    test_cli();

    /* clean up the topics (the relay topics too) */
    char del[1024], *res = NULL, src[128], dst[128];
    char esrc[128], edst[128];
    name(src, sizeof src, "relay-src");
    name(dst, sizeof dst, "relay-dst");
    name(esrc, sizeof esrc, "relayerr-src");
    name(edst, sizeof edst, "relayerr-dst");
    char views[128];
    name(views, sizeof views, "views");
    snprintf(del, sizeof del, "[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"]", topic, ttopic, src, dst, esrc, edst, views);
    OK(klient_admin_delete_topics(admin, del, 30000, &res, E));
    CHECK(res && !strstr(res, "\"error\":\""), "delete %s", res ? res : "");
    klient_free(res);
    OK(klient_admin_destroy(admin));
    OK(klient_admin_destroy(admin));

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
