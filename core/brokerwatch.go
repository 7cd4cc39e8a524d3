package klient

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// UnreachableAfter is how long a call keeps waiting once librdkafka has reported every
// broker down (kcat gives up after 5 s too): long enough for a broker that is restarting
// to come back, short enough that a wrong address is a clear error, not a 10-30 s hang.
const UnreachableAfter = 5 * time.Second

// brokerWatch turns librdkafka's error events into early, precise failures. librdkafka
// keeps retrying a refused connection or a failed SASL login (the broker may come up,
// credentials may be fixed), so a metadata or admin request would otherwise wait out its
// whole timeout and end with a generic "transport failure".
type brokerWatch struct {
	bootstrap string
	mu        sync.Mutex
	downSince time.Time // every broker down since then; zero when not known down
	lastConn  string    // the latest connection error ("Connect to ipv4#127.0.0.1:1 failed: Connection refused ...")
	authErr   *Error    // the latest authentication failure
}

// observe records one error event.
func (w *brokerWatch) observe(e kafka.Error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch code := e.Code(); {
	case isAuthError(code):
		ae := FromKafka("authenticate", e).(*Error)
		ae.Message = "authentication failed: " + ae.Message
		w.authErr = ae
	case code == kafka.ErrAllBrokersDown:
		if w.downSince.IsZero() {
			w.downSince = time.Now()
		}
	case code == kafka.ErrTransport:
		w.lastConn = e.Error()
	}
}

// ok is called after a request succeeded: the brokers are reachable and the login
// works, so earlier failures no longer apply.
func (w *brokerWatch) ok() {
	w.mu.Lock()
	w.downSince, w.lastConn, w.authErr = time.Time{}, "", nil
	w.mu.Unlock()
}

// failure returns the error a call started at start should end with now, or nil to keep
// waiting: an authentication failure at once, unreachable brokers after UnreachableAfter
// (counted from the later of the call's start and the moment they were all down).
func (w *brokerWatch) failure(op string, start time.Time) error {
	w.mu.Lock()
	if w.authErr != nil {
		e := *w.authErr
		w.mu.Unlock()
		e.Op = op
		return &e
	}
	down := !w.downSince.IsZero() && time.Since(later(w.downSince, start)) >= UnreachableAfter
	w.mu.Unlock()
	if !down {
		return nil
	}
	// librdkafka reports brokers going down but not coming back (and may wait up to
	// reconnect.backoff.max.ms before it retries): a broker that accepts connections
	// again gets the call's whole timeout, as before.
	if anyReachable(w.bootstrap) {
		w.mu.Lock()
		w.downSince = time.Time{}
		w.mu.Unlock()
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	detail := w.lastConn
	if detail == "" {
		detail = "all brokers are down"
	}
	what := "cannot reach the broker"
	if strings.Contains(strings.ToLower(detail), "connection refused") {
		what = "connection refused"
	}
	return &Error{Kind: KindRetriable, Op: op, Code: int(kafka.ErrAllBrokersDown), Retriable: true,
		Message: what + " by " + w.bootstrap + " for " + UnreachableAfter.String() + " (" + detail +
			"); check that Kafka is running there and that bootstrap.servers names its listener"}
}

// anyReachable reports whether one of the bootstrap.servers addresses accepts a TCP
// connection now.
func anyReachable(bootstrap string) bool {
	for _, addr := range strings.Split(bootstrap, ",") {
		addr = strings.TrimSpace(addr)
		if i := strings.Index(addr, "://"); i >= 0 {
			addr = addr[i+3:] // PLAINTEXT://host:port
		}
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "9092") // librdkafka's default port
		}
		if c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond); err == nil {
			c.Close()
			return true
		}
	}
	return false
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// guard runs call under ctx and ends it early with the watch's failure. call must
// return soon after its context is cancelled; for librdkafka calls that take a timeout
// instead of a context, guard returns without waiting and wg lets Close wait for it.
func (w *brokerWatch) guard(ctx context.Context, wg *sync.WaitGroup, op string, call func(context.Context) error) error {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		done <- call(ctx)
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err == nil {
				w.ok()
			} else if early := w.failure(op, start); early != nil && isTransportLike(err) {
				// The request failed the generic way while the watch knows why.
				return early
			}
			return err
		case <-tick.C:
			if err := w.failure(op, start); err != nil {
				return err
			}
		}
	}
}

// isTransportLike: errors that only say the request did not get through.
func isTransportLike(err error) bool {
	var ke *Error
	if e, ok := err.(*Error); ok {
		ke = e
	}
	if ke == nil {
		return false
	}
	switch kafka.ErrorCode(ke.Code) {
	case kafka.ErrTransport, kafka.ErrAllBrokersDown, kafka.ErrTimedOut, kafka.ErrMsgTimedOut:
		return true
	}
	return ke.Kind == KindTimeout
}
