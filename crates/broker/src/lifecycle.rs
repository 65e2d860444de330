//! Start and stop: opens the store and the tables, builds the request context and each
//! background service from the handles it uses, binds the ports, and on shutdown stops them in
//! order.

use std::future::Future;
use std::sync::Arc;

use rmq_common::msgid::UniqueIdGenerator;
use rmq_remoting::transport::{ClientConfig, Dispatcher, RemotingClient, RemotingServer};
use rmq_store::MessageStore;
use tokio_util::sync::CancellationToken;

use crate::config::live::LiveConfig;
use crate::config::{delay_levels, BrokerConfig};
use crate::context::{BrokerContext, BrokerStats};
use crate::error::StartError;
use crate::metrics::Meters;
use crate::processor::server::start_servers;
use crate::processor::BrokerProcessor;
use crate::services::controller::{self, Incarnation, Membership};
use crate::services::ha::learn::NamesrvTopics;
use crate::services::ha::master::HaMaster;
use crate::services::ha::slave::HaSlave;
use crate::services::ha::sync::MetadataSync;
use crate::services::ha::Replication;
use crate::services::housekeeping::Housekeeping;
use crate::services::meta_writer::MetaWriter;
use crate::services::pop::{PopHandles, PopService, PopSettings};
use crate::services::register::Registration;
use crate::services::routes::TopicRoutes;
use crate::services::schedule::{DelayOffsets, ScheduleService};
use crate::services::timer::{TimerHandles, TimerLayout, TimerService};
use crate::services::transaction::{CheckSettings, TransactionHandles, TransactionService};
use crate::services::Services;
use crate::state::clients::ClientRegistry;
use crate::state::dirty::{Persisted, Wake};
use crate::state::groups::GroupTable;
use crate::state::locks::QueueLocks;
use crate::state::offsets::ConsumerOffsets;
use crate::state::parking::PullHold;
use crate::state::request_modes::RequestModeTable;
use crate::state::topics::TopicTable;
use crate::state::Tables;

/// A broker, opened and not yet serving.
struct Broker {
    ctx: Arc<BrokerContext>,
    services: Arc<Services>,
    registration: Registration,
    namesrv_client: RemotingClient,
    meta_writer: MetaWriter,
}

/// Starts the metadata writer over the persisted tables.
fn start_meta_writer(ctx: &BrokerContext) -> Result<MetaWriter, StartError> {
    let t = &ctx.tables;
    let tables: Vec<Arc<dyn Persisted>> = vec![t.topics.clone(), t.groups.clone(), t.offsets.clone()];
    let delay = std::time::Duration::from_millis(ctx.config.topics.metadata_persist_max_delay_ms);
    MetaWriter::start(Arc::clone(&t.wake), tables, delay)
        .map_err(|e| StartError::Store(format!("starting the metadata writer: {e}")))
}

/// Opens the store and the config tables and builds the request context.
fn open_context(mut config: BrokerConfig) -> Result<BrokerContext, StartError> {
    let fixed = crate::config::live::load_store_copy(&mut config)?;
    if !fixed.is_empty() {
        tracing::warn!(keys = ?fixed, "keys in the store's broker.properties that only a config file sets (ignored)");
    }
    let config_dir = config.config_dir();
    let store =
        MessageStore::open(crate::store_config::store_config(&config)).map_err(|e| StartError::Store(e.to_string()))?;
    let wake = Arc::new(Wake::default());
    let tables = Tables {
        topics: Arc::new(TopicTable::load(&config, &config_dir, Arc::clone(&wake))?),
        groups: Arc::new(GroupTable::load(&config_dir, Arc::clone(&wake))?),
        offsets: Arc::new(ConsumerOffsets::load(&config_dir, Arc::clone(&wake))),
        clients: Arc::new(ClientRegistry::default()),
        locks: Arc::new(QueueLocks::default()),
        filters: Arc::default(),
        request_modes: Arc::new(RequestModeTable::load(&config_dir)),
        wake,
    };
    let unique_ids = unique_ids(&config);
    let metrics_on = config.metrics.metrics_exporter_type == rmq_metrics::ExporterType::Prom;
    let acl = crate::acl::validator(&config);
    let config = Arc::new(config);
    Ok(BrokerContext {
        live: Arc::new(LiveConfig::new(Arc::clone(&config))),
        config,
        store,
        tables,
        parking: Arc::new(PullHold::default()),
        stats: BrokerStats { meters: Arc::new(Meters::new(metrics_on)), ..BrokerStats::default() },
        stop: CancellationToken::new(),
        unique_ids,
        acl,
    })
}

