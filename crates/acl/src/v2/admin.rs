//! The AUTH_* administration codes (3001–3010) as RocketMQ 5.3's `AdminBrokerProcessor`
//! answers them: SUCCESS (with a `UserInfo` / `AclInfo` JSON body for reads), INVALID_PARAMETER
//! for a blank username, NO_PERMISSION with RocketMQ's reason for a refused change, and
//! SYSTEM_ERROR when a non-super caller touches a super user or the file cannot be written.
//! Served on masters and slaves alike (the official mqadmin writes to every broker of a
//! cluster, slaves included).

use rmq_remoting::body::{AclInfo, UserInfo};
use rmq_remoting::header::{
    AclRequestHeader, CommandHeader, DeleteAclRequestHeader, ListAclsRequestHeader, ListUsersRequestHeader,
    UserRequestHeader,
};
use rmq_remoting::{RemotingCommand, RequestCode, ResponseCode};

use super::convert::{acl_from_info, acl_info, user_info};
use super::model::{PolicyType, Resource, UserType};
use super::store::{user_from_info, AuthStore, StoreError, UserUpdate};
use crate::sign;

/// Whether `code` is one of the AUTH_* codes.
#[must_use]
pub fn is_auth_admin(code: RequestCode) -> bool {
    (3001..=3010).contains(&code.value())
}

/// The answer to an AUTH_* request.
#[must_use]
pub fn handle(store: &AuthStore, req: &RemotingCommand) -> RemotingCommand {
    let answer = match req.request_code() {
        RequestCode::AuthCreateUser => create_user(store, req),
        RequestCode::AuthUpdateUser => update_user(store, req),
        RequestCode::AuthDeleteUser => delete_user(store, req),
        RequestCode::AuthGetUser => get_user(store, req),
        RequestCode::AuthListUser => list_users(store, req),
        RequestCode::AuthCreateAcl | RequestCode::AuthUpdateAcl => put_acl(store, req),
        RequestCode::AuthDeleteAcl => delete_acl(store, req),
        RequestCode::AuthGetAcl => get_acl(store, req),
        RequestCode::AuthListAcl => list_acls(store, req),
        other => Err(failure(ResponseCode::RequestCodeNotSupported, &format!("{other} is not an AUTH code"))),
    };
    answer.unwrap_or_else(|f| RemotingCommand::error(f.code, f.remark))
}

/// A refusal: the response code and remark to answer with.
#[derive(Debug)]
struct Fail {
    code: ResponseCode,
    remark: String,
}

type Answer = Result<RemotingCommand, Fail>;

fn failure(code: ResponseCode, remark: &str) -> Fail {
    Fail { code, remark: remark.to_owned() }
}

fn from_store(e: StoreError) -> Fail {
    match e {
        StoreError::Refused(why) => failure(ResponseCode::NoPermission, &why),
        StoreError::Io(cause) => {
            tracing::error!(%cause, "auth metadata not saved");
            failure(ResponseCode::SystemError, "An system error occurred, please try again later.")
        }
    }
}

fn header<H: CommandHeader>(req: &RemotingCommand) -> Result<H, Fail> {
    req.header().map_err(|e| failure(ResponseCode::InvalidParameter, &e.to_string()))
}

fn body<T: serde::de::DeserializeOwned + Default>(req: &RemotingCommand) -> Result<T, Fail> {
    if req.body.is_empty() {
        return Ok(T::default());
    }
    rmq_remoting::body::decode(&req.body).map_err(|e| failure(ResponseCode::SystemError, &e.to_string()))
}

fn json(value: &impl serde::Serialize) -> RemotingCommand {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    RemotingCommand::success().with_body(bytes)
}

/// The username of a user request; blank is INVALID_PARAMETER.
fn username(req: &RemotingCommand) -> Result<String, Fail> {
    let h: UserRequestHeader = header(req)?;
    let name = h.username.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    name.ok_or_else(|| failure(ResponseCode::InvalidParameter, "The username is blank"))
}

