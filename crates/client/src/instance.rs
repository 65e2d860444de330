//! The client instance: name servers, the route and broker-address cache, heartbeats, and the
//! calls brokers make to clients. Producers and consumers register as [`Member`]s.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use dashmap::DashMap;
use parking_lot::{Mutex, RwLock};
use rmq_remoting::body::{ConsumerData, HeartbeatData, ProducerData, TopicRouteData};
use rmq_remoting::header::{GetRouteInfoRequestHeader, UnregisterClientRequestHeader};
use rmq_remoting::transport::{ClientConfig as TransportConfig, ClientTls, Dispatcher, RemotingClient, RequestContext};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};
use tokio_util::sync::CancellationToken;

use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::namesrv::NameServerSource;
use crate::reply::PendingReplies;

/// The later answer to a broker call (a call relayed elsewhere before it is answered).
pub type LaterAnswer = std::pin::Pin<Box<dyn std::future::Future<Output = Option<RemotingCommand>> + Send>>;

/// What a producer or consumer contributes to the instance's periodic work and what it does
/// when a broker calls.
pub trait Member: Send + Sync {
    /// Topics whose routes it needs.
    fn topics(&self) -> Vec<String>;
    /// Its heartbeat entry, producer side.
    fn producer_data(&self) -> Option<ProducerData> {
        None
    }
    /// Its heartbeat entry, consumer side.
    fn consumer_data(&self) -> Option<ConsumerData> {
        None
    }
    /// Re-balances queues (every 20 s and when the broker says the group changed).
    fn rebalance(&self) {}
    /// Commits offsets (every 5 s).
    fn persist_offsets(&self) {}
    /// A broker call addressed to this member (by group), answered or not.
    fn on_broker_request(&self, _req: &RemotingCommand) -> Option<RemotingCommand> {
        None
    }
    /// A broker call this member answers later (it relays it and waits); `None` (the default)
    /// answers at once with [`Member::on_broker_request`].
    fn on_broker_call(&self, _req: &RemotingCommand) -> Option<LaterAnswer> {
        None
    }
}

static INSTANCES: OnceLock<Mutex<HashMap<String, Weak<ClientInstance>>>> = OnceLock::new();

/// One client's connections and caches, shared by the producers and consumers that use the
/// same client id (`ip@instanceName`).
pub struct ClientInstance {
    config: ClientConfig,
    client_id: String,
    remoting: RemotingClient,
    namesrv: RwLock<Vec<String>>,
    namesrv_source: NameServerSource,
    namesrv_next: AtomicUsize,
    routes: DashMap<String, TopicRouteData>,
    brokers: DashMap<String, BTreeMap<i64, String>>,
    members: DashMap<String, Weak<dyn Member>>,
    replies: PendingReplies,
    stop: CancellationToken,
}

impl std::fmt::Debug for ClientInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientInstance").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

impl ClientInstance {
    /// The instance for `config`'s client id, started on first use.
    pub async fn get_or_create(config: &ClientConfig) -> Result<Arc<Self>> {
        let id = config.client_id();
        let table = INSTANCES.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(existing) = table.lock().get(&id).and_then(Weak::upgrade) {
            return Ok(existing);
        }
        let instance = Self::start(config.clone()).await?;
        let mut t = table.lock();
        if let Some(existing) = t.get(&id).and_then(Weak::upgrade) {
            instance.shutdown();
            return Ok(existing);
        }
        t.insert(id, Arc::downgrade(&instance));
        Ok(instance)
    }

