//! What every handler shares ([`Console`]: the admin client, the settings, the charts'
//! history) and the responses every page family uses (layout, errors, the read-only refusal).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use rmq_admin::Admin;

use crate::history::History;
use crate::{html, ConsoleConfig, ConsoleError};

/// What every page handler shares: the admin client, the settings, the charts' history.
#[derive(Debug)]
pub struct Console {
    /// The admin client of the cluster.
    pub admin: Arc<Admin>,
    /// The settings.
    pub config: ConsoleConfig,
    /// Samples for the charts.
    pub history: Arc<History>,
}

/// The state handlers receive.
pub(crate) type St = axum::extract::State<Arc<Console>>;

impl Console {
    /// Connects the admin client (signing with the configured account, if any).
    pub async fn connect(config: ConsoleConfig) -> Result<Self, ConsoleError> {
        let credentials = config.credentials.as_ref().map(|(ak, sk)| rmq_acl::Credentials::new(ak, sk));
        let mut client = Admin::config(config.namesrv_addr.as_deref(), config.timeout);
        client.instance_name = format!("mqconsole-{}", std::process::id());
        client.credentials = credentials;
        let admin = Arc::new(Admin::connect_with(client).await?);
        let history = Arc::new(History::new(config.history_len()));
        Ok(Self { admin, config, history })
    }

    /// A page with the layout, status 200.
    pub(crate) fn page(&self, title: &str, active: &str, body: &str) -> Response {
        Html(html::page(title, active, self.config.admin, body)).into_response()
    }

    /// A page with an error notice and `status`.
    pub(crate) fn error(&self, status: StatusCode, title: &str, active: &str, text: &str) -> Response {
        (status, Html(html::page(title, active, self.config.admin, &html::notice("error", text)))).into_response()
    }

    /// The refusal of a change in read-only mode, `None` when changes are allowed.
    pub(crate) fn refuse_read_only(&self, what: &str) -> Option<Response> {
        (!self.config.admin).then(|| {
            let text = format!("Refused: {what} needs a console started with --admin (this one is read-only).");
            self.error(StatusCode::FORBIDDEN, "Read-only console", "", &text)
        })
    }
}
