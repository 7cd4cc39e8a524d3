/* Produce three messages and read them back with klient's C API.
 *
 *   make install PREFIX=$HOME/.local
 *   export PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig
 *   cc produce_consume.c $(pkg-config --cflags --libs klient) -o produce_consume
 *   ./produce_consume localhost:9092 my-topic
 */
#include <klient.h>

#include <stdio.h>
#include <string.h>

static int die(const char *what, klient_error_t *err) {
    fprintf(stderr, "%s: %s\n", what, err ? err->message : "unknown error");
    klient_error_destroy(err);
    return 1;
}

int main(int argc, char **argv) {
    const char *bootstrap = argc > 1 ? argv[1] : "localhost:9092";
    const char *topic = argc > 2 ? argv[2] : "klient-example";
    char config[512];
    klient_error_t *err = NULL;

    /* Produce: one call queues the whole batch; flush waits for delivery. */
    snprintf(config, sizeof config, "{\"bootstrap.servers\":\"%s\"}", bootstrap);
    klient_producer_t *producer = NULL;
    if (klient_producer_new(config, &producer, &err)) return die("producer", err);
    klient_message_t msgs[3];
    const char *values[3] = {"hello", "from", "C"};
    for (int i = 0; i < 3; i++) {
        msgs[i] = (klient_message_t){.topic = topic, .partition = -1, .key = "demo", .key_len = 4,
                                     .value = values[i], .value_len = strlen(values[i])};
    }
    if (klient_producer_produce_batch(producer, msgs, 3, NULL, NULL, &err)) return die("produce", err);
    if (klient_producer_flush(producer, 10000, &err)) return die("flush", err);
    klient_producer_destroy(producer);

    /* Consume: each batch is one library-owned buffer, freed by one call. */
    snprintf(config, sizeof config,
             "{\"bootstrap.servers\":\"%s\",\"group.id\":\"klient-example-c\",\"auto.offset.reset\":\"earliest\"}",
             bootstrap);
    klient_consumer_t *consumer = NULL;
    if (klient_consumer_new(config, 0, &consumer, &err)) return die("consumer", err);
    const char *topics[] = {topic};
    if (klient_consumer_subscribe(consumer, topics, 1, &err)) return die("subscribe", err);
    int seen = 0;
    for (int round = 0; round < 20 && seen < 3; round++) {
        klient_message_batch_t *batch = NULL;
        if (klient_consumer_consume(consumer, 100, 1000, &batch, &err)) return die("consume", err);
        for (size_t i = 0; i < batch->count; i++) {
            const klient_message_view_t *m = &batch->messages[i];
            printf("%s[%d]@%lld: %.*s\n", m->topic, m->partition, (long long)m->offset,
                   (int)m->value_len, m->value ? (const char *)m->value : "");
            seen++;
        }
        klient_message_batch_destroy(batch);
    }
    if (klient_consumer_commit(consumer, &err)) return die("commit", err);
    klient_consumer_destroy(consumer);
    printf("consumed %d messages with klient %s\n", seen, klient_version());
    return seen >= 3 ? 0 : 1;
}
