package klient_test

import "errors"

// containerBroker would start a Kafka container through testcontainers-go when a Docker
// engine is reachable. This project's machines have no Docker engine, so the tests use
// the broker that `make broker-up` starts (build/kafka.sh: Apache Kafka from Maven
// Central, KRaft, loopback) and this path only explains what to do.
func containerBroker() (string, error) {
	return "", errors.New("KLIENT_TEST_BOOTSTRAP is not set and no Docker engine is configured for testcontainers")
}