/// The generator of unique ids for messages sent without one: this broker's address, counted
/// from the start of this month.
fn unique_ids(config: &BrokerConfig) -> UniqueIdGenerator {
    let ip = config.net.broker_ip1.parse().unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
    UniqueIdGenerator::starting_now(ip)
}

/// Opens the timer wheel when timers are enabled.
fn open_timer(ctx: &BrokerContext) -> Result<Option<Arc<TimerService>>, StartError> {
    let config = &ctx.config;
    if !config.delay.timer_wheel_enable {
        return Ok(None);
    }
    let layout = TimerLayout {
        store_root: std::path::Path::new(&config.files.store_path_root_dir),
        precision_ms: i64::try_from(config.delay.timer_precision_ms).unwrap_or(1000),
        max_delay_ms: i64::try_from(config.delay.timer_max_delay_sec).unwrap_or(i64::MAX / 2000) * 1000,
    };
    let handles =
        TimerHandles { store: Arc::clone(&ctx.store), parking: Arc::clone(&ctx.parking), stop: ctx.stop.clone() };
    let timer =
        TimerService::open(layout, handles).map_err(|e| StartError::Store(format!("opening the timer wheel: {e}")))?;
    Ok(Some(Arc::new(timer)))
}

/// Opens the POP service (its journal under the store root).
fn open_pop(ctx: &BrokerContext) -> Result<PopService, StartError> {
    let c = &ctx.config;
    let settings = PopSettings {
        broker_name: c.identity.broker_name.clone(),
        revive_queue_num: c.pop.revive_queue_num,
        pop_from_retry_probability: c.pop.pop_from_retry_probability,
        revive_interval_ms: c.pop.revive_interval,
        pop_polling_size: c.pop.pop_polling_size,
        max_pop_polling_size: c.pop.max_pop_polling_size,
    };
    let handles = PopHandles {
        store: Arc::clone(&ctx.store),
        topics: Arc::clone(&ctx.tables.topics),
        groups: Arc::clone(&ctx.tables.groups),
        offsets: Arc::clone(&ctx.tables.offsets),
        stop: ctx.stop.clone(),
    };
    PopService::open(std::path::Path::new(&c.files.store_path_root_dir), settings, handles)
        .map_err(|e| StartError::Store(format!("opening the pop journal: {e}")))
}

/// Builds the services the request handlers call into.
fn build_services(
    ctx: &BrokerContext,
    namesrv_client: &RemotingClient,
    controller: Option<Arc<Membership>>,
) -> Result<Services, StartError> {
    let (store, stop) = (&ctx.store, &ctx.stop);
    // Controller mode: the replication link is fenced by the decided master epoch.
    let decided = controller.as_ref().and_then(|m| m.current().map(|d| (m.broker_id, d.master_epoch)));
    let replication = if ctx.config.is_master() {
        let tls = crate::config::tls::server_tls(&ctx.config).map_err(StartError::Tls)?;
        let mut master = HaMaster::new(Arc::clone(store), stop.clone()).with_tls(tls);
        if let Some((id, epoch)) = decided {
            master = master.with_epoch(epoch, id);
        }
        Replication::Master(Arc::new(master))
    } else {
        let configured = ctx.config.net.ha_master_address.clone();
        let tls = crate::config::tls::client_tls(&ctx.config).map_err(StartError::Tls)?;
        let mut slave = HaSlave::new(configured, Arc::clone(store), stop.clone()).with_tls(tls);
        if let Some((_, epoch)) = decided {
            slave = slave.with_broker_id(ctx.config.identity.broker_id).with_master_epoch(epoch);
        }
        Replication::Slave(Arc::new(slave))
    };
    let levels = delay_levels::parse_delay_levels(&ctx.config.delay.message_delay_level).unwrap_or_default();
    let delay_offsets = DelayOffsets::load(&ctx.config.config_dir());
    let schedule =
        ScheduleService::new(levels, delay_offsets, Arc::clone(store), Arc::clone(&ctx.parking), stop.clone());
    let handles = TransactionHandles {
        store: Arc::clone(store),
        topics: Arc::clone(&ctx.tables.topics),
        offsets: Arc::clone(&ctx.tables.offsets),
        clients: Arc::clone(&ctx.tables.clients),
        replication: replication.clone(),
        stop: stop.clone(),
    };
    let transactions = TransactionService::new(CheckSettings::of(&ctx.config), handles);
    Ok(Services {
        pop: Arc::new(open_pop(ctx)?),
        schedule: Arc::new(schedule),
        timer: open_timer(ctx)?,
        transactions: Arc::new(transactions),
        replication,
        routes: Arc::new(TopicRoutes::new(
            Arc::clone(&ctx.config),
            Arc::clone(&ctx.tables.topics),
            namesrv_client.clone(),
        )),
        controller,
    })
}

