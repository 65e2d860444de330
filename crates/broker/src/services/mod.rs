//! Background services. Each owns its state and is built from the few handles it uses (the
//! store, a table or two, the parking lot, the stop signal); none sees the others' state except
//! through a handle it was given.
//!
//! - [`schedule::ScheduleService`]: delayed delivery by level (SCHEDULE_TOPIC_XXXX).
//! - [`timer::TimerService`]: delivery at a given time (the timer wheel).
//! - [`transaction::TransactionService`]: half messages, decisions, the checker.
//! - [`ha::Replication`]: master or slave replication, and the slave's metadata sync.
//! - [`controller::Membership`]: controller mode: id, role and epochs from the controllers.
//! - [`register::Registration`]: registration with the name servers.
//! - [`routes::TopicRoutes`]: topic routes from the name servers (server load balancing).
//! - [`pop::PopService`]: POP checkpoints, acks, revive (its own journal).
//! - [`housekeeping::Housekeeping`]: offset persistence and silent-client expiry.
//! - [`retention_watch`]: warnings and counters when retention deletes unconsumed messages.
//! - [`meta_writer::MetaWriter`]: the one thread that saves changed tables in batches.

pub mod controller;
pub mod ha;
pub mod housekeeping;
pub mod meta_writer;
pub mod pop;
pub mod register;
pub mod retention_watch;
pub mod routes;
pub mod schedule;
pub mod timer;
pub mod transaction;

use std::sync::Arc;

use rmq_store::PutStatus;

/// Whether a put stored the message (the flush or replication may still have timed out).
#[must_use]
pub fn stored(status: PutStatus) -> bool {
    matches!(
        status,
        PutStatus::Ok | PutStatus::FlushDiskTimeout | PutStatus::FlushSlaveTimeout | PutStatus::SlaveNotAvailable
    )
}

/// The services request handlers call into, by name.
#[derive(Debug, Clone)]
pub struct Services {
    /// Delay levels and their progress.
    pub schedule: Arc<schedule::ScheduleService>,
    /// Timer messages (None when timerWheelEnable=false).
    pub timer: Option<Arc<timer::TimerService>>,
    /// Transaction decisions.
    pub transactions: Arc<transaction::TransactionService>,
    /// Master or slave replication.
    pub replication: ha::Replication,
    /// POP consumption state and revive.
    pub pop: Arc<pop::PopService>,
    /// Topic routes for QUERY_ASSIGNMENT.
    pub routes: Arc<routes::TopicRoutes>,
    /// Controller mode: the membership of the broker set (None otherwise).
    pub controller: Option<Arc<controller::Membership>>,
}
