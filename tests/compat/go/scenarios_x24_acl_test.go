package compat

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// 24. ACL 1.0 (issue 24): against brokers with aclEnable=true and the plain_acl.yml of
// run-acl-compat.sh (which sets COMPAT_ACL=1), a producer with primitive.Credentials of the right
// key sends; a wrong secret, an unknown key, an account without PUB and a whitelisted-only
// account used from outside its whitelist are refused; a consumer with credentials receives only
// the right key's message. Skipped on a cluster without ACL.
func TestAclCredentials(t *testing.T) {
	if os.Getenv("COMPAT_ACL") != "1" {
		t.Skip("needs an ACL cluster: tests/compat/run-acl-compat.sh")
	}
	creds := func(ak, sk string) primitive.Credentials { return primitive.Credentials{AccessKey: ak, SecretKey: sk} }
	topic := uniq("acl")
	createTopicSigned(t, topic, 2, creds("rocketmq2", "12345678"))
	right := creds("RocketMQ", "87654321")
	sendSyncAll(t, newProducer(t, producer.WithCredentials(right)), topic, []string{"right-key"})
	for _, bad := range []primitive.Credentials{
		creds("RocketMQ", "wrong-secret"), creds("nobody99", "87654321"),
		creds("NoPubUser", "87654321"), creds("WhiteOnly", "not-its-secret"),
	} {
		p := newProducer(t, producer.WithCredentials(bad), producer.WithRetry(0))
		res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("refused-"+bad.AccessKey)))
		if err == nil && res.Status == primitive.SendOK {
			t.Fatalf("account %s with its credentials %v was allowed to send", bad.AccessKey, bad.SecretKey)
		}
	}
	c := &collector{}
	startPushConsumer(t, uniq("aclg"), topic, selectAll(), c.handler(), consumer.WithCredentials(right))
	assertExactly(t, "stored messages", c.waitBodies(t, []string{"right-key"}), []string{"right-key"})
}

func createTopicSigned(t *testing.T, topic string, queues int, c primitive.Credentials) {
	t.Helper()
	adm, err := admin.NewAdmin(admin.WithResolver(resolver()), admin.WithCredentials(c))
	if err != nil {
		t.Fatalf("admin.NewAdmin: %v", err)
	}
	t.Cleanup(func() { _ = adm.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The Go admin signs only after a call that registers its ACL hook (GetAllSubscriptionGroup
	// does; CreateTopic does not, and it ignores the response code): make that call first.
	if _, err := adm.GetAllSubscriptionGroup(ctx, brokerAddr, 5*time.Second); err != nil {
		t.Fatalf("signed GetAllSubscriptionGroup: %v", err)
	}
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(brokerAddr),
		admin.WithReadQueueNums(queues), admin.WithWriteQueueNums(queues)); err != nil {
		t.Fatalf("signed CreateTopic(%s): %v", topic, err)
	}
	waitRoute(t, adm, topic, queues)
}
