//! ACL 2.0 commands (RocketMQ 5.3's `tools/command/auth`): createUser, updateUser,
//! deleteUser, getUser, listUser, createAcl, updateAcl, deleteAcl, getAcl, listAcl, with the
//! official options and text. Changes go to every broker of `-c` (slaves too, each keeps its
//! own copy); reads go to the masters.

use clap::Subcommand;
use rmq_admin::auth::{acl_info, Auth};
use rmq_admin::{Admin, Target};
use rmq_remoting::body::{AclInfo, UserInfo};

use crate::output::{Output, TargetArgs};

const USER_FORMAT_WIDTHS: [usize; 3] = [16, 22, 22];
const ACL_FORMAT_WIDTHS: [usize; 5] = [16, 10, 22, 20, 24];

/// ACL 2.0 commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Create user to cluster.
    #[command(name = "createUser")]
    CreateUser {
        #[command(flatten)]
        target: TargetArgs,
        /// The username of user to create.
        #[arg(short = 'u', long = "username")]
        username: String,
        /// The password of user to create.
        #[arg(short = 'p', long = "password")]
        password: String,
        /// The userType of user to create (Super or Normal).
        #[arg(short = 't', long = "userType")]
        user_type: Option<String>,
    },
    /// Update user to cluster.
    #[command(name = "updateUser")]
    UpdateUser {
        #[command(flatten)]
        target: TargetArgs,
        /// The username of user to update.
        #[arg(short = 'u', long = "username")]
        username: String,
        /// The password of user to update.
        #[arg(short = 'p', long = "password", required_unless_present_any = ["user_type", "user_status"])]
        password: Option<String>,
        /// The userType of user to update.
        #[arg(short = 't', long = "userType")]
        user_type: Option<String>,
        /// The userStatus of user to update (enable or disable).
        #[arg(short = 's', long = "userStatus")]
        user_status: Option<String>,
    },
    /// Delete user from cluster.
    #[command(name = "deleteUser")]
    DeleteUser {
        #[command(flatten)]
        target: TargetArgs,
        /// The username of user to delete.
        #[arg(short = 'u', long = "username")]
        username: String,
    },
    /// Get user from cluster.
    #[command(name = "getUser")]
    GetUser {
        #[command(flatten)]
        target: TargetArgs,
        /// The username of user to get.
        #[arg(short = 'u', long = "username")]
        username: String,
    },
    /// List user from cluster.
    #[command(name = "listUser")]
    ListUser {
        #[command(flatten)]
        target: TargetArgs,
        /// The filter to list users.
        #[arg(short = 'f', long = "filter")]
        filter: Option<String>,
    },
    /// Create acl to cluster.
    #[command(name = "createAcl")]
    CreateAcl(AclArgs),
    /// Update acl to cluster.
    #[command(name = "updateAcl")]
    UpdateAcl(AclArgs),
    /// Delete acl from cluster.
    #[command(name = "deleteAcl")]
    DeleteAcl {
        #[command(flatten)]
        target: TargetArgs,
        /// The subject of acl to delete.
        #[arg(short = 's', long = "subject")]
        subject: String,
        /// The resources of acl to delete.
        #[arg(short = 'r', long = "resources")]
        resource: Option<String>,
    },
    /// Get acl from cluster.
    #[command(name = "getAcl")]
    GetAcl {
        #[command(flatten)]
        target: TargetArgs,
        /// The subject of acl to get.
        #[arg(short = 's', long = "subject")]
        subject: String,
    },
    /// List acl from cluster.
    #[command(name = "listAcl")]
    ListAcl {
        #[command(flatten)]
        target: TargetArgs,
        /// The subject of acl to filter.
        #[arg(short = 's', long = "subject")]
        subject: Option<String>,
        /// The resource of acl to filter.
        #[arg(short = 'r', long = "resource")]
        resource: Option<String>,
    },
}

/// createAcl / updateAcl options.
#[derive(clap::Args, Debug)]
pub struct AclArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// The subject of acl (`User:name`).
    #[arg(short = 's', long = "subject")]
    subject: String,
    /// The resources of acl, comma-separated (`Topic:t,Group:g*,*`).
    #[arg(short = 'r', long = "resources")]
    resources: String,
    /// The actions of acl, comma-separated (Pub, Sub, Create, Update, Delete, Get, List, All).
    #[arg(short = 'a', long = "actions")]
    actions: String,
    /// The sourceIps of acl, comma-separated addresses or CIDR blocks.
    #[arg(short = 'i', long = "sourceIp")]
    source_ip: Option<String>,
    /// The decision of acl (Allow or Deny).
    #[arg(short = 'd', long = "decision")]
    decision: String,
}

