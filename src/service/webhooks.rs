//! Webhooks out: registering hooks (admins), and the sender that empties
//! their outbox. Requests never send: a change queues its deliveries on its
//! own transaction (`store::webhooks`), and [`run`] — a background task the
//! server starts — sends them, woken after the commit and polling besides,
//! with a short timeout, retries on a growing schedule, and every attempt
//! logged. Deliveries never reach loopback, private or link-local addresses
//! unless the server allows it (`--webhooks-allow-private`), checked on the
//! addresses a name resolves to at each connection, not only on the URL.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, Utc};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::teamwork::TeamError;
use crate::domain::webhook::{
    self as rules, AttemptOutcome, ClaimedDelivery, DeliveryAttempt, RetrySchedule, Webhook,
    WebhookInput,
};
use crate::store::{Store, StoreError, webhook_stamp};

/// Deliveries claimed per round of the sender.
pub const BATCH: i64 = 20;
/// Prefix of every hook secret, so that secret scanners can recognise them.
pub const SECRET_PREFIX: &str = "whsec_";

/// How the sender works (`atlasview serve --webhooks-…`).
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// Whether deliveries may go to loopback, private and link-local addresses.
    pub allow_private: bool,
    /// The longest a receiver may take to answer one attempt.
    pub timeout: Duration,
    pub retry: RetrySchedule,
    /// How often the sender looks for due deliveries besides being woken.
    pub poll: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private: false,
            timeout: Duration::from_secs(5),
            retry: RetrySchedule::default(),
            poll: Duration::from_secs(5),
        }
    }
}

fn new_secret() -> Result<String, StoreError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b)
        .map_err(|e| StoreError::Corrupt(format!("no randomness available: {e}")))?;
    Ok(format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    ))
}

/// Registers a hook; answers it and its secret (shown this once). Every bad
/// field is named at once.
pub async fn register(
    store: &Store,
    input: &WebhookInput,
    settings: &WebhookSettings,
    by: &str,
) -> Result<(Webhook, String), TeamError> {
    let draft = input
        .validate(settings.allow_private)
        .map_err(TeamError::Invalid)?;
    let secret = new_secret()?;
    let hook = store.create_webhook(&draft, &secret, by).await?;
    super::admin::audit(
        store,
        by,
        "webhook.create",
        hook.id.clone(),
        origin(&hook.url),
    )
    .await
    .map_err(|e| match e {
        super::ServiceError::Invalid(v) => TeamError::Invalid(vec![v]),
        super::ServiceError::Store(s) => TeamError::Store(s),
    })?;
    Ok((hook, secret))
}

/// Where a hook points, without its path: a chat tool's hook URL often
/// holds its own secret in the path, which the audit log need not keep.
fn origin(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

pub async fn list(store: &Store) -> Result<Vec<Webhook>, StoreError> {
    store.webhooks().await
}

pub async fn get(store: &Store, id: &str) -> Result<Webhook, StoreError> {
    store.webhook(id).await
}

/// A hook and its latest attempts (newest first).
pub async fn with_log(
    store: &Store,
    id: &str,
) -> Result<(Webhook, Vec<DeliveryAttempt>), StoreError> {
    Ok((
        store.webhook(id).await?,
        store.delivery_log(id, rules::LOG_MAX).await?,
    ))
}

pub async fn remove(store: &Store, id: &str, by: &str) -> Result<(), StoreError> {
    let hook = store.webhook(id).await?;
    store.delete_webhook(id).await?;
    if let Err(e) =
        super::admin::audit(store, by, "webhook.delete", hook.id, origin(&hook.url)).await
    {
        tracing::warn!(error = %e, "webhook deleted, its audit entry not written");
    }
    Ok(())
}

pub async fn set_active(store: &Store, id: &str, active: bool) -> Result<(), StoreError> {
    store.set_webhook_active(id, active).await
}

/// Queues a test event to one hook; answers its delivery ID.
pub async fn send_test(store: &Store, id: &str) -> Result<String, StoreError> {
    store.enqueue_test_delivery(id).await
}

/// Resolves names as the system does, keeping only addresses a delivery may
/// reach: the check holds for the address connected to (no rebinding
/// between a check and the connection).
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| !rules::is_private(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!(
                    "{host} resolves only to loopback, private or link-local addresses, where deliveries may not go"
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client of deliveries (reqwest, already the server's client for
/// ATLAS releases: rustls, timeouts, a pluggable resolver for the SSRF check).
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    pub fn new(settings: &WebhookSettings) -> Result<Sender, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // A redirect could lead anywhere, past the address check; so
            // could a proxy from the environment (it would resolve the name).
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("atlasview-webhooks/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Sender {
            client: builder.build().map_err(|e| e.to_string())?,
            allow_private: settings.allow_private,
        })
    }

    /// One attempt: the receiver's status (none: no answer) and why it failed.
    pub async fn send(&self, d: &ClaimedDelivery) -> (Option<u16>, Result<(), String>) {
        // An IP in the URL is never resolved: checked here instead.
        let literal = url::Url::parse(&d.url).ok().and_then(|u| match u.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        });
        if let Some(ip) = literal
            && !self.allow_private
            && rules::is_private(ip)
        {
            return (
                None,
                Err(format!(
                    "{ip} is a loopback, private or link-local address: not sent"
                )),
            );
        }
        let answer = self
            .client
            .post(&d.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Atlasview-Event", &d.event)
            .header("X-Atlasview-Delivery", &d.id)
            .header(
                "X-Atlasview-Signature",
                rules::signature(&d.secret, d.body.as_bytes()),
            )
            .body(d.body.clone())
            .send()
            .await;
        match answer {
            Ok(res) if res.status().is_success() => (Some(res.status().as_u16()), Ok(())),
            Ok(res) => {
                let status = res.status();
                (
                    Some(status.as_u16()),
                    Err(format!("the receiver answered {status}")),
                )
            }
            Err(e) if e.is_timeout() => (None, Err("no answer within the timeout".into())),
            Err(e) => (None, Err(error_chain(&e))),
        }
    }
}

/// An error with its causes (reqwest's own message rarely says why).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// What one round of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Round {
    pub fn attempts(&self) -> usize {
        self.delivered + self.retried + self.failed
    }
}

