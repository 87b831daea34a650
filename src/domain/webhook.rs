//! Webhooks out: the events a hook may subscribe to, what a hook's URL may
//! be, which addresses a delivery may never reach unless allowed (SSRF), the
//! retry schedule and the body's signature. No HTTP client, no SQL.

use std::net::IpAddr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::ValidationError;

/// Longest hook URL accepted.
pub const URL_MAX: usize = 2048;
/// Attempts shown per hook on the admin page and the API.
pub const LOG_MAX: i64 = 50;

/// What a hook can be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
pub enum WebhookEvent {
    #[serde(rename = "incident.created")]
    IncidentCreated,
    #[serde(rename = "incident.severity_raised")]
    SeverityRaised,
    /// The first step under the Impact tactic.
    #[serde(rename = "incident.impact_reached")]
    ImpactReached,
    #[serde(rename = "incident.status_changed")]
    StatusChanged,
    /// Ingestion stored alerts naming techniques the active release does not know.
    #[serde(rename = "ingest.unmapped")]
    IngestUnmapped,
    /// Sent by the admin's "send test event" button, whatever the subscription.
    #[serde(rename = "webhook.test")]
    Test,
}

impl WebhookEvent {
    /// The events a hook may subscribe to (the test event is not one).
    pub const SUBSCRIBABLE: &'static [WebhookEvent] = &[
        WebhookEvent::IncidentCreated,
        WebhookEvent::SeverityRaised,
        WebhookEvent::ImpactReached,
        WebhookEvent::StatusChanged,
        WebhookEvent::IngestUnmapped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::IncidentCreated => "incident.created",
            WebhookEvent::SeverityRaised => "incident.severity_raised",
            WebhookEvent::ImpactReached => "incident.impact_reached",
            WebhookEvent::StatusChanged => "incident.status_changed",
            WebhookEvent::IngestUnmapped => "ingest.unmapped",
            WebhookEvent::Test => "webhook.test",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            WebhookEvent::IncidentCreated => "Incident created",
            WebhookEvent::SeverityRaised => "Severity raised",
            WebhookEvent::ImpactReached => "Impact reached",
            WebhookEvent::StatusChanged => "Status changed",
            WebhookEvent::IngestUnmapped => "Ingestion left unmapped IDs",
            WebhookEvent::Test => "Test event",
        }
    }

    pub fn parse(s: &str) -> Option<WebhookEvent> {
        Self::SUBSCRIBABLE
            .iter()
            .chain([WebhookEvent::Test].iter())
            .copied()
            .find(|e| e.as_str() == s)
    }
}

/// A hook as submitted (API body or admin form).
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
}

/// A hook checked and ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDraft {
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub active: bool,
}

impl WebhookInput {
    /// Every problem at once, each naming its field (`url`, `events[i]`).
    /// `allow_private`: whether a URL naming a loopback or private address
    /// literally is accepted (names are checked again at each delivery).
    pub fn validate(&self, allow_private: bool) -> Result<WebhookDraft, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let url = validate_url(&self.url, allow_private).map_err(|e| errors.push(e));
        let mut events = Vec::new();
        for (i, name) in self.events.iter().enumerate() {
            match WebhookEvent::parse(name.trim()).filter(|e| *e != WebhookEvent::Test) {
                Some(e) if !events.contains(&e) => events.push(e),
                Some(_) => {}
                None => errors.push(ValidationError::new(
                    format!("events[{i}]"),
                    format!(
                        "`{}` is not an event: one of {}",
                        super::excerpt::shorten(name, 41),
                        WebhookEvent::SUBSCRIBABLE
                            .iter()
                            .map(|e| e.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
            }
        }
        if self.events.is_empty() {
            errors.push(ValidationError::new(
                "events",
                "choose at least one event to be told of",
            ));
        }
        match url {
            Ok(url) if errors.is_empty() => {
                events.sort();
                Ok(WebhookDraft {
                    url,
                    events,
                    active: self.active,
                })
            }
            _ => Err(errors),
        }
    }
}

/// An absolute http or https URL with a host and no credentials in it.
pub fn validate_url(raw: &str, allow_private: bool) -> Result<String, ValidationError> {
    let bad = |why: String| ValidationError::new("url", why);
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(bad(
            "is required: the http or https address to POST to".into()
        ));
    }
    if raw.len() > URL_MAX {
        return Err(bad(format!("is too long: at most {URL_MAX} characters")));
    }
    let url = url::Url::parse(raw).map_err(|e| bad(format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!(
            "must be http or https, not `{}`",
            super::excerpt::shorten(url.scheme(), 20)
        )));
    }
    let Some(host) = url.host() else {
        return Err(bad("has no host".into()));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "must not hold a user name or password: the signature authenticates us".into(),
        ));
    }
    let literal = match host {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(d)
            if d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost") =>
        {
            Some(IpAddr::from([127, 0, 0, 1]))
        }
        url::Host::Domain(_) => None,
    };
    if let Some(ip) = literal
        && !allow_private
        && is_private(ip)
    {
        return Err(bad(format!(
            "names {ip}, a loopback, private or link-local address: deliveries may not go there \
             (the server's --webhooks-allow-private allows it)"
        )));
    }
    Ok(url.to_string())
}

