package main

import (
	"flag"

	"github.com/klient-dev/klient/core/cli"
)

// runCLI runs the klient CLI in this process (`-mode cli -- ARGS...`), so that
// -cpuprofile can profile `klient produce from-file` and `klient consume stream`
// exactly as build/bin/klient runs them.
func runCLI() int { return cli.Main(flag.Args()) }
