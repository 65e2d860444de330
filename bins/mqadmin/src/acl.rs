//! ACL 1.0 commands: updateAclConfig, deleteAclConfig, updateGlobalWhiteAddr,
//! clusterAclConfigVersion, getAclConfig (the official 4.9.0 `getAccessConfigSubCommand`).
//!
//! The account a command creates or deletes is `-a`/`-s` as in the official tool; their long
//! forms are `--aclAccessKey`/`--aclSecretKey` here, because `--accessKey`/`--secretKey` are
//! mqadmin's own signing account (the official tool reads that from conf/tools.yml); the
//! fields are named apart from the global ones because clap shares argument ids with globals.

use clap::Subcommand;
use rmq_admin::acl::{AclVersion, Acls, BrokerAcl};
use rmq_admin::Admin;
use rmq_remoting::header::CreateAccessConfigRequestHeader;
use serde_json::json;

use crate::output::{time, Output, Table, TargetArgs};

/// ACL commands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Create or update an account in the brokers' plain_acl.yml.
    #[command(name = "updateAclConfig")]
    UpdateAclConfig {
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        account: AccountArgs,
    },
    /// Delete an account from the brokers' plain_acl.yml.
    #[command(name = "deleteAclConfig", alias = "deleteAccessConfig")]
    DeleteAclConfig {
        #[command(flatten)]
        target: TargetArgs,
        /// The account's AccessKey.
        #[arg(short = 'a', long = "aclAccessKey")]
        account: String,
    },
    /// Replace the global white address list of the brokers' plain_acl.yml.
    #[command(name = "updateGlobalWhiteAddr")]
    UpdateGlobalWhiteAddr {
        #[command(flatten)]
        target: TargetArgs,
        /// Address patterns, e.g. `10.10.103.*,192.168.0.*` (empty: none).
        #[arg(short = 'g', long = "globalWhiteRemoteAddresses")]
        addrs: String,
        /// Which ACL file (only the broker's own is accepted).
        #[arg(short = 'p', long = "aclFileFullPath")]
        file: Option<String>,
    },
    /// List the ACL file version of each broker.
    #[command(name = "clusterAclConfigVersion")]
    ClusterAclConfigVersion {
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Print the brokers' whole ACL (accounts with their secret keys, global whitelist).
    #[command(name = "getAclConfig", alias = "getAccessConfigSubCommand")]
    GetAclConfig {
        #[command(flatten)]
        target: TargetArgs,
    },
}

/// The account fields of updateAclConfig (absent ones are kept on an existing account).
#[derive(clap::Args, Debug)]
pub struct AccountArgs {
    /// AccessKey of the account.
    #[arg(short = 'a', long = "aclAccessKey")]
    account: String,
    /// SecretKey of the account (6 characters or more).
    #[arg(short = 's', long = "aclSecretKey")]
    account_secret: Option<String>,
    /// Addresses whose requests need no signature.
    #[arg(short = 'w', long = "whiteRemoteAddress")]
    white: Option<String>,
    /// Permission on topics not listed: PUB, SUB, PUB|SUB or DENY.
    #[arg(short = 'i', long = "defaultTopicPerm")]
    default_topic: Option<String>,
    /// Permission on groups not listed.
    #[arg(short = 'u', long = "defaultGroupPerm")]
    default_group: Option<String>,
    /// Topic permissions, e.g. `topicA=DENY,topicD=SUB`.
    #[arg(short = 't', long = "topicPerms")]
    topics: Option<String>,
    /// Group permissions, e.g. `groupA=DENY,groupD=SUB`.
    #[arg(short = 'g', long = "groupPerms")]
    groups: Option<String>,
    /// Admin account: true or false.
    #[arg(short = 'm', long = "admin")]
    admin: Option<String>,
}

impl AccountArgs {
    fn header(&self) -> CreateAccessConfigRequestHeader {
        let trim = |v: &Option<String>| v.as_deref().map(|s| s.trim().to_owned());
        CreateAccessConfigRequestHeader {
            access_key: self.account.trim().to_owned(),
            secret_key: trim(&self.account_secret),
            white_remote_address: trim(&self.white),
            admin: Some(self.admin.as_deref().is_some_and(|a| a.trim().eq_ignore_ascii_case("true"))),
            default_topic_perm: trim(&self.default_topic),
            default_group_perm: trim(&self.default_group),
            topic_perms: trim(&self.topics),
            group_perms: trim(&self.groups),
        }
    }
}

