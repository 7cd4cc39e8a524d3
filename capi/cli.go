package main

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"os"
)

//export klient_cli_main
func klient_cli_main(argc C.int, argv **C.char) (code C.int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "klient: internal error: %v\n", r)
			code = 13
		}
	}()
	// core/cli is not available yet in this build.
	fmt.Fprintln(os.Stderr, "klient: the CLI is not built into this libklient yet")
	return C.KLIENT_ERR_INTERNAL
}
