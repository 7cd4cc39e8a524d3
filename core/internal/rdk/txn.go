package rdk

// The transactional API of an owned producer, called directly: each call blocks the
// calling goroutine's thread for up to its timeout (librdkafka's own semantics), while
// Poll keeps serving the delivery reports a commit waits for.

/*
#include <stdlib.h>
#include <librdkafka/rdkafka.h>
*/
import "C"

import "unsafe"

// TxnError is librdkafka's rd_kafka_error_t: a code, its text and its flags.
type TxnError struct {
	Code             int
	Text             string
	Fatal            bool
	Retriable        bool
	TxnRequiresAbort bool
}

func (e *TxnError) Error() string { return e.Text }

// txnError turns an rd_kafka_error_t into a TxnError (nil for none) and destroys it.
func txnError(e *C.rd_kafka_error_t) *TxnError {
	if e == nil {
		return nil
	}
	defer C.rd_kafka_error_destroy(e)
	return &TxnError{Code: int(C.rd_kafka_error_code(e)), Text: C.GoString(C.rd_kafka_error_string(e)),
		Fatal: C.rd_kafka_error_is_fatal(e) != 0, Retriable: C.rd_kafka_error_is_retriable(e) != 0,
		TxnRequiresAbort: C.rd_kafka_error_txn_requires_abort(e) != 0}
}

// InitTransactions registers the transactional.id, waiting up to ms (-1: forever).
func (p *Producer) InitTransactions(ms int) *TxnError {
	return txnError(C.rd_kafka_init_transactions(p.rk, C.int(ms)))
}

// BeginTransaction opens a transaction (local: no broker call).
func (p *Producer) BeginTransaction() *TxnError {
	return txnError(C.rd_kafka_begin_transaction(p.rk))
}

// CommitTransaction flushes and commits, waiting up to ms (-1: forever).
func (p *Producer) CommitTransaction(ms int) *TxnError {
	return txnError(C.rd_kafka_commit_transaction(p.rk, C.int(ms)))
}

// AbortTransaction purges and aborts, waiting up to ms (-1: forever).
func (p *Producer) AbortTransaction(ms int) *TxnError {
	return txnError(C.rd_kafka_abort_transaction(p.rk, C.int(ms)))
}

// TxnOffset is an offset for SendOffsetsToTransaction.
type TxnOffset struct {
	Partition
	Metadata string
}

// SendOffsetsToTransaction adds offsets to the open transaction on behalf of the
// consumer group that consumer belongs to (its group metadata fences zombies),
// waiting up to ms (-1: forever).
func (p *Producer) SendOffsetsToTransaction(offsets []TxnOffset, consumer *Handle, ms int) *TxnError {
	md := C.rd_kafka_consumer_group_metadata(consumer.rk)
	if md == nil {
		return &TxnError{Code: int(C.RD_KAFKA_RESP_ERR__INVALID_ARG), Text: "the consumer has no group metadata (not a group member)"}
	}
	defer C.rd_kafka_consumer_group_metadata_destroy(md)
	l := C.rd_kafka_topic_partition_list_new(C.int(len(offsets)))
	defer C.rd_kafka_topic_partition_list_destroy(l)
	for _, o := range offsets {
		topic := C.CString(o.Topic)
		tp := C.rd_kafka_topic_partition_list_add(l, topic, C.int32_t(o.Partition.Partition))
		C.free(unsafe.Pointer(topic))
		tp.offset = C.int64_t(o.Offset)
		if o.Metadata != "" {
			// librdkafka frees the list's metadata with the list: give it malloc'ed bytes.
			tp.metadata = C.CBytes([]byte(o.Metadata))
			tp.metadata_size = C.size_t(len(o.Metadata))
		}
	}
	return txnError(C.rd_kafka_send_offsets_to_transaction(p.rk, l, md, C.int(ms)))
}
