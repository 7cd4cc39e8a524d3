package klient

import "testing"

// The instance name is read from the head of the document, escapes included, and a
// document without it gives "" rather than a wrong name.
func TestStatsNameReadsTheFirstMember(t *testing.T) {
	for doc, want := range map[string]string{
		`{ "name": "rdkafka#producer-1", "client_id": "rdkafka", "type": "producer"}`: "rdkafka#producer-1",
		`{"name":"a\"b\\#consumer-2","type":"consumer"}`:                              `a"b\#consumer-2`,
		`{"type":"producer","name":"x"}`:                                              "",
		`{"name": 3}`:                                                                 "",
		`{"name": "unterminated`:                                                      "",
		``:                                                                            "",
	} {
		if got := statsName(doc); got != want {
			t.Errorf("statsName(%q) = %q, want %q", doc, got, want)
		}
	}
}
