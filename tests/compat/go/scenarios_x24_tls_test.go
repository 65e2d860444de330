package compat

import (
	"os"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// 24. TLS (issue 24): against a cluster in tls.server.mode=permissive (run-tls-compat.sh sets
// COMPAT_TLS=1), a producer with WithTls(true) and a plaintext one send on the same ports, and a
// push consumer with WithTls(true) receives everything. Skipped on the plaintext cluster.
func TestTlsPermissive(t *testing.T) {
	if os.Getenv("COMPAT_TLS") != "1" {
		t.Skip("needs a TLS cluster: tests/compat/run-tls-compat.sh")
	}
	topic := uniq("tls")
	createTopic(t, topic, 4)
	tlsBodies, plainBodies := bodies("tls-", 10), bodies("plain-", 10)
	sendSyncAll(t, newProducer(t, producer.WithTls(true)), topic, tlsBodies)
	sendSyncAll(t, newProducer(t), topic, plainBodies)
	c := &collector{}
	startPushConsumer(t, uniq("tlsg"), topic, selectAll(), c.handler(), consumer.WithTls(true))
	want := append(append([]string{}, tlsBodies...), plainBodies...)
	c.waitBodies(t, want)
}