/// RocketMQ's `isNotSuperUserLogin`: an unsigned request (authentication off) counts as super.
fn caller_is_super(store: &AuthStore, req: &RemotingCommand) -> bool {
    match req.ext_fields.get(sign::ACCESS_KEY).filter(|k| !k.is_empty()) {
        None => true,
        Some(name) => store.user(name).is_some_and(|u| u.user_type == UserType::Super),
    }
}

fn create_user(store: &AuthStore, req: &RemotingCommand) -> Answer {
    let name = username(req)?;
    let info: UserInfo = body(req)?;
    let info = UserInfo { username: Some(name), ..info };
    let user = user_from_info(&info).ok_or_else(|| failure(ResponseCode::InvalidParameter, "The username is blank"))?;
    if user.user_type == UserType::Super && !caller_is_super(store, req) {
        return Err(failure(ResponseCode::SystemError, "The super user can only be create by super user"));
    }
    store.create_user(user).map_err(from_store)?;
    Ok(RemotingCommand::success())
}

fn update_user(store: &AuthStore, req: &RemotingCommand) -> Answer {
    let name = username(req)?;
    let info: UserInfo = body(req)?;
    let user_type = info.user_type.as_deref().and_then(UserType::parse);
    let superuser = caller_is_super(store, req);
    if user_type == Some(UserType::Super) && !superuser {
        return Err(failure(ResponseCode::SystemError, "The super user can only be update by super user"));
    }
    let old = store.user(&name).ok_or_else(|| failure(ResponseCode::NoPermission, "The user is not exist"))?;
    if old.user_type == UserType::Super && !superuser {
        return Err(failure(ResponseCode::NoPermission, "The super user can only be update by super user"));
    }
    let user_status = info.user_status.as_deref().and_then(super::model::UserStatus::parse);
    let update = UserUpdate { username: name, password: info.password, user_type, user_status };
    store.update_user(update).map_err(from_store)?;
    Ok(RemotingCommand::success())
}

fn delete_user(store: &AuthStore, req: &RemotingCommand) -> Answer {
    let h: UserRequestHeader = header(req)?;
    let name = h.username.unwrap_or_default();
    let Some(old) = store.user(&name) else {
        return Ok(RemotingCommand::success());
    };
    if old.user_type == UserType::Super && !caller_is_super(store, req) {
        return Err(failure(ResponseCode::NoPermission, "The super user can only be update by super user"));
    }
    store.delete_user(&name).map_err(from_store)?;
    Ok(RemotingCommand::success())
}

fn get_user(store: &AuthStore, req: &RemotingCommand) -> Answer {
    let name = username(req)?;
    Ok(match store.user(&name) {
        Some(user) => json(&user_info(&user)),
        None => RemotingCommand::success(),
    })
}

fn list_users(store: &AuthStore, req: &RemotingCommand) -> Answer {
    let h: ListUsersRequestHeader = header(req)?;
    let users: Vec<UserInfo> =
        store.list_users(h.filter.as_deref().unwrap_or_default()).iter().map(user_info).collect();
    Ok(if users.is_empty() { RemotingCommand::success() } else { json(&users) })
}

fn put_acl(store: &AuthStore, req: &RemotingCommand) -> Answer {
    let h: AclRequestHeader = header(req)?;
    let info: AclInfo = body(req)?;
    if info.policies.as_ref().is_none_or(Vec::is_empty) {
        return Err(failure(ResponseCode::SystemError, "The body of acl is null"));
    }
    let acl = acl_from_info(&info, h.subject.as_deref()).map_err(|why| failure(ResponseCode::NoPermission, &why))?;
    store.put_acl(acl).map_err(from_store)?;
    Ok(RemotingCommand::success())
}