/// Sends the deliveries due at `now`, at once (one slow receiver does not
/// hold up the others' deliveries), and logs each attempt. A delivery whose
/// hook was removed while it was sent is not logged.
pub async fn deliver_due(
    store: &Store,
    sender: &Sender,
    retry: RetrySchedule,
    now: DateTime<Utc>,
) -> Result<Round, StoreError> {
    let claimed = store.claim_deliveries(&webhook_stamp(now), BATCH).await?;
    let attempts = claimed.iter().map(|d| async move {
        let started = Instant::now();
        let at = webhook_stamp(Utc::now());
        let (status, result) = sender.send(d).await;
        let made = d.attempts + 1;
        let attempt = DeliveryAttempt {
            delivery_id: d.id.clone(),
            event: d.event.clone(),
            attempt: made,
            at,
            status_code: status.map(i64::from),
            error: result.as_ref().err().cloned().unwrap_or_default(),
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        let outcome = match &result {
            Ok(()) => AttemptOutcome::Delivered,
            Err(_) => match retry.after(u32::try_from(made).unwrap_or(u32::MAX)) {
                Some(wait) => AttemptOutcome::RetryAt(webhook_stamp(
                    Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX),
                )),
                None => AttemptOutcome::Failed,
            },
        };
        if let Err(error) = &result {
            tracing::warn!(webhook = %d.webhook_id, delivery = %d.id, attempt = made, %error, "webhook delivery failed");
        }
        (attempt, outcome)
    });
    let done = futures_util::future::join_all(attempts).await;
    let mut round = Round::default();
    for (d, (attempt, outcome)) in claimed.iter().zip(done) {
        // One that cannot be logged (its hook removed meanwhile) leaves the
        // others' logs to be written.
        if let Err(e) = store.delivery_attempted(d, &attempt, &outcome).await {
            tracing::warn!(delivery = %d.id, error = %e, "webhook attempt not logged");
            continue;
        }
        match outcome {
            AttemptOutcome::Delivered => round.delivered += 1,
            AttemptOutcome::RetryAt(_) => round.retried += 1,
            AttemptOutcome::Failed => round.failed += 1,
        }
    }
    Ok(round)
}

/// How long delivered and failed deliveries stay in the log.
pub const LOG_KEPT: chrono::Duration = chrono::Duration::days(30);

/// Forgets the deliveries (with their attempts) done before `LOG_KEPT`
/// ago; answers how many.
pub async fn prune(store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    store.prune_deliveries(&webhook_stamp(now - LOG_KEPT)).await
}

/// The sender: puts back what a stopped one had claimed, then sends what is
/// due whenever a change queued deliveries and every `settings.poll`;
/// `on_round` is told of each round that attempted any (the metrics).
pub async fn run(
    store: Store,
    settings: WebhookSettings,
    on_round: impl Fn(&Round) + Send + 'static,
) -> Result<(), String> {
    let sender = Sender::new(&settings)?;
    if let Err(e) = store.release_claimed_deliveries().await {
        tracing::warn!(error = %e, "cannot put back the webhook deliveries being sent");
    }
    let wake = crate::store::webhook_wake();
    let mut pruned_at: Option<Instant> = None;
    loop {
        if pruned_at.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
            if let Err(e) = prune(&store, Utc::now()).await {
                tracing::warn!(error = %e, "cannot prune the webhook delivery log");
            }
            pruned_at = Some(Instant::now());
        }
        // Listening before looking, so a wake during a round is not missed.
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        loop {
            match deliver_due(&store, &sender, settings.retry, Utc::now()).await {
                Ok(round) if round.attempts() > 0 => on_round(&round),
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook sender failed; tried again later");
                    break;
                }
            }
        }
        tokio::select! {
            _ = &mut woken => {}
            _ = tokio::time::sleep(settings.poll) => {}
        }
    }
}
