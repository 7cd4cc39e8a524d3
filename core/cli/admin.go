package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

const adminTimeout = 15 * time.Second

// adminCommand is the released `admin` group (klient also accepts several names).
func adminCommand() *command {
	return &command{name: "admin", short: "Administrative operations (topics, cluster).", subs: []*command{
		{name: "list-topics", args: "", maxArgs: 0, short: "list topic names (a JSON list)",
			flags: func(fs *pflag.FlagSet) {
				fs.Bool("internal", true, "include internal topics (__consumer_offsets, ...); --internal=false hides them")
			},
			run: runListTopics},
		{name: "describe-topic", aliases: []string{"describe-topics"}, args: "TOPIC...", minArgs: 1, maxArgs: -1,
			short: "partitions, replication factor and config of a topic (exit 2 if it does not exist)", run: runDescribeTopics},
		{name: "create-topic", aliases: []string{"create-topics"}, args: "NAME...", minArgs: 1, maxArgs: -1,
			short: `create topics: {"topic": NAME, "created": true|false}`,
			flags: func(fs *pflag.FlagSet) {
				fs.IntP("partitions", "p", 1, "number of partitions")
				fs.IntP("replication", "r", 1, "replication factor")
				fs.Int("replication-factor", 1, "the same as --replication")
				fs.StringArrayP("config", "c", nil, "topic config entry key=value (repeatable)")
			}, run: runCreateTopics},
		{name: "delete-topic", aliases: []string{"delete-topics"}, args: "NAME...", minArgs: 1, maxArgs: -1,
			short: `delete topics: {"topic": NAME, "deleted": true|false}`, run: runDeleteTopics},
		{name: "cluster-metadata", args: "", maxArgs: 0, short: "cluster id, controller, brokers and topics", run: runClusterMetadata},
	}}
}

// loadCommand is the released `load` group.
func loadCommand() *command {
	return &command{name: "load", short: "Load helper data for demos.", subs: []*command{
		{name: "test-data", args: "TOPIC", minArgs: 1, maxArgs: 1,
			short: "produce --count messages PREFIX-key-i / PREFIX-value-i with header loader=cli",
			flags: func(fs *pflag.FlagSet) {
				fs.IntP("count", "n", 10, "number of messages")
				fs.String("prefix", "sample", "prefix of keys and values")
			}, run: runLoadTestData},
	}}
}

// infoCommand is the released `info` group.
func infoCommand() *command {
	return &command{name: "info", short: "Informational commands.", subs: []*command{
		{name: "version", args: "", maxArgs: 0, short: "print the version of the released package klient replaces (klient's own: --version)", run: runVersion},
		{name: "config-dump", args: "", maxArgs: 0, short: "print the client configurations the commands use (secrets masked)",
			flags: func(fs *pflag.FlagSet) {
				fs.String("transactional-id", "", "show the producer configuration with this transactional id")
				fs.String("tx-id", "", "the same as --transactional-id")
			}, run: runConfigDump},
	}}
}

// withAdmin runs fn with an admin client and a context bounded by adminTimeout.
func (a *app) withAdmin(fn func(ctx context.Context, adm *klient.Admin) error) error {
	adm, err := klient.NewAdmin(props(a.cfg.admin, nil))
	if err != nil {
		return err
	}
	defer adm.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return fn(ctx, adm)
}

// one prints a single document for one name and a list of them for several (klient
// accepts several names where the released CLI takes one).
func one(docs []any) any {
	if len(docs) == 1 {
		return docs[0]
	}
	return docs
}

