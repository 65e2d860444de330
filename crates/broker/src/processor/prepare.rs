//! Broker-side rewriting of a message before it is stored: the CLUSTER property, and parking of
//! delayed and timer messages on their system topics.

use rmq_common::{property, sysflag};
use rmq_store::StoreMessage;

use crate::context::BrokerContext;
use crate::error::BrokerError;
use crate::services::timer::{clear_timer_properties, deliver_ms};
use crate::services::Services;
use crate::state::topics::system;

/// Sets the CLUSTER property and drops WAIT; a message with a delay level moves to
/// SCHEDULE_TOPIC_XXXX (queue = level − 1) and a timer message to the timer topic, both keeping
/// REAL_TOPIC/REAL_QID. A delay level wins over timer properties (as RocketMQ). Prepared and
/// rolled-back transaction messages are left as they are.
pub fn prepare(ctx: &BrokerContext, services: &Services, mut m: StoreMessage) -> Result<StoreMessage, BrokerError> {
    property::set(&mut m.properties, property::CLUSTER, &ctx.config.identity.broker_cluster_name);
    property::remove(&mut m.properties, property::WAIT);
    let tx = m.sys_flag & sysflag::TRANSACTION_MASK;
    if tx != 0 && tx != sysflag::TRANSACTION_COMMIT {
        return Ok(m);
    }
    let level = property::get(&m.properties, property::DELAY).and_then(|d| d.parse::<usize>().ok()).unwrap_or(0);
    let levels = services.schedule.levels();
    if level > 0 && !levels.is_empty() {
        clear_timer_properties(&mut m.properties);
        let level = level.min(levels.len());
        park(&mut m, system::SCHEDULE, i32::try_from(level - 1).unwrap_or(0));
        let due = crate::now_ms() + i64::try_from(levels[level - 1].as_millis()).unwrap_or(0);
        m.tag_code = Some(due);
        return Ok(m);
    }
    if property::get(&m.properties, property::TIMER_OUT_MS).is_some() {
        return Ok(m);
    }
    park_timer(ctx, services, m)
}

/// Parks a message whose timer properties ask for a later delivery.
fn park_timer(ctx: &BrokerContext, services: &Services, mut m: StoreMessage) -> Result<StoreMessage, BrokerError> {
    let now = crate::now_ms();
    let due = deliver_ms(&m.properties, now).map_err(BrokerError::MessageIllegal)?;
    let Some(due) = due.filter(|d| *d > now) else { return Ok(m) };
    if services.timer.is_none() {
        return Err(BrokerError::MessageIllegal(
            "timer messages are disabled on this broker (timerWheelEnable=false)".into(),
        ));
    }
    let max_ms = i64::try_from(ctx.config.delay.timer_max_delay_sec).unwrap_or(i64::MAX / 1000).saturating_mul(1000);
    if due - now > max_ms {
        return Err(BrokerError::MessageIllegal(format!(
            "timer message illegal, the delay time should not be bigger than the max delay {max_ms}ms"
        )));
    }
    property::set(&mut m.properties, property::TIMER_OUT_MS, &due.to_string());
    park(&mut m, system::TIMER, 0);
    Ok(m)
}

/// Moves a message to a system topic, keeping its real topic and queue in properties.
fn park(m: &mut StoreMessage, topic: &str, queue_id: i32) {
    property::set(&mut m.properties, property::REAL_TOPIC, &m.topic.clone());
    property::set(&mut m.properties, property::REAL_QID, &m.queue_id.to_string());
    m.topic = topic.to_owned();
    m.queue_id = queue_id;
}