fn list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn trimmed(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned())
}

impl Cmd {
    /// Runs the command.
    pub async fn run(self, admin: &Admin, out: Output) -> anyhow::Result<()> {
        let auth = Auth::new(admin);
        match self {
            Self::CreateUser { target, username, password, user_type } => {
                let user = UserInfo {
                    username: Some(username.trim().to_owned()),
                    password: Some(password.trim().to_owned()),
                    user_type: trimmed(user_type),
                    user_status: None,
                };
                let user = &user;
                each(admin, out, &target, "create user to", |addr| async move { auth.create_user(&addr, user).await })
                    .await
            }
            Self::UpdateUser { target, username, password, user_type, user_status } => {
                let user = UserInfo {
                    username: Some(username.trim().to_owned()),
                    password: trimmed(password),
                    user_type: trimmed(user_type),
                    user_status: trimmed(user_status),
                };
                let user = &user;
                each(admin, out, &target, "update user to", |addr| async move { auth.update_user(&addr, user).await })
                    .await
            }
            Self::DeleteUser { target, username } => {
                let name = username.trim();
                each(admin, out, &target, "delete user to", |addr| async move { auth.delete_user(&addr, name).await })
                    .await
            }
            other => other.run_reads_and_acls(admin, auth, out).await,
        }
    }

    async fn run_reads_and_acls(self, admin: &Admin, auth: Auth<'_>, out: Output) -> anyhow::Result<()> {
        match self {
            Self::GetUser { target, username } => get_user(admin, auth, out, &target, username.trim()).await,
            Self::ListUser { target, filter } => list_users(admin, auth, out, &target, trimmed(filter)).await,
            Self::CreateAcl(args) => put_acl(admin, auth, out, args, false).await,
            Self::UpdateAcl(args) => put_acl(admin, auth, out, args, true).await,
            Self::DeleteAcl { target, subject, resource } => {
                let (subject, resource) = (subject.trim(), trimmed(resource));
                let resource = resource.as_deref();
                each(admin, out, &target, "delete acl to", |addr| async move {
                    auth.delete_acl(&addr, subject, resource).await
                })
                .await
            }
            Self::GetAcl { target, subject } => {
                let mut acls = Vec::new();
                for addr in read_addrs(admin, &target).await? {
                    acls.extend(auth.get_acl(&addr, subject.trim()).await?);
                }
                out.print(&acls, || acl_text(&acls))
            }
            Self::ListAcl { target, subject, resource } => {
                let (s, r) = (trimmed(subject), trimmed(resource));
                let mut acls = Vec::new();
                for addr in read_addrs(admin, &target).await? {
                    acls = auth.list_acls(&addr, s.as_deref(), r.as_deref()).await?;
                    if !acls.is_empty() {
                        break;
                    }
                }
                out.print(&acls, || if acls.is_empty() { String::new() } else { acl_text(&acls) })
            }
            _ => Ok(()),
        }
    }
}

/// Runs `call` on every broker of the target (slaves included), printing RocketMQ's line each.
async fn each<F, Fut>(admin: &Admin, out: Output, target: &TargetArgs, verb: &str, call: F) -> anyhow::Result<()>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = rmq_admin::Result<()>>,
{
    let brokers = admin.resolve(&target.target(), true).await?;
    let mut done = Vec::new();
    for b in brokers {
        call(b.addr.clone()).await?;
        done.push(b.addr);
    }
    out.print(&done, || done.iter().map(|a| format!("{verb} {a} success.\n")).collect())
}

/// The broker of `-b`, or the masters of `-c`.
async fn read_addrs(admin: &Admin, target: &TargetArgs) -> anyhow::Result<Vec<String>> {
    let target = target.target();
    if let Target::Broker(addr) = &target {
        return Ok(vec![addr.clone()]);
    }
    Ok(admin.resolve(&target, false).await?.into_iter().map(|b| b.addr).collect())
}

