//! A RocketMQ 5.x gRPC proxy in cluster mode: serves `apache.rocketmq.v2.MessagingService` to the
//! official 5.x SDKs and talks to name servers and brokers over the remoting protocol.

pub mod ack;
pub mod assignment;
pub mod auth;
pub mod checkback;
pub mod clients;
pub mod config;
pub mod dlq;
pub mod fault;
pub mod group;
pub mod message;
pub mod metrics;
pub mod offsets;
pub mod pb;
pub mod pull;
pub mod recall;
pub mod receive;
pub mod relay;
pub mod route;
pub mod send;
pub mod server;
pub mod service;
pub mod status;
pub mod telemetry;
pub mod tls;
pub mod transaction;

pub use config::ProxyConfig;
pub use server::{bind, run, ProxyError};
pub use service::Proxy;
