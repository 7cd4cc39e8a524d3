package cli

import (
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/events"
)

// globals are the flags every command accepts, before or after the command name. They
// are the released CLI's group options (same long and short names) plus klient's own.
type globals struct {
	configFile  string
	env         string
	producerEnv string
	consumerEnv string
	adminEnv    string
	bootstrap   string
	showConfig  bool
	json        bool
	pretty      bool // --pretty-json (default) / --compact-json: the last one given wins
	filter      string
	outputFile  string
	verbose     bool
	props       []string // -X prop=value, applied to every client (kcat)
	format      string   // json (the released CLI's documents) or table (klient's tables)
	version     bool
}

// prettyFlag is one side of the released CLI's --pretty-json/--compact-json pair: both
// write the same bool, so whichever comes last on the line wins, as in click.
type prettyFlag struct {
	dst  *bool
	sets bool
}

func (p *prettyFlag) String() string   { return strconv.FormatBool(*p.dst == p.sets) }
func (p *prettyFlag) Type() string     { return "bool" }
func (p *prettyFlag) IsBoolFlag() bool { return true }
func (p *prettyFlag) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*p.dst = b == p.sets
	return nil
}

type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	g              globals
	gset           *pflag.FlagSet // defined once: redefining a flag resets its value
	fs             *pflag.FlagSet // the leaf command's flags (+ globals)
	cmd            *command
	cmdName        string
	helpHint       string

	out *output
	cfg *resolved
	// lineMu serialises whole lines on stdout: data and events come from different
	// goroutines and must never interleave mid-line.
	lineMu sync.Mutex
}

