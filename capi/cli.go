package main

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"

	"github.com/klient-dev/klient/core/cli"
)

//export klient_cli_main
func klient_cli_main(argc C.int, argv **C.char) (code C.int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "klient: internal error: %v\n", r)
			code = C.KLIENT_ERR_INTERNAL
		}
	}()
	if argc < 0 || (argc > 0 && argv == nil) {
		fmt.Fprintln(os.Stderr, "klient: klient_cli_main: invalid argc/argv")
		return 2
	}
	var args []string
	if argc > 1 {
		for _, a := range unsafe.Slice(argv, int(argc))[1:] {
			if a == nil {
				break
			}
			args = append(args, C.GoString(a))
		}
	}
	return C.int(cli.Main(args))
}