func runListTopics(a *app, _ []string) error {
	var names []string
	parts := map[string]int{}
	err := a.withAdmin(func(ctx context.Context, adm *klient.Admin) error {
		var err error
		if names, err = adm.ListTopics(ctx, a.flag("internal")); err != nil || len(names) == 0 || !a.out.table {
			return err
		}
		// Partition counts are a convenience of the table: the names alone are the answer.
		if infos, err := adm.DescribeTopics(ctx, names); err == nil {
			for _, ti := range infos {
				parts[ti.Name] = len(ti.Partitions)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	rows := make([]string, 0, len(names))
	for _, n := range names {
		rows = append(rows, fmt.Sprintf("%s\t%d", n, parts[n]))
	}
	if names == nil {
		names = []string{}
	}
	return a.out.result(names, "TOPIC\tPARTITIONS", rows)
}

// keyValues parses repeated KEY=VALUE flags.
func keyValues(flag string, vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usagef("--%s %q: expected KEY=VALUE", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}

func runCreateTopics(a *app, topics []string) error {
	cfg, err := keyValues("config", a.strs("config"))
	if err != nil {
		return err
	}
	rf := a.num("replication")
	if a.changed("replication-factor") {
		rf = a.num("replication-factor")
	}
	if a.num("partitions") < 1 {
		return usagef("--partitions must be >= 1, got %d", a.num("partitions"))
	}
	if rf < 1 {
		return usagef("--replication must be >= 1, got %d", rf)
	}
	specs := make([]klient.TopicSpec, len(topics))
	for i, t := range topics {
		specs[i] = klient.TopicSpec{Topic: t, NumPartitions: a.num("partitions"), ReplicationFactor: rf, Config: cfg}
	}
	var res []klient.TopicResult
	err = a.withAdmin(func(ctx context.Context, adm *klient.Admin) (err error) {
		res, err = adm.CreateTopics(ctx, specs)
		return err
	})
	if err != nil {
		return err
	}
	return a.topicResults(res, "created")
}

func runDeleteTopics(a *app, topics []string) error {
	var res []klient.TopicResult
	err := a.withAdmin(func(ctx context.Context, adm *klient.Admin) (err error) {
		res, err = adm.DeleteTopics(ctx, topics)
		return err
	})
	if err != nil {
		return err
	}
	return a.topicResults(res, "deleted")
}

// topicResults prints {"topic": T, "<done>": bool} per topic, as the released CLI
// does: a topic the broker refused (it exists, it does not exist) is false with exit 0,
// and the broker's reason goes to stderr. Failing to reach the broker at all is an error
// (the caller's), where the released CLI printed false and exited 0.
func (a *app) topicResults(res []klient.TopicResult, done string) error {
	docs := make([]any, 0, len(res))
	rows := make([]string, 0, len(res))
	for _, r := range res {
		status, msg := done, ""
		if r.Err != nil {
			status, msg = "error", r.Err.Error()
			a.diag("%s: %s", r.Topic, msg)
		}
		docs = append(docs, obj("topic", r.Topic, done, r.Err == nil))
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s", r.Topic, status, msg))
	}
	return a.out.result(one(docs), "TOPIC\tSTATUS\tERROR", rows)
}

func runDescribeTopics(a *app, topics []string) error {
	var infos []klient.TopicInfo
	var configs map[string]map[string]string
	err := a.withAdmin(func(ctx context.Context, adm *klient.Admin) (err error) {
		if infos, err = adm.DescribeTopics(ctx, topics); err != nil {
			return err
		}
		configs, err = adm.TopicConfigs(ctx, topics)
		return err
	})
	if errors.Is(err, klient.ErrNotFound) {
		// The released CLI's message and exit code for a missing topic.
		for _, t := range topics {
			a.diag("Topic '%s' not found", t)
		}
		return &exitError{code: ExitUsage}
	}
	if err != nil {
		return err
	}
	docs := make([]any, 0, len(infos))
	var rows []string
	for _, ti := range infos {
		rf := 0
		if len(ti.Partitions) > 0 {
			rf = len(ti.Partitions[0].Replicas)
		}
		cfg := map[string]any{}
		for k, v := range configs[ti.Name] {
			cfg[k] = v
		}
		docs = append(docs, obj("name", ti.Name, "partitions", len(ti.Partitions), "replication_factor", rf, "config", cfg))
		for _, p := range ti.Partitions {
			rows = append(rows, fmt.Sprintf("%s\t%d\t%d\t%s\t%s", ti.Name, p.Partition, p.Leader, ints(p.Replicas), ints(p.ISR)))
		}
	}
	return a.out.result(one(docs), "TOPIC\tPARTITION\tLEADER\tREPLICAS\tISR", rows)
}

func runClusterMetadata(a *app, _ []string) error {
	var ci *klient.ClusterInfo
	err := a.withAdmin(func(ctx context.Context, adm *klient.Admin) (err error) {
		ci, err = adm.ClusterMetadata(ctx)
		return err
	})
	if err != nil {
		return err
	}
	brokers := make([]any, len(ci.Brokers))
	rows := make([]string, len(ci.Brokers))
	for i, b := range ci.Brokers {
		brokers[i] = obj("id", b.ID, "host", b.Host, "port", b.Port)
		rows[i] = fmt.Sprintf("%d\t%s\t%d", b.ID, b.Host, b.Port)
	}
	doc := obj("cluster_id", ci.ClusterID, "controller_id", ci.ControllerID, "brokers", brokers,
		"topics_count", len(ci.Topics), "topics", ci.Topics)
	if a.out.table {
		a.out.lines([]string{"cluster_id = " + ci.ClusterID, fmt.Sprintf("controller_id = %d", ci.ControllerID),
			fmt.Sprintf("topics_count = %d", len(ci.Topics))}, 0)
	}
	return a.out.result(doc, "BROKER\tHOST\tPORT", rows)
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// runLoadTestData is the released `load test-data`: --count messages with key
// PREFIX-key-i, value PREFIX-value-i and header loader=cli, produced in order.
func runLoadTestData(a *app, args []string) error {
	topic, n, prefix := args[0], a.num("count"), a.str("prefix")
	if n < 0 {
		return usagef("--count must be >= 0, got %d", n)
	}
	p, err := a.newProducer("")
	if err != nil {
		return err
	}
	defer closeProducer(p)
	msgs := make([]klient.Message, n)
	for i := range msgs {
		msgs[i] = klient.Message{Topic: topic, Partition: klient.AnyPartition,
			Key: fmt.Appendf(nil, "%s-key-%d", prefix, i), Value: fmt.Appendf(nil, "%s-value-%d", prefix, i),
			Headers: []klient.Header{{Key: "loader", Value: []byte("cli")}}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cliMessageTimeout+5000)*time.Millisecond)
	defer cancel()
	if n > 0 {
		if _, _, err := p.ProduceAsync(ctx, msgs...); err != nil {
			return err
		}
		if _, err := p.Flush(ctx); err != nil {
			return err
		}
		for _, r := range p.DeliveryReports(0, 0) {
			if r.Err != nil {
				return fmt.Errorf("Load failed: %w", r.Err)
			}
		}
	}
	if a.out.table {
		a.out.lines([]string{fmt.Sprintf("Loaded %d message(s) into %s", n, topic)}, 0)
		return nil
	}
	return a.echo(obj("loaded", n, "topic", topic))
}

// runVersion prints the version line as the released CLI does: straight to stdout,
// whatever --json, --filter or --output-file say.
func runVersion(a *app, _ []string) error {
	a.writeLine(a.stdout, []byte(ReleasedVersion))
	return nil
}

// runConfigDump prints the released CLI's document: the three client configurations
// the commands would use (the released defaults, then the file's settings), the
// environment and the resolved file. Secrets are masked (the released CLI printed them).
func runConfigDump(a *app, _ []string) error {
	r := a.cfg
	tid := a.str("transactional-id")
	switch {
	case a.changed("tx-id"):
		tid = a.str("tx-id")
	case a.changed("transactional-id"):
	case r.producer["transactional.id"] != nil:
		tid = fmt.Sprint(r.producer["transactional.id"])
	}
	producer := releasedProducerConfig(r.bootstrap, tid)
	group := "config-dump-group"
	if v, ok := r.consumer["group.id"]; ok {
		group = fmt.Sprint(v)
	}
	consumer := releasedConsumerConfig(r.bootstrap, group)
	admin := obj("bootstrap.servers", r.bootstrap, "request.timeout.ms", 30000)
	overlay(producer, r.producer, "bootstrap.servers", "transactional.id")
	overlay(consumer, r.consumer, "bootstrap.servers", "group.id")
	overlay(admin, r.admin, "bootstrap.servers")
	var env any
	if r.env != "" {
		env = r.env
	}
	doc := obj("env", env, "bootstrap", r.bootstrap,
		"sections", obj("producer", maskObj(producer), "consumer", maskObj(consumer), "admin", maskObj(admin)),
		"env_raw_keys", r.rawKeys, "env_raw", maskObj(r.rawDoc))
	if a.out.table {
		v := a.configView(false)
		lines := []string{
			"config_file = " + fmt.Sprint(v["config_file"]),
			"environment = " + fmt.Sprint(v["environment"]),
			"available_environments = " + r2s(r.envs),
			"bootstrap_servers = " + r.bootstrap + " (from " + r.bootstrapBy + ")"}
		for _, sec := range []string{"config", "producer", "consumer", "admin"} {
			flatten(sec, v[sec].(map[string]any), &lines)
		}
		a.out.lines(lines, 0)
		return nil
	}
	return a.echo(doc)
}

// releasedProducerConfig is ProducerConfig(...).to_confluent_config() of the released
// package: its defaults, in its order, with the transactional settings it forces.
func releasedProducerConfig(bootstrap, tid string) *Obj {
	o := obj("bootstrap.servers", bootstrap, "acks", "all", "retries", 3, "batch.size", 16384, "linger.ms", 0,
		"compression.type", "none", "max.in.flight.requests.per.connection", 5, "enable.idempotence", true)
	if tid != "" {
		o.Set("transactional.id", tid).Set("transaction.timeout.ms", 60000).Set("enable.idempotence", true).
			Set("acks", "all").Set("retries", 2147483647).Set("max.in.flight.requests.per.connection", 5)
	}
	return o
}

// releasedConsumerConfig is the released ConsumerConfig(...).to_confluent_config().
func releasedConsumerConfig(bootstrap, group string) *Obj {
	return obj("bootstrap.servers", bootstrap, "group.id", group, "auto.offset.reset", "earliest",
		"enable.auto.commit", true, "auto.commit.interval.ms", 1000, "session.timeout.ms", 30000,
		"heartbeat.interval.ms", 10000, "isolation.level", "read_committed")
}

// overlay adds the file's settings (except the skipped keys) over the defaults.
func overlay(o *Obj, m map[string]any, skip ...string) {
outer:
	for _, k := range sortedKeys(m) {
		for _, s := range skip {
			if k == s {
				continue outer
			}
		}
		o.Set(k, toPy(m[k]))
	}
}

// maskObj replaces every sensitive value (config.IsSensitive) with the mask, at any depth.
func maskObj(o *Obj) *Obj {
	out := obj()
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		switch x := v.(type) {
		case *Obj:
			out.Set(k, maskObj(x))
		default:
			if v != nil && config.IsSensitive(k) {
				v = config.Masked
			}
			out.Set(k, v)
		}
	}
	return out
}
