package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// runCompletion prints a static completion script generated from the command tree, so
// it can never drift from the commands that exist.
func runCompletion(a *app, args []string) error {
	root := commandTree()
	words := map[string][]string{}
	allPaths(root, nil, words)
	flags := map[string][]string{}
	var walk func(c *command, prefix string)
	walk = func(c *command, prefix string) {
		for _, s := range c.subs {
			p := strings.TrimSpace(prefix + " " + s.name)
			if s.run != nil && s.flags != nil {
				fs := pflag.NewFlagSet("", pflag.ContinueOnError)
				s.flags(fs)
				fs.VisitAll(func(f *pflag.Flag) { flags[p] = append(flags[p], "--"+f.Name) })
			}
			walk(s, p)
		}
	}
	walk(root, "")
	var globals []string
	a.gset.VisitAll(func(f *pflag.Flag) { globals = append(globals, "--"+f.Name) })
	globals = append(globals, "--help")
	var b strings.Builder
	// perPath writes one case arm per command path: line formats the path and what may
	// follow it (subcommands, then flags).
	perPath := func(line string) {
		for _, k := range keys(words, flags) {
			fmt.Fprintf(&b, line, k, strings.Join(append(append([]string{}, words[k]...), flags[k]...), " "))
		}
	}
	switch args[0] {
	case "bash":
		fmt.Fprintf(&b, "# klient bash completion: source <(klient completion bash)\n_klient() {\n")
		fmt.Fprintf(&b, "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" w i\n")
		fmt.Fprintf(&b, "  for ((i=1; i<COMP_CWORD; i++)); do w=\"${COMP_WORDS[i]}\"; [[ $w == -* ]] && continue\n")
		fmt.Fprintf(&b, "    case \"${path:+$path }$w\" in %s) path=\"${path:+$path }$w\";; esac; done\n", quoteAll(keys(words, flags)))
		fmt.Fprintf(&b, "  local opts=\"%s\"\n  case \"$path\" in\n", strings.Join(globals, " "))
		perPath("    %q) opts=\"$opts %s\";;\n")
		fmt.Fprintf(&b, "    \"\") opts=\"$opts %s\";;\n  esac\n", strings.Join(words[""], " "))
		fmt.Fprintf(&b, "  COMPREPLY=( $(compgen -W \"$opts\" -- \"$cur\") )\n}\ncomplete -F _klient klient\n")
	case "zsh":
		fmt.Fprintf(&b, "#compdef klient\n# klient zsh completion: source <(klient completion zsh)\n")
		fmt.Fprintf(&b, "_klient() {\n  local -a words_; local path_=\"\" w\n")
		fmt.Fprintf(&b, "  for w in ${words[2,CURRENT-1]}; do [[ $w == -* ]] && continue\n")
		fmt.Fprintf(&b, "    case \"${path_:+$path_ }$w\" in %s) path_=\"${path_:+$path_ }$w\";; esac; done\n", quoteAll(keys(words, flags)))
		fmt.Fprintf(&b, "  words_=(%s)\n  case \"$path_\" in\n", strings.Join(globals, " "))
		perPath("    %q) words_+=(%s);;\n")
		fmt.Fprintf(&b, "    \"\") words_+=(%s);;\n  esac\n  compadd -- $words_\n}\ncompdef _klient klient\n", strings.Join(words[""], " "))
	case "fish":
		fmt.Fprintf(&b, "# klient fish completion: klient completion fish | source\n")
		fmt.Fprintf(&b, "complete -c klient -f\n")
		for _, g := range globals {
			fmt.Fprintf(&b, "complete -c klient -l %s\n", strings.TrimPrefix(g, "--"))
		}
		fmt.Fprintf(&b, "complete -c klient -n '__fish_use_subcommand' -a '%s'\n", strings.Join(words[""], " "))
		for _, k := range keys(words, flags) {
			if k == "" {
				continue
			}
			parts := strings.Fields(k)
			cond := "__fish_seen_subcommand_from " + parts[len(parts)-1]
			if len(words[k]) > 0 {
				fmt.Fprintf(&b, "complete -c klient -n '%s' -a '%s'\n", cond, strings.Join(words[k], " "))
			}
			for _, f := range flags[k] {
				fmt.Fprintf(&b, "complete -c klient -n '%s' -l %s\n", cond, strings.TrimPrefix(f, "--"))
			}
		}
	default:
		return usagef("unknown shell %q (expected bash, zsh or fish)", args[0])
	}
	_, err := fmt.Fprint(a.stdout, b.String())
	return err
}

func keys(words, flags map[string][]string) []string {
	set := map[string]bool{}
	for k := range words {
		if k != "" {
			set[k] = true
		}
	}
	for k := range flags {
		set[k] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// quoteAll joins words as quoted shell case patterns ("admin list-topics"|...).
func quoteAll(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = `"` + w + `"`
	}
	return strings.Join(q, "|")
}
