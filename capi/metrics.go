package main

/*
#include "capi.h"
*/
import "C"

import "github.com/klient-dev/klient/core/metrics"

//export klient_metrics_inc
func klient_metrics_inc(name *C.klient__cchar, value C.int64_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	n, err := goString("metrics_inc", "name", name)
	if err != nil {
		return fail(errp, err)
	}
	if n == "" {
		return fail(errp, invalidArg("metrics_inc", "name is empty"))
	}
	metrics.Inc(n, int64(value))
	return statusOK
}

//export klient_metrics_get
func klient_metrics_get(name *C.klient__cchar, out *C.int64_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	n, err := goString("metrics_get", "name", name)
	if err != nil {
		return fail(errp, err)
	}
	if out == nil {
		return fail(errp, invalidArg("metrics_get", "out is NULL"))
	}
	*out = C.int64_t(metrics.Get(n))
	return statusOK
}

//export klient_metrics_snapshot
func klient_metrics_snapshot(out **C.char, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out == nil {
		return fail(errp, invalidArg("metrics_snapshot", "json_out is NULL"))
	}
	return result(errp, setJSON(out, metrics.Snapshot()))
}

//export klient_metrics_prometheus
func klient_metrics_prometheus(out **C.char, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out == nil {
		return fail(errp, invalidArg("metrics_prometheus", "text_out is NULL"))
	}
	*out = cString(metrics.Prometheus())
	return statusOK
}

//export klient_metrics_reset
func klient_metrics_reset(errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	metrics.Reset()
	return statusOK
}
