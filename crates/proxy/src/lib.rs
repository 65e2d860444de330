//! A RocketMQ 5.x gRPC proxy in cluster mode: serves `apache.rocketmq.v2.MessagingService` to the
//! official 5.x SDKs and talks to name servers and brokers over the remoting protocol.

pub mod pb;
