package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"unsafe"

	klient "github.com/klient-dev/klient/core"
	"github.com/klient-dev/klient/core/config"
)

func adminOf(a *C.klient_admin_t, op string) (*klient.Admin, error) {
	return lookup[*klient.Admin](unsafe.Pointer(a), kindAdmin, op)
}

//export klient_admin_new
func klient_admin_new(cfg *C.klient__cchar, out **C.klient_admin_t, errp **C.klient_error_t) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out == nil {
		return fail(errp, invalidArg("admin_new", "out is NULL"))
	}
	*out = nil
	props, err := roleConfig("admin_new", cfg, config.SectionAdmin)
	if err != nil {
		return fail(errp, err)
	}
	a, err := klient.NewAdmin(props)
	if err != nil {
		return fail(errp, err)
	}
	*out = (*C.klient_admin_t)(newHandle(kindAdmin, a))
	return statusOK
}

type topicResultJSON struct {
	Topic     string  `json:"topic"`
	Error     *string `json:"error"`
	ErrorCode int     `json:"error_code"`
}

func topicResults(res []klient.TopicResult) []topicResultJSON {
	out := make([]topicResultJSON, len(res))
	for i, r := range res {
		out[i].Topic = r.Topic
		if r.Err != nil {
			msg := r.Err.Error()
			code, _, _, _, _ := classify(r.Err)
			out[i].Error, out[i].ErrorCode = &msg, code
		}
	}
	return out
}

// adminCall is the shared shape of the admin exports: look up, decode, run, encode.
func adminCall(ah *C.klient_admin_t, op string, timeoutMs C.int, out **C.char, errp **C.klient_error_t,
	run func(ctx context.Context, a *klient.Admin) (any, error)) (status C.int) {
	defer recoverPanic(&status, errp)
	clearErr(errp)
	if out != nil {
		*out = nil
	}
	a, err := adminOf(ah, op)
	if err != nil {
		return fail(errp, err)
	}
	if out == nil {
		return fail(errp, invalidArg(op, "json_out is NULL"))
	}
	ctx, cancel := ctxFor(timeoutMs)
	defer cancel()
	v, err := run(ctx, a)
	if err != nil {
		return fail(errp, err)
	}
	return result(errp, setJSON(out, v))
}

//export klient_admin_create_topics
func klient_admin_create_topics(ah *C.klient_admin_t, specs *C.klient__cchar, timeoutMs C.int, out **C.char, errp **C.klient_error_t) C.int {
	return adminCall(ah, "create_topics", timeoutMs, out, errp, func(ctx context.Context, a *klient.Admin) (any, error) {
		var ss []klient.TopicSpec
		if err := decodeJSON("create_topics", "specs_json", specs, &ss); err != nil {
			return nil, err
		}
		res, err := a.CreateTopics(ctx, ss)
		if err != nil {
			return nil, err
		}
		return topicResults(res), nil
	})
}

//export klient_admin_delete_topics
func klient_admin_delete_topics(ah *C.klient_admin_t, topics *C.klient__cchar, timeoutMs C.int, out **C.char, errp **C.klient_error_t) C.int {
	return adminCall(ah, "delete_topics", timeoutMs, out, errp, func(ctx context.Context, a *klient.Admin) (any, error) {
		var ts []string
		if err := decodeJSON("delete_topics", "topics_json", topics, &ts); err != nil {
			return nil, err
		}
		res, err := a.DeleteTopics(ctx, ts)
		if err != nil {
			return nil, err
		}
		return topicResults(res), nil
	})
}

//export klient_admin_list_topics
func klient_admin_list_topics(ah *C.klient_admin_t, internal C.int, timeoutMs C.int, out **C.char, errp **C.klient_error_t) C.int {
	return adminCall(ah, "list_topics", timeoutMs, out, errp, func(ctx context.Context, a *klient.Admin) (any, error) {
		names, err := a.ListTopics(ctx, internal != 0)
		if names == nil {
			names = []string{}
		}
		return names, err
	})
}

//export klient_admin_describe_topics
func klient_admin_describe_topics(ah *C.klient_admin_t, topics *C.klient__cchar, timeoutMs C.int, out **C.char, errp **C.klient_error_t) C.int {
	return adminCall(ah, "describe_topics", timeoutMs, out, errp, func(ctx context.Context, a *klient.Admin) (any, error) {
		var ts []string
		if err := decodeJSON("describe_topics", "topics_json", topics, &ts); err != nil {
			return nil, err
		}
		return a.DescribeTopics(ctx, ts)
	})
}

//export klient_admin_destroy
func klient_admin_destroy(ah *C.klient_admin_t) (status C.int) {
	defer recoverPanic(&status, nil)
	if a, ok := take[*klient.Admin](unsafe.Pointer(ah), kindAdmin); ok {
		_ = a.Close(context.Background())
	}
	return statusOK
}
