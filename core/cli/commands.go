package cli

import (
	"fmt"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/spf13/pflag"
)

// DefaultGroup is the consumer group of consume commands run without --group (and
// without group.id in the config file).
const DefaultGroup = "klient-cli"

const consumeLong = `poll, batch and stream differ in how long they run and how much they print:

  poll    one attempt: waits up to --timeout seconds for ONE message, prints it (or
          reports that none arrived) and exits.
  batch   bounded fetch: collects up to --count messages, waiting at most --timeout
          seconds in total, prints them and exits.
  stream  unlimited: prints messages as they arrive (one JSON object per line with
          --json) until --limit messages were printed or it is interrupted. Ctrl+C
          (SIGINT) or SIGTERM emits {"event":"shutdown_requested",...}, finishes the
          messages already fetched within --grace-period seconds, commits and ends
          with {"event":"stream_ended",...}; a second signal exits at once.

--timeout counts from the moment the group has assigned partitions (joining the group
can take a few seconds more). Offsets of printed messages are committed on exit, so
the next run with the same --group continues where this one stopped. The isolation
level defaults to read_committed (aborted transactional messages are hidden).
--seek-to-offset N starts every partition (or only --seek-to-partition P) at offset N.`

func consumeFlags(kind string) func(fs *pflag.FlagSet) {
	return func(fs *pflag.FlagSet) {
		fs.StringP("group", "g", DefaultGroup, "consumer group id (config group.id wins over the default)")
		switch kind {
		case "poll":
			fs.Float64("timeout", 5, "seconds to wait for a message")
		case "batch":
			fs.Float64("timeout", 5, "seconds to wait for the batch to fill")
			fs.Int("count", 10, "maximum number of messages")
		case "stream":
			fs.Float64("timeout", 1, "seconds per poll (how often the stream checks for shutdown)")
			fs.Int("limit", 0, "stop after this many messages (0: unlimited)")
			fs.Float64("grace-period", 2, "seconds to finish in-flight messages after SIGINT/SIGTERM (0: immediate)")
			fs.String("metrics-addr", "", "serve Prometheus metrics on host:port while streaming")
		}
		fs.Int64("seek-to-offset", -1, "start at this offset (every partition unless --seek-to-partition)")
		fs.Int32("seek-to-partition", -1, "with --seek-to-offset: only this partition")
		fs.String("isolation", "read_committed", "read_committed or read_uncommitted")
	}
}

func commandTree() *command {
	return &command{
		short: "klient: a Kafka client toolkit (produce, consume, admin, relay) on librdkafka.",
		long: `Examples:
  klient produce send events --key k1 --value hello
  klient consume poll events --group g1 --timeout 2
  klient --json admin list-topics
  klient relay stream source-topic target-topic --group relay-g1 --transactional-id relay-tx-id --transform 'value.upper()'`,
		subs: []*command{
			{name: "produce", short: "produce messages", subs: []*command{
				{name: "send", args: "TOPIC", minArgs: 1, maxArgs: 1, short: "produce one message and wait for its delivery",
					flags: func(fs *pflag.FlagSet) {
						fs.String("key", "", "message key")
						fs.String("value", "", "message value (required)")
						fs.Int32("partition", -1, "partition (-1: let the partitioner choose)")
						fs.StringArray("header", nil, "header KEY=VALUE (repeatable)")
					}, run: runProduceSend},
				{name: "transaction", args: "TOPIC", minArgs: 1, maxArgs: 1, short: "produce --count messages in one committed transaction",
					flags: func(fs *pflag.FlagSet) {
						fs.Int("count", 1, "number of messages")
						fs.String("transactional-id", "", "transactional id (required)")
						fs.String("value-prefix", "message", "values are PREFIX-1 .. PREFIX-N")
					}, run: runProduceTransaction},
				{name: "from-file", args: "TOPIC FILE", minArgs: 2, maxArgs: 2, short: "produce every object of a JSON array file",
					long: `FILE holds a JSON array of objects; each object becomes one message. Fields named by
--key-field, --partition-field and --headers-field are removed from the object and used as
the key, partition and headers; the rest of the object is the JSON value. With
--transactional-id, every --batch-size messages are one transaction: a failed batch is
aborted and none of its messages become visible to read_committed consumers.`,
					flags: func(fs *pflag.FlagSet) {
						fs.String("key-field", "", "field used as the message key")
						fs.String("partition-field", "", "field used as the partition number")
						fs.String("headers-field", "", "object field used as the message headers")
						fs.String("transactional-id", "", "produce in transactions of --batch-size messages")
						fs.Int("batch-size", 1000, "messages per batch (per transaction with --transactional-id)")
					}, run: runProduceFromFile},
			}},
			{name: "consume", short: "consume messages (poll, batch, stream)", long: consumeLong, subs: []*command{
				{name: "poll", args: "TOPIC", minArgs: 1, maxArgs: 1, short: "wait for one message", long: consumeLong, flags: consumeFlags("poll"), run: runConsume("poll")},
				{name: "batch", args: "TOPIC", minArgs: 1, maxArgs: 1, short: "fetch up to --count messages", long: consumeLong, flags: consumeFlags("batch"), run: runConsume("batch")},
				{name: "stream", args: "TOPIC", minArgs: 1, maxArgs: 1, short: "print messages until --limit or Ctrl+C", long: consumeLong, flags: consumeFlags("stream"), stream: true, run: runConsume("stream")},
			}},
			adminCommand(),
			loadCommand(),
			infoCommand(),
			{name: "relay", short: "exactly-once relay between topics", subs: []*command{
				{name: "stream", args: "SOURCE TARGET", minArgs: 2, maxArgs: 2, stream: true,
					short: "consume SOURCE, transform, produce to TARGET in transactions",
					long: `Buffers up to --batch-size messages of SOURCE, applies --transform to each, and
produces the results to TARGET in one transaction together with the source offsets
(exactly-once): a batch is either fully visible with its offsets committed
(relay_batch_committed) or aborted and retried (relay_batch_aborted).

--transform is a Python-style expression (Starlark) over value (str), key (str or None),
headers (dict), topic, partition and offset; it returns the new value (str or bytes) or
None to drop the message. Example: --transform 'value.upper()'.
SIGINT/SIGTERM: shutdown_requested, up to --grace-period seconds to finish the current
batch, then relay_stream_ended; a second signal exits at once.`,
					flags: func(fs *pflag.FlagSet) {
						fs.StringP("group", "g", "", "consumer group id (required)")
						fs.String("transactional-id", "", "transactional id (required)")
						fs.Int("batch-size", 100, "messages per transaction")
						fs.Float64("timeout", 0.5, "seconds to wait for a batch to fill before committing what arrived")
						fs.Float64("grace-period", 2, "seconds to finish the current batch after SIGINT/SIGTERM (0: immediate)")
						fs.String("transform", "", "expression computing the new value (None drops the message)")
						fs.Int("max-in-flight", 1, "transactions in flight at once")
						fs.String("metrics-addr", "", "serve Prometheus metrics on host:port while relaying")
						fs.String("isolation", "read_committed", "read_committed or read_uncommitted")
					}, run: runRelayStream},
			}},
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
