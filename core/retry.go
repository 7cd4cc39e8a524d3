package klient

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/klient-dev/klient/core/events"
	"github.com/klient-dev/klient/core/metrics"
)

// BreakerState is the state of a producer's circuit breaker.
type BreakerState int

// The breaker states. Closed lets calls through; Open rejects them until the cool-down
// has passed; HalfOpen lets exactly one trial call through, whose outcome closes or
// re-opens the breaker.
const (
	BreakerClosed BreakerState = iota
	BreakerOpen
	BreakerHalfOpen
)

// String is "closed", "open" or "half_open".
func (s BreakerState) String() string {
	return [...]string{"closed", "open", "half_open"}[s]
}

// BreakerConfig tunes the breaker. The zero value means a 5 s cool-down.
type BreakerConfig struct {
	Cooldown time.Duration
}

// DefaultBreakerCooldown is the cool-down of a zero BreakerConfig.
const DefaultBreakerCooldown = 5 * time.Second

// Breaker opens when a retrying produce exhausts its attempts, so that callers fail
// fast instead of spinning against a broken cluster; after Cooldown one trial call
// (half-open) decides whether it closes again.
type Breaker struct {
	mu       sync.Mutex
	cfg      BreakerConfig
	state    BreakerState
	openedAt time.Time
	trial    bool
	now      func() time.Time
}

// NewBreaker returns a closed breaker.
func NewBreaker(cfg BreakerConfig) *Breaker {
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = DefaultBreakerCooldown
	}
	return &Breaker{cfg: cfg, now: time.Now}
}

// State is the current state (an open breaker past its cool-down reports half_open).
func (b *Breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && b.now().Sub(b.openedAt) >= b.cfg.Cooldown {
		return BreakerHalfOpen
	}
	return b.state
}

// Allow returns nil when a call may proceed, or an ErrCircuitOpen error.
func (b *Breaker) Allow(topic string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerClosed:
		return nil
	case BreakerOpen:
		if b.now().Sub(b.openedAt) >= b.cfg.Cooldown {
			b.state, b.trial = BreakerHalfOpen, true
			metrics.Inc(metrics.ProducerCircuitHalfOpen, 1)
			events.Emit("produce_circuit_half_open", events.F("topic", topic))
			return nil
		}
	case BreakerHalfOpen:
		if !b.trial {
			b.trial = true
			return nil
		}
	}
	metrics.Inc(metrics.ProducerCircuitRejected, 1)
	retryIn := b.cfg.Cooldown - b.now().Sub(b.openedAt)
	return &Error{Kind: KindCircuitOpen, Op: "produce_with_retry", Message: "circuit breaker is open after repeated failures; retry in " + retryIn.Round(time.Millisecond).String()}
}

// Success closes the breaker.
func (b *Breaker) Success(topic string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trial = false
	if b.state != BreakerClosed {
		b.state = BreakerClosed
		metrics.Inc(metrics.ProducerCircuitClose, 1)
		events.Emit("produce_circuit_close", events.F("topic", topic))
	}
}

// Failure records a failed call. exhausted means every attempt was used; a failed
// half-open trial re-opens the breaker too.
func (b *Breaker) Failure(topic string, exhausted bool, attempts int, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	wasTrial := b.state == BreakerHalfOpen
	b.trial = false
	if !exhausted && !wasTrial {
		return
	}
	b.state, b.openedAt = BreakerOpen, b.now()
	metrics.Inc(metrics.ProducerCircuitOpen, 1)
	events.Emit("produce_circuit_open", events.F("topic", topic), events.F("attempts", attempts), events.F("error", errString(err)))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// RetryOptions tune ProduceWithRetry. Zero values mean 5 attempts and 50 ms.
type RetryOptions struct {
	MaxAttempts int
	BaseBackoff time.Duration
}

// Backoff is the sleep before retry number attempt (1-based):
// base * 2^(attempt-1), with ±10% jitter.
func Backoff(base time.Duration, attempt int) time.Duration {
	d := float64(base) * float64(uint64(1)<<min(attempt-1, 30))
	return time.Duration(d * (0.9 + 0.2*rand.Float64()))
}

// Breaker returns the producer's circuit breaker.
func (p *Producer) Breaker() *Breaker { return p.breaker }

// SetBreakerConfig replaces the breaker (closed) with one using cfg.
func (p *Producer) SetBreakerConfig(cfg BreakerConfig) { p.breaker = NewBreaker(cfg) }

// ProduceWithRetry produces one message synchronously, retrying retriable failures with
// exponential backoff and jitter. Fatal and fencing errors are returned at once. When
// the attempts are exhausted the producer's circuit breaker opens, and further calls
// fail fast with ErrCircuitOpen until its cool-down passes.
func (p *Producer) ProduceWithRetry(ctx context.Context, m Message, opt RetryOptions) (DeliveryReport, error) {
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 5
	}
	if opt.BaseBackoff <= 0 {
		opt.BaseBackoff = 50 * time.Millisecond
	}
	if err := p.check("produce_with_retry"); err != nil {
		return DeliveryReport{}, err
	}
	b := p.breaker
	if err := b.Allow(m.Topic); err != nil {
		return DeliveryReport{}, err
	}
	var lastErr error
	for attempt := 1; attempt <= opt.MaxAttempts; attempt++ {
		r, err := p.Produce(ctx, m)
		if err == nil {
			b.Success(m.Topic)
			return r, nil
		}
		lastErr = err
		if !IsRetriable(err) || ctx.Err() != nil {
			b.Failure(m.Topic, false, attempt, err)
			return r, err
		}
		if attempt == opt.MaxAttempts {
			break
		}
		metrics.Inc(metrics.ProducerRetry, 1)
		select {
		case <-time.After(Backoff(opt.BaseBackoff, attempt)):
		case <-ctx.Done():
			b.Failure(m.Topic, false, attempt, err)
			return r, err
		}
	}
	b.Failure(m.Topic, true, opt.MaxAttempts, lastErr)
	return DeliveryReport{}, &Error{Kind: KindRetriable, Op: "produce_with_retry", Retriable: true,
		Message: "gave up after " + itoa(opt.MaxAttempts) + " attempts: " + lastErr.Error(), Err: lastErr}
}

// IsRetriable reports whether retrying the operation that returned err may succeed.
func IsRetriable(err error) bool {
	var ke *Error
	if !errors.As(err, &ke) {
		return false
	}
	if ke.Kind == KindFenced || ke.Kind == KindFatal || ke.Fatal {
		return false
	}
	return ke.Retriable || ke.Kind == KindTimeout || ke.Kind == KindRetriable
}

func itoa(i int) string {
	return fmtInt(int64(i))
}
