//! A RocketMQ 5.x gRPC proxy in cluster mode: serves `apache.rocketmq.v2.MessagingService` to the
//! official 5.x SDKs and talks to name servers and brokers over the remoting protocol.

pub mod assignment;
pub mod config;
pub mod metrics;
pub mod pb;
pub mod route;
pub mod server;
pub mod service;
pub mod status;
pub mod telemetry;

pub use config::ProxyConfig;
pub use server::{bind, run, ProxyError};
pub use service::Proxy;