impl Cmd {
    /// Runs the command.
    pub async fn run(self, admin: &Admin, out: Output) -> anyhow::Result<()> {
        let acls = Acls::new(admin);
        match self {
            Self::UpdateAclConfig { target, account } => update_account(&acls, &target, &account, out).await,
            Self::DeleteAclConfig { target, account } => {
                let brokers = acls.delete_account(&target.target(), account.trim()).await?;
                let addrs: Vec<_> = brokers.iter().map(|b| b.addr.clone()).collect();
                out.print(&json!({"accessKey": account, "brokers": addrs}), || {
                    lines(&addrs, "delete plain access config account from {} success.")
                        + &format!("account's accesskey is:{account}\n")
                })
            }
            Self::UpdateGlobalWhiteAddr { target, addrs, file } => {
                let brokers = acls.update_global_white(&target.target(), addrs.trim(), file.as_deref()).await?;
                let done: Vec<_> = brokers.iter().map(|b| b.addr.clone()).collect();
                out.print(&json!({"globalWhiteRemoteAddresses": addrs, "brokers": done}), || {
                    lines(&done, "update global white remote addresses to {} success.")
                })
            }
            Self::ClusterAclConfigVersion { target } => {
                let versions = acls.versions(&target.target()).await?;
                out.print(&versions, || version_table(&versions))
            }
            Self::GetAclConfig { target } => {
                let configs = acls.configs(&target.target()).await?;
                out.print(&configs, || config_text(&configs))
            }
        }
    }
}

/// updateAclConfig: creates or updates one account on the target brokers.
async fn update_account(
    acls: &Acls<'_>,
    target: &TargetArgs,
    account: &AccountArgs,
    out: Output,
) -> anyhow::Result<()> {
    let h = account.header();
    let brokers = acls.update_account(&target.target(), &h).await?;
    let addrs: Vec<_> = brokers.iter().map(|b| b.addr.clone()).collect();
    out.print(&json!({"accessKey": h.access_key, "brokers": addrs}), || {
        lines(&addrs, "create or update plain access config to {} success.")
            + &format!("accessKey={} admin={}\n", h.access_key, h.admin.unwrap_or(false))
    })
}

fn lines(addrs: &[String], pattern: &str) -> String {
    addrs.iter().map(|a| pattern.replace("{}", a) + "\n").collect()
}

fn version_table(versions: &[AclVersion]) -> String {
    let mut t = Table::new(&[
        "Cluster Name",
        "Broker Name",
        "Broker Addr",
        "AclFilePath",
        "AclConfigVersionNum",
        "AclLastUpdateTime",
    ]);
    for v in versions {
        for (file, version) in &v.files {
            t.row(vec![
                v.cluster_name.clone(),
                v.broker_name.clone(),
                v.broker.addr.clone(),
                file.clone(),
                version.counter.to_string(),
                time(version.timestamp),
            ]);
        }
    }
    t.render() + "get cluster's plain access config version success.\n"
}

fn config_text(configs: &[BrokerAcl]) -> String {
    let mut s = String::new();
    for b in configs {
        let c = &b.config;
        s += &format!(
            "broker {}\n{:<20}: {:?}\n\naccounts:\n",
            b.broker.addr, "globalWhiteRemoteAddresses", c.global_white_addrs
        );
        for a in &c.plain_access_configs {
            let fields = [
                ("accessKey", a.access_key.clone()),
                ("secretKey", a.secret_key.clone()),
                ("whiteRemoteAddress", a.white_remote_address.clone()),
                ("admin", a.admin.to_string()),
                ("defaultTopicPerm", a.default_topic_perm.clone()),
                ("defaultGroupPerm", a.default_group_perm.clone()),
                ("topicPerms", format!("{:?}", a.topic_perms)),
                ("groupPerms", format!("{:?}", a.group_perms)),
            ];
            for (name, value) in fields {
                s += &format!("  {name:<18}: {value}\n");
            }
            s.push('\n');
        }
    }
    s
}