async fn get_user(admin: &Admin, auth: Auth<'_>, out: Output, target: &TargetArgs, name: &str) -> anyhow::Result<()> {
    for addr in read_addrs(admin, target).await? {
        if let Some(user) = auth.get_user(&addr, name).await? {
            let users = vec![user];
            return out.print(&users, || user_text(&users));
        }
    }
    out.print(&Vec::<UserInfo>::new(), String::new)
}

async fn list_users(
    admin: &Admin,
    auth: Auth<'_>,
    out: Output,
    target: &TargetArgs,
    f: Option<String>,
) -> anyhow::Result<()> {
    let cluster = matches!(target.target(), Target::Cluster(_));
    for addr in read_addrs(admin, target).await? {
        let users = auth.list_users(&addr, f.as_deref()).await?;
        if !users.is_empty() {
            let tail = if cluster { format!("get user from {addr} success.\n") } else { String::new() };
            return out.print(&users, || user_text(&users) + &tail);
        }
    }
    out.print(&Vec::<UserInfo>::new(), String::new)
}

async fn put_acl(admin: &Admin, auth: Auth<'_>, out: Output, args: AclArgs, update: bool) -> anyhow::Result<()> {
    let ips = args.source_ip.as_deref().map(list).unwrap_or_default();
    let acl = acl_info(args.subject.trim(), &list(&args.resources), &list(&args.actions), &ips, args.decision.trim());
    let verb = if update { "update acl to" } else { "create acl to" };
    let acl = &acl;
    each(admin, out, &args.target, verb, |addr| async move { auth.put_acl(&addr, acl, update).await }).await
}

/// Java's `%-Ns` of a value, `null` when absent.
fn cell(value: Option<&str>) -> String {
    value.unwrap_or("null").to_owned()
}

/// Java's `List.toString()`, `null` when absent.
fn java_list(items: Option<&Vec<String>>) -> String {
    items.map_or_else(|| "null".to_owned(), |v| format!("[{}]", v.join(", ")))
}

fn line(cells: &[String], widths: &[usize]) -> String {
    let mut out = String::new();
    for (i, c) in cells.iter().enumerate() {
        match widths.get(i) {
            Some(w) => out.push_str(&format!("{c:<w$}  ")),
            None => out.push_str(&format!("{c:<10}")),
        }
    }
    out + "\n"
}

fn user_text(users: &[UserInfo]) -> String {
    let head: Vec<String> = ["#UserName", "#Password", "#UserType", "#UserStatus"].map(str::to_owned).to_vec();
    let mut out = line(&head, &USER_FORMAT_WIDTHS);
    for u in users {
        let cells = [&u.username, &u.password, &u.user_type, &u.user_status].map(|v| cell(v.as_deref()));
        out += &line(&cells, &USER_FORMAT_WIDTHS);
    }
    out.lines().map(|l| l.trim_end().to_owned() + "\n").collect()
}

fn acl_text(acls: &[AclInfo]) -> String {
    let head = ["#Subject", "#PolicyType", "#Resource", "#Actions", "#SourceIp", "#Decision"].map(str::to_owned);
    let mut out = line(&head, &ACL_FORMAT_WIDTHS);
    for acl in acls {
        let subject = cell(acl.subject.as_deref());
        for policy in acl.policies.iter().flatten() {
            for e in policy.entries.iter().flatten() {
                let cells = [
                    subject.clone(),
                    cell(policy.policy_type.as_deref()),
                    cell(e.resource.as_deref()),
                    java_list(e.actions.as_ref()),
                    java_list(e.source_ips.as_ref()),
                    cell(e.decision.as_deref()),
                ];
                out += &line(&cells, &ACL_FORMAT_WIDTHS);
            }
        }
    }
    out.lines().map(|l| l.trim_end().to_owned() + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_print_as_the_official_tool() {
        let users = vec![UserInfo {
            username: Some("rocketmq".into()),
            password: Some("12345678".into()),
            user_type: Some("Super".into()),
            user_status: Some("enable".into()),
        }];
        let text = user_text(&users);
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "rocketmq          12345678                Super                   enable"
        );
        let acl = acl_info("User:u", &["Topic:t".into()], &["Pub".into(), "Sub".into()], &[], "Allow");
        let text = acl_text(&[acl]);
        assert!(text.lines().nth(1).unwrap().contains("[Pub, Sub]"), "{text}");
        assert!(text.lines().nth(1).unwrap().contains("null"), "{text}");
    }
}
