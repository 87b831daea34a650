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
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_read: false,
            https: false,
            session_idle: Duration::hours(2),
            session_max: Duration::hours(12),
            login_attempts_per_minute: 10,
        }
    }
}