func (a *app) globalFlags() *pflag.FlagSet {
	if a.gset == nil {
		a.g.pretty = true
		fs := pflag.NewFlagSet("klient", pflag.ContinueOnError)
		fs.SortFlags = false
		fs.StringVarP(&a.g.bootstrap, "bootstrap-servers", "b", "", "bootstrap servers, overriding the config file ($KLIENT_BOOTSTRAP_SERVERS; default localhost:9092)")
		fs.StringVarP(&a.g.env, "env", "e", "", "environment of the config file to use (overlaid on \"default\")")
		fs.StringVar(&a.g.producerEnv, "producer-env", "", "environment for the producer (wins over --env)")
		fs.StringVar(&a.g.consumerEnv, "consumer-env", "", "environment for the consumer (wins over --env)")
		fs.StringVar(&a.g.adminEnv, "admin-env", "", "environment for the admin client (wins over --env)")
		fs.StringVarP(&a.g.configFile, "config-file", "C", "", "configuration file (default ~/.kafka/config.json, or $KLIENT_CONFIG_FILE)")
		fs.BoolVar(&a.g.json, "json", false, "JSON output, also for plain values")
		fs.StringVarP(&a.g.outputFile, "output-file", "o", "", "write the command's result to this file instead of stdout")
		fs.Var(&prettyFlag{&a.g.pretty, true}, "pretty-json", "indented, key-sorted JSON (the default)")
		fs.Var(&prettyFlag{&a.g.pretty, false}, "compact-json", "single-line JSON")
		fs.Lookup("pretty-json").NoOptDefVal = "true"
		fs.Lookup("compact-json").NoOptDefVal = "true"
		fs.StringVarP(&a.g.filter, "filter", "f", "", "keep only matching output: a regex, or KEY:REGEX on JSON keys (case-insensitive)")
		fs.BoolVarP(&a.g.verbose, "verbose", "v", false, "verbose output")
		fs.BoolVar(&a.g.showConfig, "show-config", false, "print the effective configuration (secrets masked) to stderr before running")
		fs.StringArrayVarP(&a.g.props, "property", "X", nil, "librdkafka property prop=value for every client (repeatable; wins over the config file)")
		fs.StringVar(&a.g.format, "format", "json", "result format: json (the released CLI's documents) or table")
		fs.BoolVar(&a.g.version, "version", false, "print klient's and librdkafka's versions and exit")
		fs.SetOutput(io.Discard)
		a.gset = fs
		return fs
	}
	fs := pflag.NewFlagSet("klient", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.AddFlagSet(a.gset)
	return fs
}

// addGlobals adds the global flags to a command's flag set. Where the command has a
// short option of the same letter (send -v VALUE, consume -e), the command's wins
// after the command name and the global keeps its long name there.
func (a *app) addGlobals(fs *pflag.FlagSet) {
	a.gset.VisitAll(func(f *pflag.Flag) {
		if fs.Lookup(f.Name) != nil {
			return
		}
		if f.Shorthand != "" && fs.ShorthandLookup(f.Shorthand) != nil {
			long := *f
			long.Shorthand = ""
			fs.AddFlag(&long)
			return
		}
		fs.AddFlag(f)
	})
}

// prepare validates the global flags and sets up output and configuration, before the
// command touches Kafka: every usage error surfaces here, before anything is consumed.
func (a *app) prepare() error {
	if a.g.format != "json" && a.g.format != "table" {
		return usagef("--format must be json or table, got %q", a.g.format)
	}
	if a.g.outputFile != "" {
		if st, err := os.Stat(a.g.outputFile); err == nil && st.IsDir() {
			return usagef("--output-file %s is a directory", a.g.outputFile)
		}
	}
	cfg, err := a.resolveConfig()
	if err != nil {
		return err
	}
	a.cfg = cfg
	a.out = newOutput(a)
	// Long-running commands report klient's own events (rebalances, transactions) as
	// JSON lines on stderr: stdout holds the records and the released CLI's lifecycle
	// lines only. One-shot commands stay quiet.
	if a.cmd.stream {
		events.SetSink(func(line []byte) { a.writeLine(a.stderr, line) })
	}
	if a.g.verbose && len(cfg.rawKeys) > 0 {
		// The released CLI's line (on stdout): the top-level keys of the resolved file.
		var names []string
		for _, k := range cfg.rawKeys {
			if k != "default" {
				names = append(names, k)
			}
		}
		a.writeLine(a.stdout, []byte("[env-config] available envs: "+strings.Join(names, ", ")))
	}
	if a.g.showConfig {
		a.showConfig()
	}
	return nil
}

func (a *app) finish() {
	events.SetSink(nil)
}

func (a *app) writeLine(w io.Writer, line []byte) {
	a.lineMu.Lock()
	defer a.lineMu.Unlock()
	_, _ = w.Write(append(line, '\n'))
}

// diag prints a diagnostic line to stderr.
func (a *app) diag(format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = sprintf(format, args...)
	}
	a.writeLine(a.stderr, []byte(msg))
}

// Flag getters for the leaf command's flags (they were validated by pflag).
func (a *app) str(name string) string    { v, _ := a.fs.GetString(name); return v }
func (a *app) num(name string) int       { v, _ := a.fs.GetInt(name); return v }
func (a *app) num64(name string) int64   { v, _ := a.fs.GetInt64(name); return v }
func (a *app) int32(name string) int32   { v, _ := a.fs.GetInt32(name); return v }
func (a *app) flag(name string) bool     { v, _ := a.fs.GetBool(name); return v }
func (a *app) strs(name string) []string { v, _ := a.fs.GetStringArray(name); return v }
func (a *app) changed(name string) bool  { return a.fs.Changed(name) }
func (a *app) seconds(name string) (time.Duration, error) {
	v, _ := a.fs.GetFloat64(name)
	if v < 0 {
		return 0, usagef("--%s must be >= 0 seconds, got %v", name, v)
	}
	return time.Duration(v * float64(time.Second)), nil
}

// params lists the command's flags as set (defaults included), for --show-config.
func (a *app) params() map[string]any {
	out := map[string]any{}
	a.fs.VisitAll(func(f *pflag.Flag) {
		if a.gset.Lookup(f.Name) != nil {
			return
		}
		v := f.Value.String()
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			out[f.Name] = sv.GetSlice()
			return
		}
		// --key is a message key, not key material; anything else that looks like a
		// secret is masked like the config.
		if f.Name != "key" && config.IsSensitive(f.Name) {
			v = config.Masked
		}
		out[f.Name] = v
	})
	return out
}
