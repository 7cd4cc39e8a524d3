package main

/*
#include "capi.h"
*/
import "C"

import (
	"context"

	klient "github.com/klient-dev/klient/core"
)

//export klient_admin_cluster_metadata
func klient_admin_cluster_metadata(ah *C.klient_admin_t, timeoutMs C.int, out **C.char, errp **C.klient_error_t) C.int {
	return adminCall(ah, "get_cluster_metadata", timeoutMs, out, errp, func(ctx context.Context, a *klient.Admin) (any, error) {
		return a.ClusterMetadata(ctx)
	})
}

//export klient_admin_describe_configs
func klient_admin_describe_configs(ah *C.klient_admin_t, topics *C.klient__cchar, timeoutMs C.int, out **C.char, errp **C.klient_error_t) C.int {
	return adminCall(ah, "describe_configs", timeoutMs, out, errp, func(ctx context.Context, a *klient.Admin) (any, error) {
		var ts []string
		if err := decodeJSON("describe_configs", "topics_json", topics, &ts); err != nil {
			return nil, err
		}
		return a.TopicConfigs(ctx, ts)
	})
}

//export klient_admin_validate_topics
func klient_admin_validate_topics(ah *C.klient_admin_t, specs *C.klient__cchar, timeoutMs C.int, out **C.char, errp **C.klient_error_t) C.int {
	return adminCall(ah, "create_topics", timeoutMs, out, errp, func(ctx context.Context, a *klient.Admin) (any, error) {
		var ss []klient.TopicSpec
		if err := decodeJSON("create_topics", "specs_json", specs, &ss); err != nil {
			return nil, err
		}
		res, err := a.ValidateTopics(ctx, ss)
		if err != nil {
			return nil, err
		}
		return topicResults(res), nil
	})
}
