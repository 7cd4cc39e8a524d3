package klient

import (
	"errors"
	"fmt"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Kind classifies every error klient returns. Use errors.Is(err, klient.ErrFenced) and
// friends; the C ABI maps each kind to a KLIENT_ERR_* code and Python to an exception.
type Kind int

// The kinds, with stable numeric values: they are the C ABI's error codes.
const (
	KindUnknown         Kind = -1
	KindInvalidArgument Kind = 1  // bad input from the caller
	KindClosed          Kind = 2  // the object was closed
	KindTimeout         Kind = 3  // the operation did not finish in time
	KindConfig          Kind = 4  // bad configuration (file, JSON, property)
	KindKafka           Kind = 5  // a Kafka error not classified further
	KindRetriable       Kind = 6  // a transient Kafka error: retrying may succeed
	KindFatal           Kind = 7  // the client instance is unusable
	KindFenced          Kind = 8  // another producer took over the transactional id
	KindTransaction     Kind = 9  // a transaction state or lifecycle error
	KindRebalance       Kind = 10 // a rebalance callback failed
	KindCircuitOpen     Kind = 11 // the circuit breaker rejected the call
	KindNotFound        Kind = 12 // a topic, environment or file that does not exist
	KindInternal        Kind = 13 // a bug in klient (a recovered panic)
	KindCallback        Kind = 14 // a user callback (transform, sink) returned an error
)

var kindNames = map[Kind]string{
	KindInvalidArgument: "invalid argument", KindClosed: "closed", KindTimeout: "timeout",
	KindConfig: "config", KindKafka: "kafka", KindRetriable: "retriable", KindFatal: "fatal",
	KindFenced: "fenced", KindTransaction: "transaction", KindRebalance: "rebalance",
	KindCircuitOpen: "circuit open", KindNotFound: "not found", KindInternal: "internal",
	KindCallback: "callback",
}

// String names the kind ("fenced", "timeout", ...).
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "unknown"
}

// Error implements error so a Kind can be a target of errors.Is.
func (k Kind) Error() string { return k.String() }

// Sentinels for errors.Is.
const (
	ErrInvalidArgument = KindInvalidArgument
	ErrClosed          = KindClosed
	ErrTimeout         = KindTimeout
	ErrConfig          = KindConfig
	ErrRetriable       = KindRetriable
	ErrFatal           = KindFatal
	ErrFenced          = KindFenced
	ErrTransaction     = KindTransaction
	ErrRebalance       = KindRebalance
	ErrCircuitOpen     = KindCircuitOpen
	ErrNotFound        = KindNotFound
	ErrInternal        = KindInternal
	ErrCallback        = KindCallback
)

// Error is the one error type of klient. It carries the classification that every face
// needs: a kind, librdkafka's code and name when Kafka produced it, and the flags
// librdkafka sets (retriable, fatal, transaction requires abort).
type Error struct {
	Kind             Kind
	Op               string // what was being done: "produce", "commit_transaction", ...
	Code             int    // librdkafka error code (kafka.ErrorCode), 0 when not Kafka's
	Message          string
	Retriable        bool
	Fatal            bool
	TxnRequiresAbort bool
	Err              error // the underlying error, if any
}

// Error renders "op: message [kafka code N]".
func (e *Error) Error() string {
	msg := e.Message
	if e.Code != 0 {
		msg = fmt.Sprintf("%s [kafka code %d]", msg, e.Code)
	}
	if e.Op != "" {
		return e.Op + ": " + msg
	}
	return msg
}

// Unwrap exposes the kind (for errors.Is) and the cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// Is makes errors.Is(err, KindRetriable) true for any retriable error, and likewise
// for fatal ones, whatever their primary kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	if !ok {
		return false
	}
	return k == e.Kind || (k == KindRetriable && e.Retriable) || (k == KindFatal && e.Fatal)
}

func newError(kind Kind, op, format string, args ...any) *Error {
	return &Error{Kind: kind, Op: op, Message: fmt.Sprintf(format, args...)}
}

// Errorf builds a klient error of the given kind. It is exported for the faces (C ABI,
// CLI) that need to report their own argument errors in the same shape.
func Errorf(kind Kind, op, format string, args ...any) *Error {
	return newError(kind, op, format, args...)
}

// fencingCodes are the librdkafka codes that mean "another producer instance owns this
// transactional id now".
var fencingCodes = map[kafka.ErrorCode]bool{
	kafka.ErrFenced:               true,
	kafka.ErrProducerFenced:       true,
	kafka.ErrInvalidProducerEpoch: true,
}