impl Broker {
    fn open(config: BrokerConfig, controller: Option<Arc<Membership>>) -> Result<Self, StartError> {
        let ctx = open_context(config)?;
        let meta_writer = start_meta_writer(&ctx)?;
        let signer = crate::acl::signer(&ctx.config)?;
        let tls = crate::config::tls::client_tls(&ctx.config).map_err(StartError::Tls)?;
        let namesrv_client =
            RemotingClient::with_hook(ClientConfig { tls, ..ClientConfig::default() }, Dispatcher::new(), signer);
        let services = build_services(&ctx, &namesrv_client, controller)?;
        let registration = Registration {
            config: Arc::clone(&ctx.config),
            live: Arc::clone(&ctx.live),
            topics: Arc::clone(&ctx.tables.topics),
            client: namesrv_client.clone(),
            replication: services.replication.clone(),
            stop: ctx.stop.clone(),
        };
        Ok(Self { ctx: Arc::new(ctx), services: Arc::new(services), registration, namesrv_client, meta_writer })
    }

    /// Wakes parked pulls (and, on a master, the senders to slaves) when a message reaches a
    /// queue. The listener holds only wake-up points, so the store does not keep the broker alive.
    fn listen_for_arrivals(&self) {
        let parking = Arc::clone(&self.ctx.parking);
        let data = match &self.services.replication {
            Replication::Master(m) => Some(m.data_signal()),
            Replication::Slave(_) => None,
        };
        self.ctx.store.set_arrival_listener(Arc::new(move |topic: &str, queue_id: i32, _offset: i64| {
            parking.arrived(topic, queue_id);
            if let Some(d) = &data {
                d.notify_waiters();
            }
        }));
        let (offsets, losses) = (Arc::clone(&self.ctx.tables.offsets), Arc::clone(&self.ctx.stats.retention));
        self.ctx.store.set_retention_listener(crate::services::retention_watch::listener(offsets, losses));
    }

    /// Starts replication (the HA port on a master; the follower and metadata sync on a slave).
    async fn start_replication(&self) -> Result<(), StartError> {
        let config = &self.ctx.config;
        match &self.services.replication {
            Replication::Master(master) => {
                let listener = HaMaster::bind(&config.net.bind_address, config.ha_port())
                    .await
                    .map_err(|cause| StartError::Bind { addr: config.ha_addr(), cause })?;
                tokio::spawn(Arc::clone(master).serve(listener));
            }
            Replication::Slave(slave) => {
                tokio::spawn(Arc::clone(slave).run());
                let sync = MetadataSync {
                    slave: Arc::clone(slave),
                    client: self.namesrv_client.clone(),
                    topics: Arc::clone(&self.ctx.tables.topics),
                    offsets: Arc::clone(&self.ctx.tables.offsets),
                    groups: Arc::clone(&self.ctx.tables.groups),
                    request_modes: Arc::clone(&self.ctx.tables.request_modes),
                    schedule: Arc::clone(&self.services.schedule),
                    namesrv: NamesrvTopics {
                        client: self.namesrv_client.clone(),
                        namesrv: config.namesrv_list(),
                        broker_name: config.identity.broker_name.clone(),
                    },
                    stop: self.ctx.stop.clone(),
                };
                tokio::spawn(sync.run());
            }
        }
        Ok(())
    }

    /// Starts the Prometheus endpoint when `metricsExporterType=PROM` (stopped when dropped).
    async fn start_metrics(&self) -> Result<Option<rmq_metrics::Exporter>, StartError> {
        let ctx = &self.ctx;
        let sources = crate::metrics::Sources {
            config: Arc::clone(&ctx.config),
            store: Arc::clone(&ctx.store),
            tables: ctx.tables.clone(),
            replication: self.services.replication.clone(),
            meters: Arc::clone(&ctx.stats.meters),
        };
        crate::metrics::start(sources).await.map_err(|e| match e {
            rmq_metrics::MetricsError::Bind { addr, source } => StartError::Bind { addr, cause: source },
        })
    }

