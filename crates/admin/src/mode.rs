//! How groups read topics, PULL or POP (`setConsumeMode`): SET_MESSAGE_REQUEST_MODE on the target
//! masters, and the whole table a broker keeps (GET_ALL_MESSAGE_REQUEST_MODE).

use rmq_remoting::body::{MessageRequestMode, MessageRequestModeSerializeWrapper, SetMessageRequestModeRequestBody};
use rmq_remoting::{RemotingCommand, RequestCode};
use serde::Serialize;

use crate::{parse_json, Admin, AdminError, BrokerRef, Result, Target};

/// A mode set on one broker.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModeOnBroker {
    /// The broker.
    pub broker: BrokerRef,
    /// What it now has.
    pub mode: SetMessageRequestModeRequestBody,
}

/// The consume mode calls (`Modes::new(&admin)`).
#[derive(Debug, Clone, Copy)]
pub struct Modes<'a> {
    admin: &'a Admin,
}

impl<'a> Modes<'a> {
    /// The calls of this family made through `admin`.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    /// Sets the group's mode on the topic on the target masters (the first refusal stops).
    pub async fn set_consume_mode(
        &self,
        target: &Target,
        mode: &SetMessageRequestModeRequestBody,
    ) -> Result<Vec<ModeOnBroker>> {
        let body = serde_json::to_vec(mode).map_err(|e| AdminError::Invalid(e.to_string()))?;
        let mut out = Vec::new();
        for broker in self.admin.resolve(target, false).await? {
            let req = RemotingCommand::request(RequestCode::SetMessageRequestMode).with_body(body.clone());
            self.admin.broker_ok(&broker.addr, req).await?;
            out.push(ModeOnBroker { broker, mode: mode.clone() });
        }
        Ok(out)
    }

    /// The modes the broker at `addr` keeps.
    pub async fn all_modes(&self, addr: &str) -> Result<MessageRequestModeSerializeWrapper> {
        let resp = self.admin.broker_ok(addr, RemotingCommand::request(RequestCode::GetAllMessageRequestMode)).await?;
        parse_json(addr, &resp.body)
    }
}

/// A mode by name, as the official tool reads `-m` (`MessageRequestMode.valueOf`).
pub fn parse_mode(text: &str) -> Result<MessageRequestMode> {
    MessageRequestMode::from_name(text.trim())
        .ok_or_else(|| AdminError::Invalid(format!("no consume mode {}: PULL or POP", text.trim())))
}
