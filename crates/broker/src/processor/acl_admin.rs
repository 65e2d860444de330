//! ACL 1.0 admin codes (`mqadmin updateAclConfig`, `deleteAclConfig`, `updateGlobalWhiteAddr`,
//! `clusterAclConfigVersion`, `getAclConfig`): changes written to the broker's plain_acl.yml by
//! `rmq_acl::edit` and loaded at once. Only admin accounts reach them (the ACL guard), and only
//! with `aclEnable=true`, as in RocketMQ.

use std::path::Path;
use std::sync::Arc;

use rmq_acl::{edit, AclError, AclValidator};
use rmq_remoting::header::{
    CreateAccessConfigRequestHeader, DeleteAccessConfigRequestHeader, GetBrokerAclConfigResponseHeader,
    UpdateGlobalWhiteAddrsConfigRequestHeader,
};
use rmq_remoting::{RemotingCommand, ResponseCode};

use crate::context::BrokerContext;
use crate::error::{BrokerError, HandlerResult};

/// The validator, or the refusal RocketMQ's broker gives when ACL is off.
fn validator(ctx: &BrokerContext, failed: ResponseCode) -> Result<&Arc<AclValidator>, BrokerError> {
    ctx.acl.as_ref().ok_or_else(|| BrokerError::Code(failed, "ACL is disabled on this broker (aclEnable=false)".into()))
}

/// Runs a change, then loads the file so the next request sees it.
fn changed(v: &AclValidator, failed: ResponseCode, what: &str, r: Result<(), AclError>) -> HandlerResult {
    match r {
        Ok(()) => {
            v.reload();
            tracing::info!(file = %v.path().display(), what, "ACL file changed by an admin request");
            Ok(RemotingCommand::success())
        }
        Err(e) => Err(BrokerError::Code(failed, format!("{what} failed: {e}"))),
    }
}

/// UPDATE_AND_CREATE_ACL_CONFIG (50).
pub fn update_account(ctx: &BrokerContext, h: &CreateAccessConfigRequestHeader) -> HandlerResult {
    let failed = ResponseCode::UPDATE_AND_CREATE_ACL_CONFIG_FAILED;
    let v = validator(ctx, failed)?;
    let what = format!("update of accessKey {}", h.access_key);
    changed(v, failed, &what, edit::update_account(v.path(), h))
}

/// DELETE_ACL_CONFIG (51): DELETE_ACL_CONFIG_FAILED for an unknown AccessKey, as RocketMQ.
pub fn delete_account(ctx: &BrokerContext, h: &DeleteAccessConfigRequestHeader) -> HandlerResult {
    let failed = ResponseCode::DELETE_ACL_CONFIG_FAILED;
    let v = validator(ctx, failed)?;
    let what = format!("deletion of accessKey {}", h.access_key);
    let r = edit::delete_account(v.path(), &h.access_key).and_then(|found| {
        found.then_some(()).ok_or_else(|| AclError::Account(format!("no account with accessKey {}", h.access_key)))
    });
    changed(v, failed, &what, r)
}

/// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53); `aclFileFullPath` may only name the broker's file.
pub fn update_global_white(ctx: &BrokerContext, h: &UpdateGlobalWhiteAddrsConfigRequestHeader) -> HandlerResult {
    let failed = ResponseCode::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED;
    let v = validator(ctx, failed)?;
    if let Some(other) = h.acl_file_full_path.as_deref().filter(|p| !p.is_empty() && !same_file(Path::new(p), v.path()))
    {
        return Err(BrokerError::Code(failed, format!("{other} is not this broker's ACL file {}", v.path().display())));
    }
    changed(
        v,
        failed,
        "update of globalWhiteRemoteAddresses",
        edit::update_global_white(v.path(), &h.global_white_addrs),
    )
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// GET_BROKER_CLUSTER_ACL_INFO (52): the file's version and this broker, in the header.
pub fn version_info(ctx: &BrokerContext) -> HandlerResult {
    let v = validator(ctx, ResponseCode::SystemError)?;
    let version = edit::version(v.path()).map_err(|e| BrokerError::System(e.to_string()))?;
    let version_json = serde_json::to_string(&version).map_err(|e| BrokerError::System(e.to_string()))?;
    let all = serde_json::json!({ v.path().display().to_string(): version });
    let identity = &ctx.config.identity;
    let header = GetBrokerAclConfigResponseHeader {
        version: version_json,
        all_acl_file_version: Some(all.to_string()),
        broker_name: identity.broker_name.clone(),
        broker_addr: ctx.config.broker_addr(),
        cluster_name: identity.broker_cluster_name.clone(),
    };
    Ok(RemotingCommand::success().with_header(&header))
}

/// GET_BROKER_CLUSTER_ACL_CONFIG (54): the whole file as `AclConfig` (secrets included).
pub fn acl_config(ctx: &BrokerContext) -> HandlerResult {
    let v = validator(ctx, ResponseCode::SystemError)?;
    let config = edit::acl_config(v.path()).map_err(|e| BrokerError::System(e.to_string()))?;
    let body = serde_json::to_vec(&config).map_err(|e| BrokerError::System(e.to_string()))?;
    Ok(RemotingCommand::success().with_body(body))
}
