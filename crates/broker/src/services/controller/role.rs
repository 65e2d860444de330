//! What the controllers decided for this broker, and how it turns into a broker config: the
//! master registers as brokerId 0 with role SYNC_MASTER, a slave under its own id following
//! the master's HA port (its listenPort + 1). Pure, unit-tested.

use rmq_remoting::body::SyncStateSet;
use rmq_remoting::header::ElectMasterResponseHeader;

use crate::config::{BrokerConfig, BrokerRole};

/// This broker's place in its set, as the controllers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The id the controllers gave this broker.
    pub broker_id: i64,
    /// The master's id (`None`: the set has no master).
    pub master_id: Option<i64>,
    /// The master's address.
    pub master_addr: Option<String>,
    /// The master's epoch.
    pub master_epoch: i32,
    /// The SyncStateSet with its epoch (not part of the role: it changes without one).
    pub sync_state_set: SyncStateSet,
}

impl Decision {
    /// From a register, elect or replica-info answer.
    #[must_use]
    pub fn from_header(broker_id: i64, h: &ElectMasterResponseHeader) -> Self {
        Self {
            broker_id,
            master_id: h.master_broker_id.filter(|id| *id >= 0),
            master_addr: h.master_address.clone().filter(|a| !a.is_empty()),
            master_epoch: h.master_epoch.unwrap_or(0),
            sync_state_set: SyncStateSet {
                sync_state_set: std::collections::BTreeSet::new(),
                sync_state_set_epoch: h.sync_state_set_epoch.unwrap_or(0),
            },
        }
    }

    /// Whether this broker is the master.
    #[must_use]
    pub fn is_master(&self) -> bool {
        self.master_id == Some(self.broker_id)
    }

    /// Whether running as `self` must change to run as `next`: becoming or ceasing to be
    /// master, or following another master or epoch. A set that lost its master changes
    /// nothing until the controllers elect one.
    #[must_use]
    pub fn must_change_to(&self, next: &Self) -> bool {
        next.master_id.is_some() && (self.master_id, self.master_epoch) != (next.master_id, next.master_epoch)
    }

    /// `base` with the id and role this decision gives: brokerId 0 and SYNC_MASTER for the
    /// master, the broker's own id and SLAVE otherwise.
    #[must_use]
    pub fn apply_to(&self, base: &BrokerConfig) -> BrokerConfig {
        let mut cfg = base.clone();
        if self.is_master() {
            cfg.identity.broker_id = 0;
            cfg.identity.broker_role = BrokerRole::SyncMaster;
            cfg.net.ha_master_address = None;
        } else {
            cfg.identity.broker_id = self.broker_id;
            cfg.identity.broker_role = BrokerRole::Slave;
            cfg.net.ha_master_address = self.master_addr.as_deref().and_then(ha_of);
        }
        cfg
    }
}

/// The HA address of a broker listening at `addr` with the default HA port (listenPort + 1).
#[must_use]
pub fn ha_of(addr: &str) -> Option<String> {
    let (host, port) = addr.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    Some(format!("{host}:{}", port.checked_add(1)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(me: i64, master: Option<i64>, epoch: i32) -> Decision {
        Decision {
            broker_id: me,
            master_id: master,
            master_addr: master.map(|m| format!("127.0.0.1:{}", 10_000 + m * 10)),
            master_epoch: epoch,
            sync_state_set: SyncStateSet::default(),
        }
    }

    #[test]
    fn the_master_registers_as_zero_and_a_slave_follows_the_masters_ha_port() {
        let base = BrokerConfig::default();
        let m = decision(2, Some(2), 3).apply_to(&base);
        assert_eq!((m.identity.broker_id, m.identity.broker_role), (0, BrokerRole::SyncMaster));
        let s = decision(1, Some(2), 3).apply_to(&base);
        assert_eq!((s.identity.broker_id, s.identity.broker_role), (1, BrokerRole::Slave));
        assert_eq!(s.net.ha_master_address.as_deref(), Some("127.0.0.1:10021"));
    }

    #[test]
    fn a_new_master_or_epoch_is_a_change_a_lost_master_is_not() {
        let now = decision(1, Some(2), 3);
        assert!(!now.must_change_to(&decision(1, Some(2), 3)));
        assert!(now.must_change_to(&decision(1, Some(1), 4)), "promoted");
        assert!(now.must_change_to(&decision(1, Some(3), 4)), "another master");
        assert!(now.must_change_to(&decision(1, Some(2), 4)), "same master, new epoch");
        assert!(!now.must_change_to(&decision(1, None, 3)), "no master: wait for an election");
    }

    #[test]
    fn answers_without_a_master_read_as_none() {
        let h = ElectMasterResponseHeader {
            master_broker_id: Some(-1),
            master_address: Some(String::new()),
            master_epoch: Some(0),
            sync_state_set_epoch: Some(0),
        };
        let d = Decision::from_header(4, &h);
        assert_eq!((d.is_master(), d.master_id, d.master_addr), (false, None, None));
        assert_eq!(ha_of("10.0.0.1:10911").as_deref(), Some("10.0.0.1:10912"));
        assert_eq!(ha_of("nonsense"), None);
    }
}
