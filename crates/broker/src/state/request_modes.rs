//! Which groups read which topics by POP (server-side load balancing), persisted in
//! messageRequestMode.json as Apache RocketMQ's `MessageRequestModeManager` keeps it.

use std::path::{Path, PathBuf};

use parking_lot::RwLock;
use rmq_remoting::body::{MessageRequestModeSerializeWrapper, SetMessageRequestModeRequestBody};

use crate::persist::{load_with_backup, write_atomic, PersistError};

/// The mode table: topic → group → mode.
#[derive(Debug)]
pub struct RequestModeTable {
    path: PathBuf,
    inner: RwLock<MessageRequestModeSerializeWrapper>,
}

impl RequestModeTable {
    /// Loads messageRequestMode.json (or its backup); empty when there is none.
    #[must_use]
    pub fn load(config_dir: &Path) -> Self {
        let path = config_dir.join("messageRequestMode.json");
        let table = load_with_backup(&path, |t| rmq_remoting::body::decode(t.as_bytes()).ok()).unwrap_or_default();
        Self { path, inner: RwLock::new(table) }
    }

    /// The group's mode on the topic, if one was set.
    #[must_use]
    pub fn get(&self, topic: &str, group: &str) -> Option<SetMessageRequestModeRequestBody> {
        self.inner.read().message_request_mode_map.get(topic)?.get(group).cloned()
    }

    /// Sets a group's mode on a topic and persists the table.
    pub fn set(&self, mode: SetMessageRequestModeRequestBody) -> Result<(), PersistError> {
        {
            let mut inner = self.inner.write();
            let groups = inner.message_request_mode_map.entry(mode.topic.clone()).or_default();
            groups.insert(mode.consumer_group.clone(), mode);
        }
        self.persist()
    }

    /// The whole table (GET_ALL_MESSAGE_REQUEST_MODE).
    #[must_use]
    pub fn wrapper(&self) -> MessageRequestModeSerializeWrapper {
        self.inner.read().clone()
    }

    /// Replaces the table with the master's (slave sync); true when it changed.
    pub fn replace_all(&self, table: MessageRequestModeSerializeWrapper) -> Result<bool, PersistError> {
        {
            let mut inner = self.inner.write();
            if *inner == table {
                return Ok(false);
            }
            *inner = table;
        }
        self.persist().map(|()| true)
    }

    fn persist(&self) -> Result<(), PersistError> {
        let text = serde_json::to_string_pretty(&*self.inner.read()).unwrap_or_default();
        write_atomic(&self.path, &text)
    }
}

#[cfg(test)]
mod tests {
    use rmq_remoting::body::MessageRequestMode;

    use super::*;

    fn pop(topic: &str, group: &str) -> SetMessageRequestModeRequestBody {
        SetMessageRequestModeRequestBody {
            topic: topic.into(),
            consumer_group: group.into(),
            mode: MessageRequestMode::Pop,
            pop_share_queue_num: 1,
        }
    }

    #[test]
    fn modes_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let table = RequestModeTable::load(dir.path());
        assert!(table.get("t", "g").is_none());
        table.set(pop("t", "g")).unwrap();
        let again = RequestModeTable::load(dir.path());
        assert_eq!(again.get("t", "g"), Some(pop("t", "g")));
        assert!(again.get("t", "other").is_none());
        let text = std::fs::read_to_string(dir.path().join("messageRequestMode.json")).unwrap();
        assert!(text.contains("\"messageRequestModeMap\""), "{text}");
    }

    #[test]
    fn a_slave_takes_the_masters_table() {
        let dir = tempfile::tempdir().unwrap();
        let table = RequestModeTable::load(dir.path());
        table.set(pop("old", "g")).unwrap();
        let master = RequestModeTable::load(tempfile::tempdir().unwrap().path());
        master.set(pop("t", "g")).unwrap();
        assert!(table.replace_all(master.wrapper()).unwrap());
        assert!(!table.replace_all(master.wrapper()).unwrap());
        assert!(table.get("old", "g").is_none());
        assert_eq!(table.get("t", "g"), Some(pop("t", "g")));
    }
}