// retriableCodes are retried by ProduceWithRetry even when librdkafka does not flag the
// error retriable (delivery failures carry codes, not flags).
var retriableCodes = map[kafka.ErrorCode]bool{
	kafka.ErrMsgTimedOut: true, kafka.ErrTimedOut: true, kafka.ErrTransport: true,
	kafka.ErrAllBrokersDown: true, kafka.ErrQueueFull: true, kafka.ErrLeaderNotAvailable: true,
	kafka.ErrNotLeaderForPartition: true, kafka.ErrRequestTimedOut: true,
	kafka.ErrNetworkException: true, kafka.ErrNotEnoughReplicas: true,
	kafka.ErrNotEnoughReplicasAfterAppend: true, kafka.ErrNotCoordinator: true,
	kafka.ErrCoordinatorNotAvailable: true, kafka.ErrCoordinatorLoadInProgress: true,
	kafka.ErrBrokerNotAvailable: true, kafka.ErrUnknownTopicOrPart: false,
	kafka.ErrKafkaStorageError: true, kafka.ErrFencedLeaderEpoch: true,
	kafka.ErrUnknownLeaderEpoch: true, kafka.ErrOffsetNotAvailable: true,
	kafka.ErrConcurrentTransactions: true,
}

// fatalCodes are never retried.
var fatalCodes = map[kafka.ErrorCode]bool{
	kafka.ErrFatal: true, kafka.ErrMsgSizeTooLarge: true, kafka.ErrInvalidMsg: true,
	kafka.ErrTopicAuthorizationFailed: true, kafka.ErrClusterAuthorizationFailed: true,
	kafka.ErrTransactionalIDAuthorizationFailed: true, kafka.ErrInvalidConfig: true,
	kafka.ErrUnsupportedVersion: true, kafka.ErrInvalidRecord: true,
	kafka.ErrSaslAuthenticationFailed: true, kafka.ErrAuthentication: true,
	kafka.ErrUnknownTopic: true, kafka.ErrUnknownPartition: true,
	kafka.ErrInvalidArg: true, kafka.ErrTopicException: true,
}

// ErrorCodes lists the librdkafka codes of each classification set, for the Python
// package's RETRIABLE_ERROR_CODES / FATAL_ERROR_CODES / FENCING_ERROR_CODES.
func ErrorCodes() (retriable, fatal, fencing []int) {
	for c, on := range retriableCodes {
		if on {
			retriable = append(retriable, int(c))
		}
	}
	for c, on := range fatalCodes {
		if on {
			fatal = append(fatal, int(c))
		}
	}
	for c, on := range fencingCodes {
		if on {
			fencing = append(fencing, int(c))
		}
	}
	return
}

// FromKafka converts a confluent-kafka-go error into a classified *Error. Other errors
// are wrapped with kind KindKafka; nil stays nil.
func FromKafka(op string, err error) error {
	if err == nil {
		return nil
	}
	var ke *Error
	if errors.As(err, &ke) {
		return err
	}
	var kerr kafka.Error
	if !errors.As(err, &kerr) {
		return &Error{Kind: KindKafka, Op: op, Message: err.Error(), Err: err}
	}
	e := classify(op, kerr, kerr.IsRetriable(), kerr.TxnRequiresAbort())
	e.Err = err
	return e
}

// classify builds the *Error of a librdkafka error with its flags (for transactional
// calls, librdkafka's rd_kafka_error_t flags, which kafka.NewError cannot carry).
func classify(op string, kerr kafka.Error, retriable, txnRequiresAbort bool) *Error {
	code := kerr.Code()
	e := &Error{
		Op: op, Code: int(code), Message: kerr.Error(),
		Retriable: retriable || retriableCodes[code], Fatal: kerr.IsFatal() || fatalCodes[code],
		TxnRequiresAbort: txnRequiresAbort, Err: kerr,
	}
	switch {
	case fencingCodes[code]:
		e.Kind, e.Retriable = KindFenced, false
	case kerr.IsTimeout() || code == kafka.ErrTimedOut || code == kafka.ErrMsgTimedOut:
		e.Kind = KindTimeout
	case e.Fatal:
		e.Kind, e.Retriable = KindFatal, false
	case e.Retriable:
		e.Kind = KindRetriable
	case code == kafka.ErrUnknownTopicOrPart || code == kafka.ErrUnknownTopic:
		e.Kind = KindNotFound
	case e.TxnRequiresAbort || code == kafka.ErrState:
		e.Kind = KindTransaction
	default:
		e.Kind = KindKafka
	}
	return e
}
