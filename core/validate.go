package klient

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The checks below are the one place where a value from a caller (C, Python, the CLI,
// Go) is checked before it reaches librdkafka, whose C API would otherwise truncate it
// silently: a NUL ends a C string ("t\x00evil" becomes "t"), an int is cut to int32, a
// time.Time goes through UnixNano. A refused value is a KindInvalidArgument error and
// nothing is sent.

// Timestamps confluent-kafka-go can pass on: it converts with time.Time.UnixNano, which
// is only defined between these two instants (years 1677 to 2262).
var (
	minTimestamp = time.Unix(0, math.MinInt64)
	maxTimestamp = time.Unix(0, math.MaxInt64)
)

// validateMessage checks everything of m that librdkafka would otherwise mangle.
func validateMessage(op string, m *Message) error {
	if err := ValidateTopic(op, m.Topic, false); err != nil {
		return err
	}
	if err := ValidatePartition(op, m.Partition, true); err != nil {
		return err
	}
	if err := ValidateTimestamp(op, m.Timestamp); err != nil {
		return err
	}
	for i, h := range m.Headers {
		if err := validateName(op, "header "+fmtInt(int64(i))+" key", h.Key); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePartition refuses partitions librdkafka cannot address: below 0, except -1
// (AnyPartition: let the partitioner or "every partition" decide) when allowAny.
func ValidatePartition(op string, partition int32, allowAny bool) error {
	if partition >= 0 || allowAny && partition == AnyPartition {
		return nil
	}
	if allowAny {
		return newError(KindInvalidArgument, op, "partition must be >= 0 (or -1 for any), got %d", partition)
	}
	return newError(KindInvalidArgument, op, "partition must be >= 0, got %d", partition)
}

// ValidatePartitionInt is ValidatePartition for a partition that arrives as a wider
// integer (JSON, Python, the CLI): anything outside int32 is refused instead of being
// cut to 32 bits (2**32 would otherwise land in partition 0).
func ValidatePartitionInt(op string, partition int64, allowAny bool) (int32, error) {
	if partition > math.MaxInt32 || partition < math.MinInt32 {
		return 0, newError(KindInvalidArgument, op, "partition %d is out of range (a Kafka partition is a 32-bit number, at most %d)", partition, math.MaxInt32)
	}
	return int32(partition), ValidatePartition(op, int32(partition), allowAny)
}

// ValidateTimestamp refuses a record timestamp the producer cannot carry exactly (the
// zero time means "now" and is accepted).
func ValidateTimestamp(op string, t time.Time) error {
	if t.IsZero() || !t.Before(minTimestamp) && !t.After(maxTimestamp) {
		return nil
	}
	return newError(KindInvalidArgument, op, "timestamp %s is out of range (between %s and %s)",
		t.UTC().Format(time.RFC3339), minTimestamp.UTC().Format(time.RFC3339), maxTimestamp.UTC().Format(time.RFC3339))
}

// TimestampFromMillis converts a timestamp in ms since the epoch (0 = now) to the time
// the core takes, refusing what cannot be carried exactly.
func TimestampFromMillis(op string, ms int64) (time.Time, error) {
	if ms == 0 {
		return time.Time{}, nil
	}
	t := time.UnixMilli(ms)
	return t, ValidateTimestamp(op, t)
}

// validateName refuses a NUL (librdkafka would cut the name there) and invalid UTF-8 in
// a header key or other name that Kafka stores as a string.
func validateName(op, what, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return newError(KindInvalidArgument, op, "%s %q contains a NUL byte at byte %d", what, s, i)
	}
	if !utf8.ValidString(s) {
		return newError(KindInvalidArgument, op, "%s %q is not valid UTF-8", what, s)
	}
	return nil
}

// MaxTimeout bounds every timeout a face hands to the core: longer waits are refused
// rather than overflowing time.Duration (1e308 s would become a negative duration and
// return at once). One year is far beyond any real wait.
const MaxTimeout = 365 * 24 * time.Hour

// TimeoutFromSeconds converts a timeout in seconds (Python, the CLI) into a duration:
// NaN, infinities, negative values and values above MaxTimeout are an invalid-argument
// error naming what, instead of a wait of a garbage length.
func TimeoutFromSeconds(op, what string, seconds float64) (time.Duration, error) {
	switch {
	case math.IsNaN(seconds) || math.IsInf(seconds, 0):
		return 0, newError(KindInvalidArgument, op, "%s must be a finite number of seconds, got %v", what, seconds)
	case seconds < 0:
		return 0, newError(KindInvalidArgument, op, "%s must be >= 0 seconds, got %v", what, seconds)
	case seconds > MaxTimeout.Seconds():
		return 0, newError(KindInvalidArgument, op, "%s of %v seconds is too long (at most %v seconds)", what, seconds, MaxTimeout.Seconds())
	}
	return time.Duration(seconds * float64(time.Second)), nil
}
