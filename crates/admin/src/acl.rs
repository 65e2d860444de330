//! ACL 1.0 administration (`mqadmin updateAclConfig`, `deleteAclConfig`,
//! `updateGlobalWhiteAddr`, `clusterAclConfigVersion`, `getAclConfig`): the brokers' plain_acl.yml
//! changed and read through the admin codes 50-54. Changes go to every broker a target names
//! (a cluster's masters and slaves, as the official tool does); reads to its masters.

use std::collections::BTreeMap;

use rmq_remoting::body::{AclConfig, DataVersion};
use rmq_remoting::header::{
    CreateAccessConfigRequestHeader, DeleteAccessConfigRequestHeader, GetBrokerAclConfigResponseHeader,
    UpdateGlobalWhiteAddrsConfigRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode};
use serde::Serialize;

use crate::{parse_json, Admin, AdminError, BrokerRef, Result, Target};

/// A broker's ACL file version (GET_BROKER_CLUSTER_ACL_INFO).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AclVersion {
    /// The broker.
    pub broker: BrokerRef,
    /// Cluster name the broker reports.
    pub cluster_name: String,
    /// Broker name the broker reports.
    pub broker_name: String,
    /// Version of each ACL file by path.
    pub files: BTreeMap<String, DataVersion>,
}

/// A broker's whole ACL (GET_BROKER_CLUSTER_ACL_CONFIG).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerAcl {
    /// The broker.
    pub broker: BrokerRef,
    /// Its file's content.
    pub config: AclConfig,
}

/// ACL calls.
#[derive(Debug)]
pub struct Acls<'a> {
    admin: &'a Admin,
}

impl<'a> Acls<'a> {
    /// Over an admin client.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    /// Creates or updates an account on every broker of the target; the brokers changed.
    pub async fn update_account(&self, target: &Target, h: &CreateAccessConfigRequestHeader) -> Result<Vec<BrokerRef>> {
        self.change(target, || RemotingCommand::request_with_header(RequestCode::UpdateAndCreateAclConfig, h)).await
    }

    /// Deletes an account on every broker of the target.
    pub async fn delete_account(&self, target: &Target, access_key: &str) -> Result<Vec<BrokerRef>> {
        let h = DeleteAccessConfigRequestHeader { access_key: access_key.to_owned() };
        self.change(target, || RemotingCommand::request_with_header(RequestCode::DeleteAclConfig, &h)).await
    }

    /// Replaces the global whitelist (comma-separated patterns) on every broker of the target.
    pub async fn update_global_white(
        &self,
        target: &Target,
        addrs: &str,
        file: Option<&str>,
    ) -> Result<Vec<BrokerRef>> {
        let h = UpdateGlobalWhiteAddrsConfigRequestHeader {
            global_white_addrs: addrs.to_owned(),
            acl_file_full_path: file.map(str::to_owned),
        };
        self.change(target, || RemotingCommand::request_with_header(RequestCode::UpdateGlobalWhiteAddrsConfig, &h))
            .await
    }

    /// The ACL file versions of the target's masters.
    pub async fn versions(&self, target: &Target) -> Result<Vec<AclVersion>> {
        let mut out = Vec::new();
        for broker in self.admin.resolve(target, false).await? {
            let req = RemotingCommand::request(RequestCode::GetBrokerClusterAclInfo);
            let resp = self.admin.broker_ok(&broker.addr, req).await?;
            let h: GetBrokerAclConfigResponseHeader = resp.header().map_err(|e| bad(&broker.addr, &e))?;
            let all = h.all_acl_file_version.unwrap_or_default();
            let mut files: BTreeMap<String, DataVersion> =
                if all.is_empty() { BTreeMap::new() } else { parse_json(&broker.addr, all.as_bytes())? };
            if files.is_empty() {
                files.insert(String::new(), parse_json(&broker.addr, h.version.as_bytes())?);
            }
            out.push(AclVersion { broker, cluster_name: h.cluster_name, broker_name: h.broker_name, files });
        }
        Ok(out)
    }

    /// The whole ACL of the target's masters (secret keys included).
    pub async fn configs(&self, target: &Target) -> Result<Vec<BrokerAcl>> {
        let mut out = Vec::new();
        for broker in self.admin.resolve(target, false).await? {
            let req = RemotingCommand::request(RequestCode::GetBrokerClusterAclConfig);
            let resp = self.admin.broker_ok(&broker.addr, req).await?;
            let config = parse_json(&broker.addr, &resp.body)?;
            out.push(BrokerAcl { broker, config });
        }
        Ok(out)
    }

    async fn change(&self, target: &Target, req: impl Fn() -> RemotingCommand) -> Result<Vec<BrokerRef>> {
        let brokers = self.admin.resolve(target, true).await?;
        for broker in &brokers {
            self.admin.broker_ok(&broker.addr, req()).await?;
        }
        Ok(brokers)
    }
}

fn bad(addr: &str, e: &impl std::fmt::Display) -> AdminError {
    AdminError::BadAnswer { addr: addr.to_owned(), reason: e.to_string() }
}