/// Addresses a delivery may not reach unless the server allows it: this
/// machine, private and shared networks, link-local (cloud metadata at
/// 169.254.169.254), unspecified, multicast and broadcast.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                // 100.64.0.0/10, carrier-grade NAT (shared address space).
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// How deliveries are retried: the wait after the first failed attempt,
/// multiplied by four after each further one, for at most `max_attempts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    pub first_wait: Duration,
    pub max_attempts: u32,
}

impl Default for RetrySchedule {
    /// 30 s, 2 min, 8 min, 32 min, about 2 h: six attempts over about 3 h.
    fn default() -> Self {
        RetrySchedule {
            first_wait: Duration::from_secs(30),
            max_attempts: 6,
        }
    }
}

impl RetrySchedule {
    /// The wait before the attempt after `attempts_made` failed ones; none:
    /// give up.
    pub fn after(self, attempts_made: u32) -> Option<Duration> {
        if attempts_made == 0 || attempts_made >= self.max_attempts {
            return None;
        }
        let factor = 4u32.saturating_pow(attempts_made - 1);
        Some(self.first_wait.saturating_mul(factor))
    }
}

/// The `X-Atlasview-Signature` of `body`: `sha256=` and the hex HMAC-SHA256
/// of the exact bytes sent, keyed with the hook's secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_other_than_http_or_https_are_refused_naming_the_field() {
        for bad in [
            "ftp://example.org/x",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "",
            "example.org/hook",
            "http://user:pw@example.org/",
        ] {
            let e = validate_url(bad, false).expect_err(bad);
            assert_eq!(e.field, "url", "{bad}");
        }
        assert!(validate_url("https://hooks.example.org/in?x=1", false).is_ok());
    }

    #[test]
    fn private_literals_are_refused_unless_allowed() {
        for host in [
            "127.0.0.1",
            "[::1]",
            "169.254.169.254",
            "10.1.2.3",
            "192.168.0.1",
            "localhost",
            "[::ffff:127.0.0.1]",
            "0.0.0.0",
            "[fe80::1]",
        ] {
            let url = format!("http://{host}:8080/hook");
            assert!(validate_url(&url, false).is_err(), "{url}");
            assert!(validate_url(&url, true).is_ok(), "{url}");
        }
        assert!(!is_private("93.184.216.34".parse().unwrap()));
        assert!(!is_private("2606:4700::1".parse().unwrap()));
    }

    #[test]
    fn the_schedule_grows_fourfold_then_gives_up() {
        let s = RetrySchedule::default();
        let waits: Vec<u64> = (1..=6)
            .filter_map(|n| s.after(n))
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(waits, vec![30, 120, 480, 1920, 7680]);
        assert_eq!(s.after(6), None);
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn every_bad_event_is_named() {
        let input = WebhookInput {
            url: "gopher://x".into(),
            events: vec![
                "incident.created".into(),
                "nope".into(),
                "webhook.test".into(),
            ],
            active: true,
        };
        let errors = input.validate(false).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["url", "events[1]", "events[2]"]);
    }
}

/// A registered hook, as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub active: bool,
    pub created_by: String,
    pub created_at: String,
    /// Deliveries waiting to be sent (or being sent).
    pub pending: i64,
    /// Deliveries given up after their last attempt.
    pub failed: i64,
}

/// One attempt at a delivery, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryAttempt {
    pub delivery_id: String,
    pub event: String,
    pub attempt: i64,
    pub at: String,
    /// The receiver's HTTP status; none when it never answered.
    pub status_code: Option<i64>,
    /// Why the attempt failed (empty: delivered).
    pub error: String,
    pub duration_ms: i64,
}

/// A delivery claimed by the sender, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: String,
    pub webhook_id: String,
    pub url: String,
    pub secret: String,
    pub event: String,
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    /// Failed; tried again at this time (RFC 3339).
    RetryAt(String),
    /// Failed for the last time.
    Failed,
}
