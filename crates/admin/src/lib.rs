//! The admin API (topics, groups, offsets, messages, cluster), used by `mqadmin` and tests.
//! It is built on `rmq-client`'s [`ClientInstance`] (name servers, routes, connections).
//!
//! [`Admin`] wraps a [`ClientInstance`] that has no producer or consumer (so it sends no
//! heartbeat) and speaks the admin request codes the official `mqadmin` sends: name server and
//! broker calls, routes, cluster info, target resolution. Each family of calls is a type of its
//! own module made from an `&Admin` (`Topics::new(&admin).create_topic(..)`). Every call returns
//! plain data (serializable, camelCase) for the caller to print; calls that walk many queues or
//! brokers take a [`Progress`] callback.
//!
//! - [`acl::Acls`]: ACL 1.0 accounts and global whitelist in the brokers' plain_acl.yml.
//! - [`auth::Auth`]: ACL 2.0 users and ACLs (AUTH_* codes).
//! - [`cluster::Cluster`]: brokers and their runtime stats, broker config.
//! - [`controller::Controllers`]: controller mode: the controllers' metadata, SyncStateSets,
//!   designated elections.
//! - [`topic::Topics`]: create, delete, list, route, status, permissions.
//! - [`group::Groups`]: subscription groups, consume progress, connections, consumer running info.
//! - [`ops::Ops`]: write permission on the name servers, KV config, stats windows, broker
//!   consume stats, HA status, consume-queue housekeeping and units.
//! - [`offset::Offsets`]: queue offsets; reset by time, skip the backlog, clone a group's offsets.
//! - [`message::Messages`]: queries by id, key, unique key; [`pull::Queues`]: queue ranges and
//!   raw pulls; [`send::Sender`]: raw sends and the send round-trip check.

pub mod acl;
pub mod auth;
pub mod cluster;
pub mod controller;
mod error;
pub mod export;
pub mod group;
pub mod message;
pub mod mode;
pub mod offset;
pub mod ops;
pub mod pull;
pub mod send;
pub mod stats_all;
pub mod time;
pub mod topic;

use std::sync::Arc;
use std::time::Duration;

use rmq_remoting::body::{BrokerData, ClusterInfo, TopicRouteData};
use rmq_remoting::{RemotingCommand, RequestCode};
use serde::Serialize;

pub use error::{AdminError, ErrorKind, Result};

use rmq_client::{ClientConfig, ClientError, ClientInstance};

/// Reports `(done, total)` while a call walks many queues, brokers or messages.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// A progress callback that reports nothing.
pub fn no_progress(_done: usize, _total: usize) {}

/// Where an update goes: one broker by address, or every master of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One broker, `host:port`.
    Broker(String),
    /// Every master of the cluster.
    Cluster(String),
}

/// A broker as the name servers list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerRef {
    /// Cluster name (empty when unknown).
    pub cluster: String,
    /// Broker set name.
    pub broker_name: String,
    /// 0 = master.
    pub broker_id: i64,
    /// `host:port`.
    pub addr: String,
}

/// The admin client.
#[derive(Debug)]
pub struct Admin {
    instance: Arc<ClientInstance>,
}

impl Admin {
    /// Connects to the name servers `namesrv` (`host:port;host:port`), else NAMESRV_ADDR.
    /// Nothing is dialled until the first call; `timeout` bounds each request.
    pub async fn connect(namesrv: Option<&str>, timeout: Duration) -> Result<Self> {
        Self::connect_signed(namesrv, timeout, None).await
    }

    /// Like [`Admin::connect`], signing every request with an ACL account when given.
    pub async fn connect_signed(
        namesrv: Option<&str>,
        timeout: Duration,
        credentials: Option<rmq_acl::Credentials>,
    ) -> Result<Self> {
        let mut config = Self::config(namesrv, timeout);
        config.credentials = credentials;
        Self::connect_with(config).await
    }

    /// The client config [`Admin::connect`] uses, to adjust (e.g. `tls`, `credentials`) before
    /// [`Admin::connect_with`].
    #[must_use]
    pub fn config(namesrv: Option<&str>, timeout: Duration) -> ClientConfig {
        let mut config = ClientConfig::default();
        config.namesrv_addr = namesrv.map(str::to_owned);
        config.instance_name = format!("mqadmin-{}", std::process::id());
        config.api_timeout = timeout;
        config
    }

    /// Connects with this client config.
    pub async fn connect_with(config: ClientConfig) -> Result<Self> {
        Ok(Self { instance: ClientInstance::start(config).await? })
    }

    /// An admin over an existing instance.
    #[must_use]
    pub fn from_instance(instance: Arc<ClientInstance>) -> Self {
        Self { instance }
    }

    /// The client instance underneath.
    #[must_use]
    pub fn instance(&self) -> &ClientInstance {
        &self.instance
    }

    /// Closes connections.
    pub fn shutdown(&self) {
        self.instance.shutdown();
    }

    /// Calls a name server (any that answers) and requires SUCCESS.
    pub(crate) async fn namesrv_ok(&self, req: RemotingCommand) -> Result<RemotingCommand> {
        let resp = self.namesrv_call(req).await?;
        rmq_client::expect_ok("name server", resp).map_err(AdminError::from)
    }

