package cli

import (
	"fmt"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

func commandTree() *command {
	return &command{
		short: "klient: a Kafka client toolkit (produce, consume, admin, relay) on librdkafka.",
		long: `Examples:
  klient produce send events --key k1 --value hello
  klient consume poll events --group g1 --timeout 2
  klient --json admin list-topics
  klient relay stream source-topic target-topic --group relay-g1 --transactional-id relay-tx-id --transform 'value.upper()'`,
		subs: []*command{
			produceCommand(),
			consumeCommand(),
			adminCommand(),
			loadCommand(),
			infoCommand(),
			relayCommand(),
			{name: "completion", args: "bash|zsh|fish", minArgs: 1, maxArgs: 1, short: "print a shell completion script", run: runCompletion},
		},
	}
}

// Version is klient's version (capi/capi.h's KLIENT_VERSION_STRING; a test keeps the two
// equal).
const Version = "0.1.0"

// ReleasedVersion is what `info version` prints: the version string of the released
// package klient replaces, as klient.__version__ in Python.
const ReleasedVersion = "0.1.02"

func (a *app) printVersion() error {
	_, v := kafka.LibraryVersion()
	fmt.Fprintf(a.stdout, "klient %s (librdkafka %s)\n", Version, v)
	return nil
}
