package klient

import (
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// The Poll path (used when the direct fetch path is unavailable) keeps
// confluent-kafka-go's timestamp type; its values are klient's.
func TestFromKafkaMessageTimestampType(t *testing.T) {
	topic := "t"
	for _, tt := range []kafka.TimestampType{kafka.TimestampNotAvailable, kafka.TimestampCreateTime, kafka.TimestampLogAppendTime} {
		m := fromKafkaMessage(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic},
			Timestamp: time.UnixMilli(1500000000000), TimestampType: tt})
		if int(m.TimestampType) != int(tt) {
			t.Errorf("kafka %v: TimestampType %d, want %d", tt, m.TimestampType, tt)
		}
	}
}
