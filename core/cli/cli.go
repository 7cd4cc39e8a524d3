// Package cli is the klient command line: the spec's `python -m klient` commands in
// native Go on the core. cmd/klient, the C ABI (klient_cli_main) and `python -m klient`
// all end up in Main.
//
// Signals are handled here and only here: the core never calls signal.Notify.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // an operational error (broker, Kafka, I/O)
	ExitUsage = 2 // the command line is wrong: the message says what to fix
)

// Main runs the CLI on the process's standard streams and returns the exit code.
func Main(args []string) int { return RunIO(args, os.Stdin, os.Stdout, os.Stderr) }

// Run runs the CLI with injectable output streams (stdin is the process's).
func Run(args []string, stdout, stderr io.Writer) int {
	return RunIO(args, os.Stdin, stdout, stderr)
}

// usageError is a command-line mistake: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// command is one node of the command tree: a group (subs) or a leaf (run).
type command struct {
	name    string
	aliases []string
	args    string // positional arguments for the usage line
	short   string
	long    string
	subs    []*command
	flags   func(fs *pflag.FlagSet) // leaf flags
	minArgs int
	maxArgs int // -1: unlimited
	// stream marks long-running commands: events go to stdout, signals are handled.
	stream bool
	run    func(a *app, args []string) error
}

func (c *command) find(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
		for _, al := range s.aliases {
			if al == name {
				return s
			}
		}
	}
	return nil
}

// RunIO runs the CLI with every stream injectable.
func RunIO(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	err := a.main(args)
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errHelpShown) {
		return ExitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "klient: %s\n", ue.msg)
		if a.helpHint != "" {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", a.helpHint)
		}
		return ExitUsage
	}
	var ex *exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	fmt.Fprintf(stderr, "klient: error: %v\n", err)
	return ExitError
}

// exitError ends the CLI with a code after the message was already printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

var errHelpShown = errors.New("help shown")

func (a *app) main(args []string) error {
	root := commandTree()
	a.helpHint = "klient"
	gfs := a.globalFlags()
	gfs.SetInterspersed(false)
	if err := gfs.Parse(args); err != nil {
		return a.flagErr(err, root, nil, gfs)
	}
	if a.g.version {
		return a.printVersion()
	}
	rest := gfs.Args()
	path := []*command{root}
	cur := root
	for cur.run == nil {
		if len(rest) == 0 {
			if cur == root {
				a.printHelp(a.stderr, path, gfs)
				a.helpHint = ""
				return usagef("missing command (one of: %s)", subNames(cur))
			}
			a.helpHint = "klient " + cmdPath(path)
			return usagef("'%s' needs a subcommand (one of: %s)", cmdPath(path), subNames(cur))
		}
		next := cur.find(rest[0])
		if next == nil {
			a.helpHint = strings.TrimSpace("klient " + cmdPath(path))
			where := "command"
			if cur != root {
				where = "subcommand of '" + cmdPath(path) + "'"
			}
			return usagef("unknown %s %q (expected one of: %s)", where, rest[0], subNames(cur))
		}
		path = append(path, next)
		cur = next
		rest = rest[1:]
		if cur.run == nil {
			// Global flags may sit between a group and its subcommand.
			fs := a.globalFlags()
			fs.SetInterspersed(false)
			if err := fs.Parse(rest); err != nil {
				return a.flagErr(err, cur, path, fs)
			}
			rest = fs.Args()
		}
	}
	a.helpHint = "klient " + cmdPath(path)
	fs := pflag.NewFlagSet(cmdPath(path), pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	if cur.flags != nil {
		cur.flags(fs)
	}
	a.addGlobals(fs)
	a.fs = fs
	if err := fs.Parse(rest); err != nil {
		return a.flagErr(err, cur, path, fs)
	}
	if a.g.version {
		return a.printVersion()
	}
	pos := fs.Args()
	if len(pos) < cur.minArgs {
		return usagef("'%s' needs %s (got %d argument(s))", cmdPath(path), cur.args, len(pos))
	}
	if cur.maxArgs >= 0 && len(pos) > cur.maxArgs {
		return usagef("'%s' takes %s; unexpected argument %q", cmdPath(path), cur.args, pos[cur.maxArgs])
	}
	a.cmd = cur
	a.cmdName = cmdPath(path)
	if err := a.prepare(); err != nil {
		return err
	}
	defer a.finish()
	return cur.run(a, pos)
}

func (a *app) flagErr(err error, cur *command, path []*command, fs *pflag.FlagSet) error {
	if errors.Is(err, pflag.ErrHelp) {
		if path == nil {
			path = []*command{cur}
		}
		a.printHelp(a.stdout, path, fs)
		return errHelpShown
	}
	if path != nil {
		a.helpHint = "klient " + cmdPath(path)
	}
	return usagef("%v", err)
}

func cmdPath(path []*command) string {
	var names []string
	for _, c := range path[1:] {
		names = append(names, c.name)
	}
	return strings.Join(names, " ")
}

func subNames(c *command) string {
	names := make([]string, len(c.subs))
	for i, s := range c.subs {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

func (a *app) printHelp(w io.Writer, path []*command, fs *pflag.FlagSet) {
	cur := path[len(path)-1]
	name := strings.TrimSpace("klient " + cmdPath(path))
	if cur.run == nil {
		fmt.Fprintf(w, "Usage: %s [global flags] <command> ...\n\n", name)
	} else {
		fmt.Fprintf(w, "Usage: %s %s [flags]\n\n", name, cur.args)
	}
	if cur.short != "" {
		fmt.Fprintln(w, cur.short)
	}
	if cur.long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(cur.long, "\n"))
	}
	if len(cur.subs) > 0 {
		fmt.Fprintf(w, "\nCommands:\n")
		for _, s := range cur.subs {
			fmt.Fprintf(w, "  %-16s %s\n", s.name, s.short)
		}
	}
	if cur.run != nil && cur.flags != nil {
		lfs := pflag.NewFlagSet("", pflag.ContinueOnError)
		lfs.SortFlags = false
		cur.flags(lfs)
		if lfs.HasFlags() {
			fmt.Fprintf(w, "\nFlags:\n%s", lfs.FlagUsages())
		}
	}
	g := a.globalFlags()
	fmt.Fprintf(w, "\nGlobal flags (accepted before or after the command):\n%s", g.FlagUsages())
	if cur.run == nil {
		fmt.Fprintf(w, "\nRun '%s <command> --help' for the flags of a command.\n", name)
	}
	fmt.Fprintln(w, "\nExit codes: 0 success, 1 operational error, 2 usage error.")
}

// allPaths lists every leaf command path, for shell completion.
func allPaths(c *command, prefix []string, out map[string][]string) {
	for _, s := range c.subs {
		p := append(append([]string{}, prefix...), s.name)
		key := strings.Join(prefix, " ")
		out[key] = append(out[key], s.name)
		allPaths(s, p, out)
	}
	for k := range out {
		sort.Strings(out[k])
	}
}
