// Package testbroker finds the Kafka broker that klient's Go integration tests run
// against.
//
// The broker comes from KLIENT_TEST_BOOTSTRAP, which `make broker-up` / `make test`
// set (build/kafka.sh runs Apache Kafka from Maven Central on loopback, no Docker).
// Without it, and only when a Docker engine is reachable, a Kafka container is started
// through testcontainers-go for the life of the test process. Otherwise the caller gets
// an error that says how to start a broker: tests fail, they never skip.
package testbroker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	tckafka "github.com/testcontainers/testcontainers-go/modules/kafka"
)

// EnvVar is the one variable every suite reads the broker address from.
const EnvVar = "KLIENT_TEST_BOOTSTRAP"

// Image is the container image used when no broker address is given.
const Image = "apache/kafka:4.1.1"

var (
	once      sync.Once
	bootstrap string
	startErr  error
)

// Bootstrap returns the broker address, starting a container at most once per process.
func Bootstrap() (string, error) {
	if bs := os.Getenv(EnvVar); bs != "" {
		return bs, nil
	}
	once.Do(func() { bootstrap, startErr = startContainer() })
	return bootstrap, startErr
}

func startContainer() (addr string, err error) {
	how := "run `make broker-up` and `source build/broker.env` (or export " + EnvVar + "=host:port)"
	if !dockerReachable() {
		return "", fmt.Errorf("%s is not set and no Docker engine is reachable for testcontainers: %s", EnvVar, how)
	}
	// testcontainers panics on some Docker-host misconfigurations; report, don't crash.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("testcontainers could not start Kafka (%v): %s", r, how)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := tckafka.Run(ctx, Image, tckafka.WithClusterID("klient-test"))
	if err != nil {
		return "", fmt.Errorf("testcontainers could not start %s: %w; %s", Image, err, how)
	}
	brokers, err := c.Brokers(ctx)
	if err != nil || len(brokers) == 0 {
		return "", errors.Join(errors.New("testcontainers started Kafka but reported no broker address"), err)
	}
	return strings.Join(brokers, ","), nil
}

// dockerReachable checks DOCKER_HOST or the default socket without importing a Docker
// client of our own.
func dockerReachable() bool {
	host := os.Getenv("DOCKER_HOST")
	network, address := "unix", "/var/run/docker.sock"
	switch {
	case strings.HasPrefix(host, "unix://"):
		address = strings.TrimPrefix(host, "unix://")
	case strings.HasPrefix(host, "tcp://"):
		network, address = "tcp", strings.TrimPrefix(host, "tcp://")
	case host != "":
		return false
	}
	conn, err := net.DialTimeout(network, address, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