    /// Calls a name server (any that answers), whatever the response code.
    pub(crate) async fn namesrv_call(&self, req: RemotingCommand) -> Result<RemotingCommand> {
        self.instance.invoke_namesrv(req).await.map_err(|cause| match cause {
            ClientError::NoNameServer => AdminError::Client(cause),
            cause => AdminError::NameServer { addrs: self.instance.namesrv_addrs().join(";"), cause },
        })
    }

    /// Calls a broker and requires SUCCESS.
    pub(crate) async fn broker_ok(&self, addr: &str, req: RemotingCommand) -> Result<RemotingCommand> {
        Ok(self.instance.invoke_ok(addr, req).await?)
    }

    /// Calls a broker, whatever the response code.
    pub(crate) async fn broker_call(&self, addr: &str, req: RemotingCommand) -> Result<RemotingCommand> {
        let timeout = self.instance.config().api_timeout;
        self.instance.remoting().invoke(addr, req, timeout).await.map_err(|e| AdminError::Client(e.into()))
    }

    /// The clusters and broker sets registered with the name servers.
    pub async fn cluster_info(&self) -> Result<ClusterInfo> {
        let resp = self.namesrv_ok(RemotingCommand::request(RequestCode::GetBrokerClusterInfo)).await?;
        parse_json("name server", &resp.body)
    }

    /// A topic's route, fresh from the name servers.
    pub async fn route(&self, topic: &str) -> Result<TopicRouteData> {
        match self.instance.update_route(topic).await {
            Ok(r) => Ok(r),
            Err(ClientError::NoRoute(_)) => Err(AdminError::TopicNotFound(topic.to_owned())),
            Err(ClientError::Broker { addr, code, remark }) => {
                Err(AdminError::Client(ClientError::Broker { addr, code, remark }))
            }
            Err(cause) => Err(AdminError::NameServer { addrs: self.instance.namesrv_addrs().join(";"), cause }),
        }
    }

    /// Brokers a [`Target`] names: the broker itself, or the masters (and with `slaves`, the
    /// slaves too) of the cluster.
    pub async fn resolve(&self, target: &Target, slaves: bool) -> Result<Vec<BrokerRef>> {
        match target {
            Target::Broker(addr) => {
                let info = self.cluster_info().await?;
                Ok(vec![find_by_addr(&info, addr).unwrap_or_else(|| BrokerRef {
                    cluster: String::new(),
                    broker_name: String::new(),
                    broker_id: 0,
                    addr: addr.clone(),
                })])
            }
            Target::Cluster(cluster) => {
                let info = self.cluster_info().await?;
                let out = cluster_brokers(&info, cluster, slaves)?;
                if out.is_empty() {
                    return Err(AdminError::ClusterNotFound(format!("{cluster} (it has no live master)")));
                }
                Ok(out)
            }
        }
    }
}

/// Brokers of `cluster` (masters only unless `slaves`), by broker name then id.
pub(crate) fn cluster_brokers(info: &ClusterInfo, cluster: &str, slaves: bool) -> Result<Vec<BrokerRef>> {
    let names = info.cluster_addr_table.get(cluster).ok_or_else(|| AdminError::ClusterNotFound(cluster.to_owned()))?;
    let mut out = Vec::new();
    for name in names {
        let Some(data) = info.broker_addr_table.get(name) else { continue };
        for (id, addr) in &data.broker_addrs {
            if *id == 0 || slaves {
                out.push(BrokerRef {
                    cluster: cluster.to_owned(),
                    broker_name: name.clone(),
                    broker_id: *id,
                    addr: addr.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// The broker listening at `addr`, if registered.
pub(crate) fn find_by_addr(info: &ClusterInfo, addr: &str) -> Option<BrokerRef> {
    info.broker_addr_table.values().find_map(|b| {
        b.broker_addrs.iter().find(|(_, a)| a.as_str() == addr).map(|(id, a)| BrokerRef {
            cluster: b.cluster.clone(),
            broker_name: b.broker_name.clone(),
            broker_id: *id,
            addr: a.clone(),
        })
    })
}

/// The master's address of `broker_name` in a route, else any slave's (reads only).
pub(crate) fn route_addr(route: &TopicRouteData, broker_name: &str, master_only: bool) -> Option<String> {
    let data: &BrokerData = route.broker_datas.iter().find(|b| b.broker_name == broker_name)?;
    data.master_addr().map(str::to_owned).or_else(|| {
        if master_only {
            None
        } else {
            data.broker_addrs.values().next().cloned()
        }
    })
}

/// Parses a JSON body (fastjson quirks included).
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(addr: &str, body: &[u8]) -> Result<T> {
    rmq_remoting::body::decode(body).map_err(|e| AdminError::BadAnswer { addr: addr.to_owned(), reason: e.to_string() })
}

/// Parses properties text as `java.util.Properties` does, values trimmed.
#[must_use]
pub fn parse_properties(text: &str) -> std::collections::BTreeMap<String, String> {
    rmq_common::properties::read_properties(text).into_iter().map(|(k, v)| (k, v.trim().to_owned())).collect()
}