    /// A new instance (not shared), with its periodic tasks running.
    pub async fn start(config: ClientConfig) -> Result<Arc<Self>> {
        let (namesrv, source) = crate::namesrv::resolve(&config).await?;
        let me: Arc<OnceLock<Weak<Self>>> = Arc::new(OnceLock::new());
        let slot = Arc::clone(&me);
        let handler = move |_ctx: RequestContext, req: RemotingCommand| {
            let inst = slot.get().and_then(Weak::upgrade);
            async move {
                let later = inst.as_ref().and_then(|i| i.later_answer(&req));
                match later {
                    Some(answer) => answer.await,
                    None => inst.and_then(|i| i.on_broker_request(&req)),
                }
            }
        };
        let dispatcher = Dispatcher::new().processor(Arc::new(handler));
        let signer = config.credentials.clone().map(|c| Arc::new(c) as Arc<dyn rmq_remoting::transport::RequestHook>);
        let tls = match &config.tls {
            Some(opts) => Some(ClientTls::build(opts).map_err(|e| ClientError::Invalid(format!("TLS: {e}")))?),
            None => None,
        };
        let remoting =
            RemotingClient::with_hook(TransportConfig { tls, ..TransportConfig::default() }, dispatcher, signer);
        let instance = Arc::new(Self {
            client_id: config.client_id(),
            remoting,
            namesrv: RwLock::new(namesrv),
            namesrv_source: source,
            namesrv_next: AtomicUsize::new(rand::random::<u16>().into()),
            routes: DashMap::new(),
            brokers: DashMap::new(),
            members: DashMap::new(),
            replies: PendingReplies::default(),
            stop: CancellationToken::new(),
            config,
        });
        let _ = me.set(Arc::downgrade(&instance));
        instance.spawn_tasks();
        Ok(instance)
    }

    /// The settings it was built with.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// `ip@instance`.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The connection pool (for calls this API does not wrap).
    #[must_use]
    pub fn remoting(&self) -> &RemotingClient {
        &self.remoting
    }

