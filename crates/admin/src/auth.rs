//! ACL 2.0 administration (RocketMQ 5.3's AUTH_* codes): users and subjects' ACLs on one
//! broker. The official tool sends a change to every broker of a cluster, slaves included (each
//! broker keeps its own copy), and reads from the masters; `mqadmin` does the same with
//! [`Admin::resolve`]`(target, true)`.

use rmq_remoting::body::{AclInfo, PolicyEntryInfo, PolicyInfo, UserInfo};
use rmq_remoting::header::{
    AclRequestHeader, DeleteAclRequestHeader, ListAclsRequestHeader, ListUsersRequestHeader, UserRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode};

use crate::{parse_json, Admin, Result};

/// The AUTH_* calls.
#[derive(Debug, Clone, Copy)]
pub struct Auth<'a> {
    admin: &'a Admin,
}

/// An ACL as createAcl / updateAcl take it: one custom policy with an entry per resource.
#[must_use]
pub fn acl_info(
    subject: &str,
    resources: &[String],
    actions: &[String],
    source_ips: &[String],
    decision: &str,
) -> AclInfo {
    let entries = resources
        .iter()
        .map(|r| PolicyEntryInfo {
            resource: Some(r.clone()),
            actions: Some(actions.to_vec()),
            source_ips: (!source_ips.is_empty()).then(|| source_ips.to_vec()),
            decision: Some(decision.to_owned()),
        })
        .collect();
    let policy = PolicyInfo { policy_type: None, entries: Some(entries) };
    AclInfo { subject: Some(subject.to_owned()), policies: Some(vec![policy]) }
}

fn user_header(name: &str) -> UserRequestHeader {
    UserRequestHeader { username: Some(name.to_owned()) }
}

fn json_body(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

impl<'a> Auth<'a> {
    /// Calls on `admin`.
    #[must_use]
    pub fn new(admin: &'a Admin) -> Self {
        Self { admin }
    }

    async fn call(&self, addr: &str, req: RemotingCommand) -> Result<RemotingCommand> {
        self.admin.broker_ok(addr, req).await
    }

    /// AUTH_CREATE_USER.
    pub async fn create_user(&self, addr: &str, user: &UserInfo) -> Result<()> {
        let name = user.username.clone().unwrap_or_default();
        let req = RemotingCommand::request_with_header(RequestCode::AuthCreateUser, &user_header(&name));
        self.call(addr, req.with_body(json_body(user))).await.map(drop)
    }

    /// AUTH_UPDATE_USER (fields left `None` keep their value).
    pub async fn update_user(&self, addr: &str, user: &UserInfo) -> Result<()> {
        let name = user.username.clone().unwrap_or_default();
        let req = RemotingCommand::request_with_header(RequestCode::AuthUpdateUser, &user_header(&name));
        self.call(addr, req.with_body(json_body(user))).await.map(drop)
    }

    /// AUTH_DELETE_USER (also deletes the user's ACL).
    pub async fn delete_user(&self, addr: &str, name: &str) -> Result<()> {
        let req = RemotingCommand::request_with_header(RequestCode::AuthDeleteUser, &user_header(name));
        self.call(addr, req).await.map(drop)
    }

    /// AUTH_GET_USER: `None` when there is no such user.
    pub async fn get_user(&self, addr: &str, name: &str) -> Result<Option<UserInfo>> {
        let req = RemotingCommand::request_with_header(RequestCode::AuthGetUser, &user_header(name));
        let resp = self.call(addr, req).await?;
        if resp.body.is_empty() {
            return Ok(None);
        }
        parse_json(addr, &resp.body).map(Some)
    }

    /// AUTH_LIST_USER: users whose name contains `filter`.
    pub async fn list_users(&self, addr: &str, filter: Option<&str>) -> Result<Vec<UserInfo>> {
        let h = ListUsersRequestHeader { filter: filter.map(str::to_owned) };
        let resp = self.call(addr, RemotingCommand::request_with_header(RequestCode::AuthListUser, &h)).await?;
        if resp.body.is_empty() {
            return Ok(Vec::new());
        }
        parse_json(addr, &resp.body)
    }

    /// AUTH_CREATE_ACL, or AUTH_UPDATE_ACL when `update` (the broker merges both the same way).
    pub async fn put_acl(&self, addr: &str, acl: &AclInfo, update: bool) -> Result<()> {
        let code = if update { RequestCode::AuthUpdateAcl } else { RequestCode::AuthCreateAcl };
        let h = AclRequestHeader { subject: acl.subject.clone() };
        let req = RemotingCommand::request_with_header(code, &h).with_body(json_body(acl));
        self.call(addr, req).await.map(drop)
    }

    /// AUTH_DELETE_ACL: one resource's entry, or the whole ACL without a resource.
    pub async fn delete_acl(&self, addr: &str, subject: &str, resource: Option<&str>) -> Result<()> {
        let h = DeleteAclRequestHeader {
            subject: Some(subject.to_owned()),
            policy_type: None,
            resource: resource.map(str::to_owned),
        };
        self.call(addr, RemotingCommand::request_with_header(RequestCode::AuthDeleteAcl, &h)).await.map(drop)
    }

    /// AUTH_GET_ACL: `None` when the subject has none.
    pub async fn get_acl(&self, addr: &str, subject: &str) -> Result<Option<AclInfo>> {
        let h = AclRequestHeader { subject: Some(subject.to_owned()) };
        let resp = self.call(addr, RemotingCommand::request_with_header(RequestCode::AuthGetAcl, &h)).await?;
        if resp.body.is_empty() {
            return Ok(None);
        }
        parse_json(addr, &resp.body).map(Some)
    }

    /// AUTH_LIST_ACL, filtered by subject and resource (substrings).
    pub async fn list_acls(&self, addr: &str, subject: Option<&str>, resource: Option<&str>) -> Result<Vec<AclInfo>> {
        let h = ListAclsRequestHeader {
            subject_filter: subject.map(str::to_owned),
            resource_filter: resource.map(str::to_owned),
        };
        let resp = self.call(addr, RemotingCommand::request_with_header(RequestCode::AuthListAcl, &h)).await?;
        if resp.body.is_empty() {
            return Ok(Vec::new());
        }
        parse_json(addr, &resp.body)
    }
}
