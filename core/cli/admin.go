package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	klient "github.com/klient-dev/klient/core"
)

const adminTimeout = 15 * time.Second

// withAdmin runs fn with an admin client and a context bounded by adminTimeout.
func (a *app) withAdmin(fn func(ctx context.Context, adm *klient.Admin) error) error {
	adm, err := klient.NewAdmin(props(a.cfg.admin, nil))
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return fn(ctx, adm)
}

func runListTopics(a *app, _ []string) error {
	var names []string
	parts := map[string]int{}
	err := a.withAdmin(func(ctx context.Context, adm *klient.Admin) error {
		var err error
		if names, err = adm.ListTopics(ctx, a.flag("internal")); err != nil || len(names) == 0 {
			return err
		}
		// Partition counts are a convenience: the names alone are the answer.
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
	items := make([]any, 0, len(names))
	rows := make([]string, 0, len(names))
	for _, n := range names {
		items = append(items, map[string]any{"name": n, "partitions": parts[n]})
		rows = append(rows, fmt.Sprintf("%s\t%d", n, parts[n]))
	}
	a.out.records(items, "TOPIC\tPARTITIONS", rows)
	return nil
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
	if a.num("partitions") < 1 {
		return usagef("--partitions must be >= 1, got %d", a.num("partitions"))
	}
	if a.num("replication-factor") < 1 {
		return usagef("--replication-factor must be >= 1, got %d", a.num("replication-factor"))
	}
	specs := make([]klient.TopicSpec, len(topics))
	for i, t := range topics {
		specs[i] = klient.TopicSpec{Topic: t, NumPartitions: a.num("partitions"), ReplicationFactor: a.num("replication-factor"), Config: cfg}
	}
	var res []klient.TopicResult
	err = a.withAdmin(func(ctx context.Context, adm *klient.Admin) (err error) {
		res, err = adm.CreateTopics(ctx, specs)
		return err
	})
	if err != nil {
		return err
	}
	return a.topicResults(res, "created", "already exists", a.flag("if-not-exists"), func(e error) bool {
		return strings.Contains(e.Error(), "already exists") || strings.Contains(e.Error(), "TOPIC_ALREADY_EXISTS")
	})
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
	return a.topicResults(res, "deleted", "does not exist", a.flag("if-exists"), func(e error) bool {
		return errors.Is(e, klient.ErrNotFound)
	})
}

// topicResults prints one row per topic and fails (exit 1) if any topic failed,
// unless the failure is the benign one the --if-(not-)exists flag accepts.
func (a *app) topicResults(res []klient.TopicResult, okStatus, benignStatus string, allowBenign bool, benign func(error) bool) error {
	items := make([]any, 0, len(res))
	rows := make([]string, 0, len(res))
	var failed []string
	for _, r := range res {
		status, msg := okStatus, ""
		if r.Err != nil {
			if allowBenign && benign(r.Err) {
				status = benignStatus
			} else {
				status, msg = "error", r.Err.Error()
				failed = append(failed, r.Topic+": "+msg)
			}
		}
		item := map[string]any{"topic": r.Topic, "status": status}
		if msg != "" {
			item["error"] = msg
		}
		items = append(items, item)
		rows = append(rows, fmt.Sprintf("%s\t%s\t%s", r.Topic, status, msg))
	}
	a.out.records(items, "TOPIC\tSTATUS\tERROR", rows)
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d topic(s) failed: %s", len(failed), len(res), strings.Join(failed, "; "))
	}
	return nil
}

func runDescribeTopics(a *app, topics []string) error {
	var infos []klient.TopicInfo
	err := a.withAdmin(func(ctx context.Context, adm *klient.Admin) (err error) {
		infos, err = adm.DescribeTopics(ctx, topics)
		return err
	})
	if err != nil {
		return err
	}
	items := make([]any, 0, len(infos))
	var rows []string
	for _, ti := range infos {
		items = append(items, ti)
		for _, p := range ti.Partitions {
			rows = append(rows, fmt.Sprintf("%s\t%d\t%d\t%s\t%s", ti.Name, p.Partition, p.Leader, ints(p.Replicas), ints(p.ISR)))
		}
	}
	a.out.records(items, "TOPIC\tPARTITION\tLEADER\tREPLICAS\tISR", rows)
	return nil
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

func runConfigDump(a *app, _ []string) error {
	v := a.configView(false)
	var lines []string
	lines = append(lines,
		"config_file = "+fmt.Sprint(v["config_file"]),
		"environment = "+fmt.Sprint(v["environment"]),
		"available_environments = "+r2s(a.cfg.envs),
		"bootstrap_servers = "+fmt.Sprint(v["bootstrap_servers"])+" (from "+fmt.Sprint(v["bootstrap_source"])+")")
	for _, sec := range []string{"config", "producer", "consumer", "admin"} {
		flatten(sec, v[sec].(map[string]any), &lines)
	}
	a.out.doc(v, lines)
	return nil
}