fn delete_acl(store: &AuthStore, req: &RemotingCommand) -> Answer {
    let h: DeleteAclRequestHeader = header(req)?;
    let subject = h.subject.unwrap_or_default();
    if subject.trim().is_empty() {
        return Err(failure(ResponseCode::NoPermission, "The subject is null."));
    }
    let policy_type = h.policy_type.as_deref().and_then(PolicyType::parse).unwrap_or(PolicyType::Custom);
    let resource = h.resource.as_deref().and_then(Resource::parse);
    store.delete_acl(subject.trim(), policy_type, resource.as_ref()).map_err(from_store)?;
    Ok(RemotingCommand::success())
}

fn get_acl(store: &AuthStore, req: &RemotingCommand) -> Answer {
    let h: AclRequestHeader = header(req)?;
    let subject = h.subject.unwrap_or_default();
    Ok(match store.get_acl(subject.trim()).map_err(from_store)? {
        Some(acl) => json(&acl_info(&acl)),
        None => RemotingCommand::success(),
    })
}

fn list_acls(store: &AuthStore, req: &RemotingCommand) -> Answer {
    let h: ListAclsRequestHeader = header(req)?;
    let (s, r) = (h.subject_filter.unwrap_or_default(), h.resource_filter.unwrap_or_default());
    let acls: Vec<AclInfo> = store.list_acls(&s, &r).iter().map(acl_info).collect();
    Ok(if acls.is_empty() { RemotingCommand::success() } else { json(&acls) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;

    fn create(store: &AuthStore, name: &str, user_type: &str, by: Option<(&str, &str)>) -> RemotingCommand {
        let info =
            UserInfo { password: Some("pw123".into()), user_type: Some(user_type.into()), ..UserInfo::default() };
        let mut req = RemotingCommand::request(RequestCode::AuthCreateUser)
            .with_ext("username", name)
            .with_body(serde_json::to_vec(&info).unwrap());
        if let Some((ak, sk)) = by {
            Credentials::new(ak, sk).sign(&mut req);
        }
        handle(store, &req)
    }

    #[test]
    fn users_and_acls_through_the_codes() {
        let dir = tempfile::tempdir().unwrap();
        let store = AuthStore::open(dir.path().join("auth.json")).unwrap();
        assert_eq!(create(&store, "root", "Super", None).code, 0);
        assert_eq!(create(&store, "app", "Normal", Some(("root", "pw123"))).code, 0);
        let refused = create(&store, "evil", "Super", Some(("app", "pw123")));
        assert_eq!((refused.code, refused.remark_str()), (1, "The super user can only be create by super user"));
        let again = create(&store, "app", "Normal", None);
        assert_eq!((again.code, again.remark_str()), (16, "The user is existed"));
        let blank = handle(&store, &RemotingCommand::request(RequestCode::AuthGetUser));
        assert_eq!((blank.code, blank.remark_str()), (29, "The username is blank"));
        let body = br#"{"subject":"User:app","policies":[{"entries":[{"resource":"Topic:T","actions":["Pub"],"decision":"Allow"}]}]}"#;
        let acl =
            RemotingCommand::request(RequestCode::AuthCreateAcl).with_ext("subject", "User:app").with_body(&body[..]);
        assert_eq!(handle(&store, &acl).code, 0);
        let get = handle(&store, &RemotingCommand::request(RequestCode::AuthGetAcl).with_ext("subject", "User:app"));
        let info: AclInfo = rmq_remoting::body::decode(&get.body).unwrap();
        assert_eq!(info.subject.as_deref(), Some("User:app"));
        let list = handle(&store, &RemotingCommand::request(RequestCode::AuthListUser));
        let users: Vec<UserInfo> = rmq_remoting::body::decode(&list.body).unwrap();
        assert_eq!(users.len(), 2);
        let del = RemotingCommand::request(RequestCode::AuthDeleteAcl)
            .with_ext("subject", "User:app")
            .with_ext("resource", "Topic:T");
        assert_eq!(handle(&store, &del).code, 0);
        let gone = handle(&store, &RemotingCommand::request(RequestCode::AuthGetAcl).with_ext("subject", "User:app"));
        assert!(gone.body.is_empty());
    }
}