    /// Current name server list.
    #[must_use]
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.namesrv.read().clone()
    }

    /// Where the list came from.
    #[must_use]
    pub fn namesrv_source(&self) -> &NameServerSource {
        &self.namesrv_source
    }

    /// Adds a member under `key` (`name@group`: broker calls for `group` go to it); the instance
    /// holds it weakly, so it leaves when its owner drops it.
    pub fn register(&self, key: &str, member: Weak<dyn Member>) {
        self.members.insert(key.to_owned(), member);
    }

    /// Removes the member under `key`.
    pub fn unregister(&self, key: &str) {
        self.members.remove(key);
    }

    fn members(&self) -> Vec<(String, Arc<dyn Member>)> {
        self.members.iter().filter_map(|e| e.value().upgrade().map(|m| (e.key().clone(), m))).collect()
    }

    /// Calls a name server, trying each in turn until one answers.
    pub async fn invoke_namesrv(&self, req: RemotingCommand) -> Result<RemotingCommand> {
        let list = self.namesrv_addrs();
        if list.is_empty() {
            return Err(ClientError::NoNameServer);
        }
        let start = self.namesrv_next.load(Ordering::Relaxed);
        let mut last = None;
        for i in 0..list.len() {
            let addr = &list[(start + i) % list.len()];
            match self.remoting.invoke(addr, req.clone(), self.config.api_timeout).await {
                Ok(resp) => {
                    self.namesrv_next.store((start + i) % list.len(), Ordering::Relaxed);
                    return Ok(resp);
                }
                Err(e) => {
                    tracing::debug!(namesrv = %addr, cause = %e, "name server call failed; trying the next");
                    last = Some(e);
                }
            }
        }
        self.namesrv_next.store(start + 1, Ordering::Relaxed);
        Err(last.map_or(ClientError::NoNameServer, ClientError::from))
    }

    /// Calls `addr` with the API timeout and maps an error code to [`ClientError::Broker`].
    pub async fn invoke_ok(&self, addr: &str, req: RemotingCommand) -> Result<RemotingCommand> {
        let resp = self.remoting.invoke(addr, req, self.config.api_timeout).await?;
        expect_ok(addr, resp)
    }

    /// Fetches a topic's route from the name servers and caches it.
    pub async fn update_route(&self, topic: &str) -> Result<TopicRouteData> {
        let h = GetRouteInfoRequestHeader { topic: topic.to_owned(), accept_standard_json_only: Some(true) };
        let resp =
            self.invoke_namesrv(RemotingCommand::request_with_header(RequestCode::GetRouteinfoByTopic, &h)).await?;
        if resp.response_code() == ResponseCode::TopicNotExist {
            self.routes.remove(topic);
            return Err(ClientError::NoRoute(topic.to_owned()));
        }
        let resp = expect_ok("name server", resp)?;
        let route: TopicRouteData = rmq_remoting::body::decode(&resp.body)
            .map_err(|e| ClientError::Invalid(format!("bad route of {topic}: {e}")))?;
        for b in &route.broker_datas {
            self.brokers.insert(b.broker_name.clone(), b.broker_addrs.clone());
        }
        self.routes.insert(topic.to_owned(), route.clone());
        Ok(route)
    }

    /// The cached route, fetched when absent. A cached route is used while name servers are down.
    pub async fn route(&self, topic: &str) -> Result<TopicRouteData> {
        if let Some(r) = self.routes.get(topic) {
            return Ok(r.clone());
        }
        self.update_route(topic).await
    }

    /// The cached route, if any.
    #[must_use]
    pub fn cached_route(&self, topic: &str) -> Option<TopicRouteData> {
        self.routes.get(topic).map(|r| r.clone())
    }

    /// Address of `broker_name`'s broker `id` (0 = master), from routes seen so far.
    #[must_use]
    pub fn broker_addr(&self, broker_name: &str, id: i64) -> Option<String> {
        self.brokers.get(broker_name).and_then(|m| m.get(&id).cloned())
    }

    /// The master's address, else any slave's (for reads while the master is down).
    #[must_use]
    pub fn broker_addr_for_read(&self, broker_name: &str, prefer: i64) -> Option<(String, i64)> {
        let m = self.brokers.get(broker_name)?;
        m.get(&prefer)
            .map(|a| (a.clone(), prefer))
            .or_else(|| m.get(&0).map(|a| (a.clone(), 0)))
            .or_else(|| m.iter().next().map(|(id, a)| (a.clone(), *id)))
    }

    /// Every broker address known.
    #[must_use]
    pub fn all_broker_addrs(&self) -> Vec<(String, i64, String)> {
        let mut out = Vec::new();
        for e in &self.brokers {
            for (id, addr) in e.value() {
                out.push((e.key().clone(), *id, addr.clone()));
            }
        }
        out
    }

    fn spawn_tasks(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let stop = self.stop.clone();
        let routes_every = self.config.poll_name_server_interval;
        let beat_every = self.config.heartbeat_broker_interval;
        let persist_every = self.config.persist_consumer_offset_interval;
        tokio::spawn(periodic(weak.clone(), stop.clone(), Duration::from_millis(10), routes_every, |i| {
            Box::pin(async move { i.refresh_routes().await })
        }));
        tokio::spawn(periodic(weak.clone(), stop.clone(), Duration::from_secs(1), beat_every, |i| {
            Box::pin(async move { i.send_heartbeats().await })
        }));
        tokio::spawn(periodic(weak.clone(), stop.clone(), persist_every, persist_every, |i| {
            Box::pin(async move {
                for (_, m) in i.members() {
                    m.persist_offsets();
                }
            })
        }));
        tokio::spawn(periodic(weak.clone(), stop.clone(), Duration::from_secs(20), Duration::from_secs(20), |i| {
            Box::pin(async move {
                for (_, m) in i.members() {
                    m.rebalance();
                }
            })
        }));
        if let NameServerSource::Http(url) = &self.namesrv_source {
            let url = url.clone();
            tokio::spawn(periodic(weak, stop, Duration::from_secs(120), Duration::from_secs(120), move |i| {
                let url = url.clone();
                Box::pin(async move {
                    match crate::namesrv::fetch(&url, Duration::from_secs(3)).await {
                        Ok(list) if !list.is_empty() => *i.namesrv.write() = list,
                        Ok(_) => tracing::warn!(%url, "name server endpoint returned no address; keeping the old list"),
                        Err(e) => tracing::warn!(%url, cause = %e, "refreshing name servers failed"),
                    }
                })
            }));
        }
    }

    /// Refreshes the routes of every member's topics (cached routes stay when this fails).
    pub async fn refresh_routes(&self) {
        let mut topics: Vec<String> = self.members().iter().flat_map(|(_, m)| m.topics()).collect();
        topics.sort();
        topics.dedup();
        for t in topics {
            if let Err(e) = self.update_route(&t).await {
                tracing::debug!(topic = %t, cause = %e, "route refresh failed");
            }
        }
    }

    /// Sends one heartbeat to every known broker (consumers' too, so slaves know them).
    pub async fn send_heartbeats(&self) {
        let members = self.members();
        let data = HeartbeatData {
            client_id: self.client_id.clone(),
            producer_data_set: members.iter().filter_map(|(_, m)| m.producer_data()).collect(),
            consumer_data_set: members.iter().filter_map(|(_, m)| m.consumer_data()).collect(),
        };
        if data.producer_data_set.is_empty() && data.consumer_data_set.is_empty() {
            return;
        }
        let Ok(body) = serde_json::to_vec(&data) else { return };
        let has_consumers = !data.consumer_data_set.is_empty();
        for (name, id, addr) in self.all_broker_addrs() {
            if id != 0 && !has_consumers {
                continue;
            }
            let req = RemotingCommand::request(RequestCode::HeartBeat).with_body(body.clone());
            if let Err(e) = self.invoke_ok(&addr, req).await {
                tracing::debug!(broker = %name, %addr, cause = %e, "heartbeat failed");
            }
        }
    }

    /// Tells every broker a producer or consumer group left.
    pub(crate) async fn unregister_group(&self, producer_group: Option<&str>, consumer_group: Option<&str>) {
        for (_, _, addr) in self.all_broker_addrs() {
            let h = UnregisterClientRequestHeader {
                client_id: self.client_id.clone(),
                producer_group: producer_group.map(str::to_owned),
                consumer_group: consumer_group.map(str::to_owned),
            };
            let req = RemotingCommand::request_with_header(RequestCode::UnregisterClient, &h);
            let _ = self.remoting.invoke(&addr, req, self.config.api_timeout).await;
        }
    }

    /// Requests of this client's producers waiting for their reply.
    pub(crate) fn replies(&self) -> &PendingReplies {
        &self.replies
    }

    /// The member addressed by a broker call (by its group).
    fn addressed(&self, req: &RemotingCommand) -> Option<Arc<dyn Member>> {
        let mut group =
            ["consumerGroup", "group", "producerGroup"].iter().find_map(|k| req.ext_fields.get(k)).map(str::to_owned);
        if req.request_code() == RequestCode::CheckTransactionState {
            // The producer group travels in the half message's PGROUP property.
            group = rmq_common::message::MessageExt::decode(&req.body).ok().and_then(|m| {
                rmq_common::property::get(&m.properties, rmq_common::property::PGROUP).map(str::to_owned)
            });
        }
        let members = self.members();
        group.and_then(|g| members.into_iter().find(|(k, _)| k.ends_with(&format!("@{g}")))).map(|(_, m)| m)
    }

    /// The later answer of the addressed member, if it answers this call later.
    fn later_answer(&self, req: &RemotingCommand) -> Option<LaterAnswer> {
        self.addressed(req)?.on_broker_call(req)
    }

    fn on_broker_request(&self, req: &RemotingCommand) -> Option<RemotingCommand> {
        if req.request_code() == RequestCode::PushReplyMessageToClient {
            return Some(self.replies.on_push(req));
        }
        match self.addressed(req) {
            Some(m) => m.on_broker_request(req),
            None if req.request_code() == RequestCode::NotifyConsumerIdsChanged => None,
            None => Some(RemotingCommand::error(
                ResponseCode::SystemError,
                format!("no member of this client for request {}", req.code),
            )),
        }
    }

    /// Stops the periodic tasks and closes connections.
    pub fn shutdown(&self) {
        self.stop.cancel();
        self.remoting.shutdown();
    }
}

impl Drop for ClientInstance {
    fn drop(&mut self) {
        self.stop.cancel();
        self.remoting.shutdown();
    }
}

type Job = Box<dyn Fn(Arc<ClientInstance>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send>;

async fn periodic<F>(weak: Weak<ClientInstance>, stop: CancellationToken, first: Duration, every: Duration, job: F)
where
    F: Fn(Arc<ClientInstance>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + 'static,
{
    let job: Job = Box::new(job);
    let mut wait = first;
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.cancelled() => return,
        }
        let Some(inst) = weak.upgrade() else { return };
        job(inst).await;
        wait = every;
    }
}

/// Maps a non-success response to [`ClientError::Broker`].
pub fn expect_ok(addr: &str, resp: RemotingCommand) -> Result<RemotingCommand> {
    if resp.response_code() == ResponseCode::Success {
        Ok(resp)
    } else {
        Err(ClientError::broker(addr, resp.code, resp.remark))
    }
}
