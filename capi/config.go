package main

/*
#include "capi.h"
*/
import "C"

import (
	"errors"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

func configErr(op string, err error) error {
	kind := klient.KindConfig
	if errors.Is(err, config.ErrFileNotFound) {
		kind = klient.KindNotFound
	}
	return klient.Errorf(kind, op, "%v", err)
}

// parseRaw parses a JSON object (a config document) with line/column errors.
func parseRaw(op, what string, s *C.char) (map[string]any, error) {
	if s == nil {
		return nil, invalidArg(op, "%s is NULL", what)
	}
	m, err := config.Parse([]byte(C.GoString(s)))
	if err != nil {
		return nil, klient.Errorf(klient.KindConfig, op, "%s: %v", what, err)
	}
	return m, nil
}

// roleConfig turns the config_json of a *_new call into the properties of one role:
// flat properties overlaid by the role's section, with librdkafka names.
func roleConfig(op string, s *C.char, role string) (config.Map, error) {
	raw, err := parseRaw(op, "config_json", s)
	if err != nil {
		return nil, err
	}
	sec, err := config.Split(raw)
	if err != nil {
		return nil, klient.Errorf(klient.KindConfig, op, "%v", err)
	}
	switch role {
	case config.SectionProducer:
		return sec.Producer, nil
	case config.SectionConsumer:
		return sec.Consumer, nil
	}
	return sec.Admin, nil
}

//export klient_config_resolve
func klient_config_resolve(path *C.klient__cchar, env *C.klient__cchar, jsonOut **C.char, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if jsonOut == nil {
		return fail(errp, invalidArg("config_resolve", "json_out is NULL"))
	}
	var p, e string
	if path != nil {
		p = C.GoString(path)
	}
	if env != nil {
		e = C.GoString(env)
	}
	m, err := config.ResolveEnv(p, e)
	if err != nil {
		return fail(errp, configErr("config_resolve", err))
	}
	return result(errp, setJSON(jsonOut, m))
}

//export klient_config_split
func klient_config_split(raw *C.klient__cchar, out **C.char, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out == nil {
		return fail(errp, invalidArg("config_split", "sections_json_out is NULL"))
	}
	m, err := parseRaw("config_split", "raw_json", raw)
	if err != nil {
		return fail(errp, err)
	}
	sec, err := config.Split(m)
	if err != nil {
		return fail(errp, klient.Errorf(klient.KindConfig, "config_split", "%v", err))
	}
	return result(errp, setJSON(out, map[string]config.Map{
		"common": sec.Common, "producer": sec.Producer, "consumer": sec.Consumer, "admin": sec.Admin}))
}

//export klient_config_mask
func klient_config_mask(js *C.klient__cchar, out **C.char, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out == nil {
		return fail(errp, invalidArg("config_mask", "json_out is NULL"))
	}
	m, err := parseRaw("config_mask", "json", js)
	if err != nil {
		return fail(errp, err)
	}
	return result(errp, setJSON(out, config.Mask(m)))
}
