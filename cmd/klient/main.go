// Command klient is the klient CLI; the commands live in core/cli.
package main

import (
	"os"

	"github.com/klient-dev/klient/core/cli"
)

func main() { os.Exit(cli.ProcessMain(os.Args[1:])) }
