package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	adminEnv    string   // effective admin env
	bootstrap   string
	bootstrapBy string // where bootstrap came from: flag, environment, config, default
	rawDoc      *Obj   // the released CLI's env_config_raw: "default" (or the whole file), in file order
	rawKeys     []string
	raw         map[string]any
	producer    config.Map
	consumer    config.Map
	admin       config.Map
}

// resolveConfig applies the released CLI's precedence: a role env (--producer-env,
// --consumer-env, --admin-env) wins over --env, which is overlaid on "default"; one
// bootstrap serves every role: --bootstrap-servers, then $KLIENT_BOOTSTRAP_SERVERS, then
// the first of the producer, consumer and admin settings that names one, then
// localhost:9092; -X properties win over everything. A file named explicitly must exist
// and a named environment must be in the file (usage errors, where the released CLI
// silently used "default").
func (a *app) resolveConfig() (*resolved, error) {
	r := &resolved{env: a.g.env, rawDoc: obj()}
	explicit := a.g.configFile != ""
	path := a.g.configFile
	if path == "" {
		path = config.DefaultPath()
	}
	r.path = path
	if st, err := os.Stat(path); explicit && err == nil && st.IsDir() {
		return nil, usagef("--config-file %s is a directory", path) // click's Path(dir_okay=False)
	}
	f, err := config.LoadFile(path)
	switch {
	case errors.Is(err, config.ErrFileNotFound):
		if explicit {
			return nil, usagef("config file %s does not exist (check --config-file)", path)
		}
		f = &config.File{Path: path, Doc: map[string]any{}}
	case err != nil:
		// A file that cannot be read or parsed is an operational error (exit 1), as the
		// released CLI's ValueError was.
		return nil, err
	default:
		r.found = true
		if r.rawDoc, err = orderedFileDoc(path, f); err != nil {
			return nil, err
		}
	}
	r.rawKeys = r.rawDoc.Keys()
	r.envs = f.Environments()
	r.producerEnv = firstNonEmpty(a.g.producerEnv, a.g.env)
	r.consumerEnv = firstNonEmpty(a.g.consumerEnv, a.g.env)
	r.adminEnv = firstNonEmpty(a.g.adminEnv, a.g.env)
	// resolve returns the raw settings of one environment.
	resolve := func(flag, env string) (map[string]any, error) {
		if env == "" || f.HasEnv(env) {
			return f.Resolve(env), nil
		}
		// The released loader's legacy layout: ~/.kafka/<env>.json when there is no
		// ~/.kafka/config.json.
		if !explicit && len(f.Doc) == 0 {
			legacy := filepath.Join(filepath.Dir(config.DefaultPath()), env+".json")
			if lf, err := config.LoadFile(legacy); err == nil {
				return lf.Doc, nil
			} else if !errors.Is(err, config.ErrFileNotFound) {
				return nil, err
			}
		}
		if !r.found {
			return nil, usagef("%s %q given but config file %s does not exist (pass --config-file)", flag, env, path)
		}
		avail := "none"
		if len(r.envs) > 0 {
			avail = strings.Join(r.envs, ", ")
		}
		return nil, usagef("environment %q (%s) not found in %s (available: %s)", env, flag, path, avail)
	}
	split := func(flag, env string) (config.Sections, error) {
		raw, err := resolve(flag, env)
		if err != nil {
			return config.Sections{}, err
		}
		s, err := config.Split(liftCommon(raw))
		if err != nil {
			return s, fmt.Errorf("config file %s, environment %q: %w", path, envName(env), err)
		}
		return s, nil
	}
	envFlag := func(role, roleEnv string) string {
		if roleEnv != "" {
			return "--" + role + "-env"
		}
		return "--env"
	}
	base, err := split("--env", a.g.env)
	if err != nil {
		return nil, err
	}
	ps, err := split(envFlag("producer", a.g.producerEnv), r.producerEnv)
	if err != nil {
		return nil, err
	}
	cs, err := split(envFlag("consumer", a.g.consumerEnv), r.consumerEnv)
	if err != nil {
		return nil, err
	}
	as, err := split(envFlag("admin", a.g.adminEnv), r.adminEnv)
	if err != nil {
		return nil, err
	}
	r.raw = base.Common
	r.producer, r.consumer, r.admin = ps.Producer, cs.Consumer, as.Admin
	switch {
	case a.g.bootstrap != "":
		r.bootstrap, r.bootstrapBy = a.g.bootstrap, "--bootstrap-servers"
	case os.Getenv(EnvBootstrap) != "":
		r.bootstrap, r.bootstrapBy = os.Getenv(EnvBootstrap), "$"+EnvBootstrap
	default:
		r.bootstrap, r.bootstrapBy = config.DefaultBootstrap, "default"
		for _, m := range []config.Map{r.producer, r.consumer, r.admin} {
			if bs, ok := m["bootstrap.servers"]; ok && fmt.Sprint(bs) != "" {
				r.bootstrap, r.bootstrapBy = fmt.Sprint(bs), "config file"
				break
			}
		}
	}
	extra, err := keyValues("property", a.g.props)
	if err != nil {
		return nil, err
	}
	if bs, ok := extra["bootstrap.servers"]; ok {
		r.bootstrap, r.bootstrapBy = bs, "-X"
	}
	for _, m := range []config.Map{r.producer, r.consumer, r.admin} {
		m["bootstrap.servers"] = r.bootstrap
		for k, v := range extra {
			m[k] = v
		}
	}
	return r, nil
}

// liftCommon applies the released layout's "common" section: its settings hold for every
// role (a role section still wins).
func liftCommon(raw map[string]any) map[string]any {
	common, ok := raw["common"].(map[string]any)
	if !ok {
		return raw
	}
	out := make(map[string]any, len(raw)+len(common))
	for k, v := range raw {
		if k != "common" {
			out[k] = v
		}
	}
	for k, v := range common {
		out[k] = v
	}
	return out
}

// orderedFileDoc is the released CLI's env_config_raw with the file's key order: the
// "default" object, or the whole document when there is none.
func orderedFileDoc(path string, f *config.File) (*Obj, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := pyParse(data)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %v", path, err)
	}
	doc, _ := v.(*Obj)
	if doc == nil {
		return obj(), nil
	}
	if def, ok := doc.Get("default"); ok {
		if d, ok := def.(*Obj); ok && len(d.keys) > 0 {
			return d, nil
		}
	}
	return doc, nil
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
		a.writeLine(a.stderr, marshalJSON(v, !a.g.pretty))
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