    /// Starts the background services: housekeeping and registration everywhere; delayed,
    /// timer and transaction delivery on a master.
    fn spawn_services(&self) {
        let ctx = &self.ctx;
        Housekeeping {
            offsets: Arc::clone(&ctx.tables.offsets),
            clients: Arc::clone(&ctx.tables.clients),
            stop: ctx.stop.clone(),
        }
        .spawn();
        self.registration.spawn();
        if ctx.config.is_master() {
            self.services.schedule.spawn();
            if let Some(timer) = &self.services.timer {
                timer.spawn();
            }
            self.services.transactions.spawn_checker();
            self.services.pop.spawn();
        }
    }

    /// Closes a broker that never served (its start failed).
    fn abandon(&self) {
        self.ctx.stop.cancel();
        self.meta_writer.stop();
        self.ctx.store.shutdown();
        self.namesrv_client.shutdown();
    }

    /// Stops accepting, answers or fails requests in flight, persists offsets, unregisters,
    /// flushes and closes the store.
    async fn shut_down(&self, servers: &[RemotingServer]) {
        let ctx = &self.ctx;
        ctx.stop.cancel();
        ctx.parking.wake_all();
        self.services.pop.wake().notify_waiters();
        for s in servers {
            s.shutdown().await;
        }
        ctx.tables.offsets.schedule_save();
        self.meta_writer.stop();
        self.services.schedule.persist();
        if let Some(t) = &self.services.timer {
            t.persist();
        }
        self.registration.unregister_all().await;
        ctx.store.shutdown();
        self.namesrv_client.shutdown();
    }
}

/// Runs a broker until `shutdown` resolves, then stops gracefully: stop accepting, answer or
/// fail requests in flight, persist offsets, unregister, flush and close the store.
/// In controller mode the controllers decide the role, and a role change opens the broker
/// again in its new role (`services::controller::run`).
pub async fn run(config: BrokerConfig, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
    if config.controller.enable_controller_mode {
        return run_controlled(config, shutdown).await;
    }
    run_incarnation(config, None, shutdown).await
}

/// Controller mode until `shutdown`: join, run in the decided role, and open again in the new
/// role whenever the controllers change it.
async fn run_controlled(config: BrokerConfig, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
    let stop = CancellationToken::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let opened = tokio::select! {
        m = controller::open(&config, &stop) => m?,
        () = &mut shutdown => return Ok(()),
    };
    let Some(membership) = opened else { return Ok(()) };
    loop {
        let decided = tokio::select! {
            d = controller::join_set(&membership, &stop) => d,
            () = &mut shutdown => return Ok(()),
        };
        let Some(decision) = decided else { return Ok(()) };
        let (id, master, epoch) = (membership.broker_id, decision.is_master(), decision.master_epoch);
        tracing::info!(broker_id = id, master, epoch, "role decided by the controllers");
        let cfg = decision.apply_to(&config);
        membership.set_current(decision);
        let inc = Incarnation { membership: Arc::clone(&membership), changed: CancellationToken::new() };
        let changed = inc.changed.clone();
        let mut by_shutdown = false;
        let until = async {
            tokio::select! {
                () = &mut shutdown => by_shutdown = true,
                () = changed.cancelled() => {}
            }
        };
        if let Err(e) = run_incarnation(cfg, Some(inc), until).await {
            tracing::warn!(cause = %e, "broker incarnation failed; joining again");
            tokio::time::sleep(controller::RETRY).await;
        }
        if by_shutdown {
            return Ok(());
        }
    }
}

/// Runs one broker in the role its config gives until `shutdown` resolves; in controller mode
/// `inc` says when the role changed.
pub(crate) async fn run_incarnation(
    config: BrokerConfig,
    inc: Option<Incarnation>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartError> {
    let broker = Broker::open(config, inc.as_ref().map(|i| Arc::clone(&i.membership)))?;
    if let Some(inc) = &inc {
        let (ctx, services) = (&broker.ctx, &broker.services);
        if let Err(e) = inc.started(&ctx.store, &broker.namesrv_client, &ctx.stop, &services.replication).await {
            broker.abandon();
            return Err(e);
        }
    }
    let processor = BrokerProcessor::new(Arc::clone(&broker.ctx), Arc::clone(&broker.services));
    let servers = start_servers(&broker.ctx, &processor).await?;
    broker.start_replication().await?;
    let _metrics = broker.start_metrics().await?;
    broker.listen_for_arrivals();
    broker.spawn_services();
    let config = &broker.ctx.config;
    tracing::info!(
        name = %config.identity.broker_name, id = config.identity.broker_id, addr = %config.broker_addr(),
        role = ?config.identity.broker_role, "broker started"
    );
    shutdown.await;
    tracing::info!("broker shutting down");
    broker.shut_down(&servers).await;
    tracing::info!("broker stopped");
    Ok(())
}
