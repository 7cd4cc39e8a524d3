// Package klient is the core of the klient Kafka toolkit: producers, consumers, admin
// clients, transactions and an exactly-once relay on librdkafka (through
// confluent-kafka-go). The C ABI (libklient.so), the Python package and the klient CLI
// are thin faces over this package, so all three behave as it does.
//
// Clients are configured with a config.Map of librdkafka properties:
//
//	p, err := klient.NewProducer(config.Map{"bootstrap.servers": "localhost:9092"})
//	report, err := p.Produce(ctx, klient.Message{Topic: "events", Partition: klient.AnyPartition, Value: []byte("hello")})
//
// NewProducer gives synchronous (Produce; ProduceWithRetry adds retries and the
// circuit breaker) and asynchronous produce (ProduceAsync, one message or many, with
// DeliveryReports; SendBatch reports only failures), and transactions
// (BeginTransaction, CommitTransaction, AbortTransaction, SendOffsetsToTransaction).
// NewConsumer gives group consumption (Subscribe, ConsumeBatch, Stream, Seek, Commit)
// with read_committed isolation by default; NewAdmin manages topics. NewRelay copies a
// topic to another one exactly once, committing the source offsets inside each
// transaction. Failures that can pass are retried by ProduceWithRetry behind a circuit
// breaker.
//
// Every blocking call takes a context.Context, and every error is a *Error whose Kind
// works with errors.Is (ErrFenced, ErrRetriable, ErrClosed, ErrTransaction, ...).
// The three clients close alike: Close(ctx) releases everything the client holds, its
// file descriptors included, ctx bounding the producer's flush, the consumer's
// leave-group and the admin client's wait for requests still running.
// The runnable examples below need a broker: they read its address from
// KLIENT_TEST_BOOTSTRAP (make broker-up; source build/broker.env).
package klient
