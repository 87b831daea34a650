//! Web settings that the CLI passes in (`atlasview serve --help`).

use chrono::Duration;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Anonymous read access for wall dashboards (`--public-read`).
    pub public_read: bool,
    /// Served over HTTPS (directly or behind a TLS proxy): `Secure` cookies and HSTS.
    pub https: bool,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends after this long whatever its activity.
    pub session_max: Duration,
    /// Failed-or-not login attempts allowed per client address per minute; 0 = unlimited.
    pub login_attempts_per_minute: u32,
    /// The one-time token that lets a client other than this machine create
    /// the first admin on a fresh database (printed on the console at start,
    /// or chosen with `--setup-token`); `None`: only loopback clients may.
    pub setup_token: Option<String>,
    /// The largest file that may be attached to an incident, in bytes.
    pub attachment_max_bytes: usize,
    /// The SMTP relay notification e-mails go through (`--smtp-host`);
    /// `None`: notifications stay in the app.
    pub smtp: Option<crate::service::mail::SmtpSettings>,
    /// How webhook deliveries are sent (`--webhooks-allow-private`, …).
    pub webhooks: crate::service::webhooks::WebhookSettings,
    /// The reverse proxies whose `X-Forwarded-For` names the client
    /// (`--trusted-proxy`); none by default.
    pub trusted_proxies: crate::web::client_addr::TrustedProxies,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_read: false,
            https: false,
            session_idle: Duration::hours(2),
            session_max: Duration::hours(12),
            login_attempts_per_minute: 10,
            setup_token: None,
            attachment_max_bytes: crate::domain::attachment::DEFAULT_MAX_BYTES,
            smtp: None,
            webhooks: Default::default(),
            trusted_proxies: Default::default(),
        }
    }
}
