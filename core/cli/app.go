package cli

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/klient-dev/klient/core/config"
	"github.com/klient-dev/klient/core/events"
)

// globals are the flags every command accepts, before or after the command name.
type globals struct {
	configFile  string
	env         string
	producerEnv string
	consumerEnv string
	bootstrap   string
	showConfig  bool
	json        bool
	compactJSON bool
	filter      string
	outputFile  string
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

	out     *output
	cfg     *resolved
	outFile *os.File
	// lineMu serialises whole lines on stdout: data and events come from different
	// goroutines and must never interleave mid-line.
	lineMu sync.Mutex
}

func (a *app) globalFlags() *pflag.FlagSet {
	if a.gset == nil {
		fs := pflag.NewFlagSet("klient", pflag.ContinueOnError)
		fs.SortFlags = false
		fs.StringVar(&a.g.configFile, "config-file", "", "configuration file (default ~/.kafka/config.json, or $KLIENT_CONFIG_FILE)")
		fs.StringVarP(&a.g.env, "env", "e", "", "environment of the config file to use (overlaid on \"default\")")
		fs.StringVar(&a.g.producerEnv, "producer-env", "", "environment for the producer (wins over --env)")
		fs.StringVar(&a.g.consumerEnv, "consumer-env", "", "environment for the consumer (wins over --env)")
		fs.StringVar(&a.g.bootstrap, "bootstrap-servers", "", "bootstrap servers, overriding the config file ($KLIENT_BOOTSTRAP_SERVERS; default localhost:9092)")
		fs.BoolVar(&a.g.showConfig, "show-config", false, "print the effective configuration (secrets masked) to stderr before running")
		fs.BoolVar(&a.g.json, "json", false, "JSON output (pretty; one object per line for streams)")
		fs.BoolVar(&a.g.compactJSON, "compact-json", false, "with --json: compact single-line JSON")
		fs.StringVar(&a.g.filter, "filter", "", "keep only matching output: a regex on text lines, or KEY:REGEX on JSON keys at any depth (case-insensitive)")
		fs.StringVar(&a.g.outputFile, "output-file", "", "write the command's output to this file instead of stdout")
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

// prepare validates the global flags and sets up output and configuration, before the
// command touches Kafka: every usage error surfaces here, before anything is consumed.
func (a *app) prepare() error {
	if a.g.compactJSON && !a.g.json {
		a.g.json = true // --compact-json alone clearly asks for JSON
	}
	f, err := compileFilter(a.g.filter)
	if err != nil {
		return err
	}
	cfg, err := a.resolveConfig()
	if err != nil {
		return err
	}
	a.cfg = cfg
	var w io.Writer = a.stdout
	if a.g.outputFile != "" {
		of, err := os.Create(a.g.outputFile)
		if err != nil {
			return err
		}
		a.outFile = of
		w = of
	}
	a.out = &output{app: a, w: w, filter: f, json: a.g.json, compact: a.g.compactJSON}
	// Long-running commands report their lifecycle as JSON events on stdout (the spec's
	// shutdown_requested / stream_ended lines); one-shot commands stay quiet so their
	// output is only their data.
	if a.cmd.stream {
		events.SetSink(func(line []byte) { a.writeLine(a.stdout, line) })
	}
	if a.g.showConfig {
		a.showConfig()
	}
	return nil
}

func (a *app) finish() {
	events.SetSink(nil)
	if a.outFile != nil {
		_ = a.outFile.Close()
		a.diag("output written to %s", a.g.outputFile)
	}
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
