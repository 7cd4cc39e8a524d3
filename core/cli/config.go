package cli

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/klient-dev/klient/core/config"
)

// EnvBootstrap overrides the config file's bootstrap.servers (but not the flag), so
// tests and demos can point every command at one broker.
const EnvBootstrap = "KLIENT_BOOTSTRAP_SERVERS"

// resolved is the configuration a command runs with.
type resolved struct {
	path        string // config file path ("" when none was found)
	found       bool
	envs        []string // environments available in the file
	env         string   // --env
	producerEnv string   // effective producer env
	consumerEnv string   // effective consumer env
	bootstrap   string
	bootstrapBy string // where bootstrap came from: flag, environment, config, default
	raw         map[string]any
	producer    config.Map
	consumer    config.Map
	admin       config.Map
}

// resolveConfig applies the precedence: a role env wins over --env, which wins over
// "default"; --bootstrap-servers wins over $KLIENT_BOOTSTRAP_SERVERS, which wins over
// the file, which wins over localhost:9092. A file or environment named explicitly
// must exist (usage error); the default file may be absent.
func (a *app) resolveConfig() (*resolved, error) {
	r := &resolved{env: a.g.env}
	explicit := a.g.configFile != ""
	path := a.g.configFile
	if path == "" {
		path = config.DefaultPath()
	}
	r.path = path
	f, err := config.LoadFile(path)
	switch {
	case errors.Is(err, config.ErrFileNotFound):
		if explicit {
			return nil, usagef("config file %s does not exist (check --config-file)", path)
		}
		f = &config.File{Path: path, Doc: map[string]any{}}
	case err != nil:
		return nil, usagef("%v", err)
	default:
		r.found = true
	}
	r.envs = f.Environments()
	for flag, env := range map[string]string{"--env": a.g.env, "--producer-env": a.g.producerEnv, "--consumer-env": a.g.consumerEnv} {
		if env != "" && !f.HasEnv(env) {
			if !r.found {
				return nil, usagef("%s %q given but config file %s does not exist (pass --config-file)", flag, env, path)
			}
			avail := "none"
			if len(r.envs) > 0 {
				avail = strings.Join(r.envs, ", ")
			}
			return nil, usagef("environment %q (%s) not found in %s (available: %s)", env, flag, path, avail)
		}
	}
	r.producerEnv = firstNonEmpty(a.g.producerEnv, a.g.env)
	r.consumerEnv = firstNonEmpty(a.g.consumerEnv, a.g.env)
	split := func(env string) (config.Sections, error) {
		s, err := config.Split(f.Resolve(env))
		if err != nil {
			return s, usagef("config file %s, environment %q: %v", path, envName(env), err)
		}
		return s, nil
	}
	base, err := split(a.g.env)
	if err != nil {
		return nil, err
	}
	ps, err := split(r.producerEnv)
	if err != nil {
		return nil, err
	}
	cs, err := split(r.consumerEnv)
	if err != nil {
		return nil, err
	}
	// The merged view: flat properties with librdkafka names (bootstrap_servers and
	// bootstrap.servers are one property), role sections shown per role.
	r.raw = base.Common
	r.producer, r.consumer, r.admin = ps.Producer, cs.Consumer, base.Admin
	switch {
	case a.g.bootstrap != "":
		r.bootstrap, r.bootstrapBy = a.g.bootstrap, "--bootstrap-servers"
	case os.Getenv(EnvBootstrap) != "":
		r.bootstrap, r.bootstrapBy = os.Getenv(EnvBootstrap), "$"+EnvBootstrap
	}
	for _, m := range []config.Map{r.producer, r.consumer, r.admin} {
		if r.bootstrap != "" {
			m["bootstrap.servers"] = r.bootstrap
		} else if bs, ok := m["bootstrap.servers"]; !ok || fmt.Sprint(bs) == "" {
			m["bootstrap.servers"] = config.DefaultBootstrap
		}
	}
	if r.bootstrap == "" {
		r.bootstrap = fmt.Sprint(r.admin["bootstrap.servers"])
		r.bootstrapBy = "config file"
		if _, ok := base.Common["bootstrap.servers"]; !ok {
			r.bootstrapBy = "default"
		}
	}
	return r, nil
}

func envName(env string) string {
	if env == "" {
		return "default"
	}
	return env
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// configView is what --show-config and info config-dump print. Every map goes through
// config.Mask: secrets never leave the process.
func (a *app) configView(withCommand bool) map[string]any {
	r := a.cfg
	file := r.path
	if !r.found {
		file += " (not found)"
	}
	envs := r.envs
	if envs == nil {
		envs = []string{}
	}
	v := map[string]any{
		"config_file":            file,
		"environment":            envName(r.env),
		"producer_environment":   envName(r.producerEnv),
		"consumer_environment":   envName(r.consumerEnv),
		"bootstrap_servers":      r.bootstrap,
		"bootstrap_source":       r.bootstrapBy,
		"available_environments": envs,
		"config":                 config.Mask(r.raw),
		"producer":               config.Mask(r.producer),
		"consumer":               config.Mask(r.consumer),
		"admin":                  config.Mask(r.admin),
	}
	if withCommand {
		v["command"] = a.cmdName
		v["parameters"] = a.params()
	}
	return v
}

// showConfig prints the configuration to stderr, so stdout stays the command's data.
func (a *app) showConfig() {
	v := a.configView(true)
	if a.g.json {
		a.writeLine(a.stderr, marshalJSON(v, a.g.compactJSON))
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "=== klient configuration ===\n")
	fmt.Fprintf(&b, "Connection:\n  bootstrap servers: %s (from %s)\n", v["bootstrap_servers"], v["bootstrap_source"])
	fmt.Fprintf(&b, "  config file: %s\n", v["config_file"])
	fmt.Fprintf(&b, "  environment: %s (producer: %s, consumer: %s)\n", v["environment"], v["producer_environment"], v["consumer_environment"])
	fmt.Fprintf(&b, "Command: %s\n", a.cmdName)
	params := v["parameters"].(map[string]any)
	for _, k := range sortedKeys(params) {
		fmt.Fprintf(&b, "  --%s = %v\n", k, params[k])
	}
	for _, sec := range []string{"producer", "consumer", "admin"} {
		m := v[sec].(map[string]any)
		fmt.Fprintf(&b, "%s settings:\n", strings.ToUpper(sec[:1])+sec[1:])
		for _, k := range sortedKeys(m) {
			fmt.Fprintf(&b, "  %s = %v\n", k, m[k])
		}
	}
	envs := r2s(a.cfg.envs)
	fmt.Fprintf(&b, "Available environments: %s\n", envs)
	fmt.Fprintf(&b, "============================")
	a.writeLine(a.stderr, []byte(b.String()))
}

func r2s(envs []string) string {
	if len(envs) == 0 {
		return "(none)"
	}
	return strings.Join(envs, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// props copies a role map so a command can add its own properties.
func props(m config.Map, extra map[string]any) config.Map {
	out := config.Map{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}
