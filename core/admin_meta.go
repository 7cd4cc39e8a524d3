package klient

import (
	"context"
	"sort"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// BrokerInfo is one broker of the cluster.
type BrokerInfo struct {
	ID   int    `json:"id"`
	Host string `json:"host"`
	Port int    `json:"port"`
}

// ClusterInfo is the cluster's identity, brokers and topics (internal ones included),
// what the replaced Python library's get_cluster_metadata reports.
type ClusterInfo struct {
	ClusterID    string       `json:"cluster_id"`
	ControllerID int          `json:"controller_id"`
	Brokers      []BrokerInfo `json:"brokers"`
	Topics       []string     `json:"topics"`
}

// ClusterMetadata describes the cluster. ControllerID is -1 when there is none.
func (a *Admin) ClusterMetadata(ctx context.Context) (*ClusterInfo, error) {
	if err := a.check("get_cluster_metadata"); err != nil {
		return nil, err
	}
	d, err := a.ac.DescribeCluster(ctx)
	if err != nil {
		return nil, FromKafka("get_cluster_metadata", err)
	}
	topics, err := a.ListTopics(ctx, true)
	if err != nil {
		return nil, err
	}
	ci := &ClusterInfo{ControllerID: -1, Brokers: []BrokerInfo{}, Topics: topics}
	if ci.Topics == nil {
		ci.Topics = []string{}
	}
	if d.ClusterID != nil {
		ci.ClusterID = *d.ClusterID
	}
	if d.Controller != nil {
		ci.ControllerID = d.Controller.ID
	}
	for _, n := range d.Nodes {
		ci.Brokers = append(ci.Brokers, BrokerInfo{ID: n.ID, Host: n.Host, Port: n.Port})
	}
	sort.Slice(ci.Brokers, func(i, j int) bool { return ci.Brokers[i].ID < ci.Brokers[j].ID })
	return ci, nil
}

// TopicConfigs returns every configuration entry (name -> value) of each topic; a topic
// whose configuration cannot be described (it does not exist) is left out.
func (a *Admin) TopicConfigs(ctx context.Context, topics []string) (map[string]map[string]string, error) {
	if err := a.check("describe_configs"); err != nil {
		return nil, err
	}
	if len(topics) == 0 {
		return nil, newError(KindInvalidArgument, "describe_configs", "no topics given")
	}
	rs := make([]kafka.ConfigResource, len(topics))
	for i, t := range topics {
		rs[i] = kafka.ConfigResource{Type: kafka.ResourceTopic, Name: t}
	}
	res, err := a.ac.DescribeConfigs(ctx, rs)
	if err != nil {
		return nil, FromKafka("describe_configs", err)
	}
	out := make(map[string]map[string]string, len(res))
	for _, r := range res {
		if r.Error.Code() != kafka.ErrNoError {
			continue // e.g. deleted meanwhile: left out, as the replaced library leaves its config empty
		}
		m := make(map[string]string, len(r.Config))
		for k, e := range r.Config {
			m[k] = e.Value
		}
		out[r.Name] = m
	}
	return out, nil
}

// ValidateTopics asks the broker whether CreateTopics(specs) would succeed, creating
// nothing; the results are CreateTopics'.
func (a *Admin) ValidateTopics(ctx context.Context, specs []TopicSpec) ([]TopicResult, error) {
	return a.CreateTopics(ctx, specs, kafka.SetAdminValidateOnly(true))
}
