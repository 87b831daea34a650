//! Wiring: open the store, make sure a release is active (the embedded catalog
//! on a fresh install), build the router, serve until a shutdown signal.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::atlas::ActiveAtlas;
use crate::service::{notifications, releases};
use crate::store::{Store, StoreError};
use crate::web::{self, AppState, WebConfig};

/// Opens the database and loads the active release, seeding the embedded
/// catalog when no release is stored yet, so a fresh install works offline.
pub async fn open(database_url: &str) -> Result<(Store, ActiveAtlas), StoreError> {
    let store = Store::connect(database_url).await?;
    let redacted = store.redact_release_sources().await?;
    if redacted > 0 {
        tracing::info!(
            releases = redacted,
            "removed credentials from stored ATLAS release sources"
        );
    }
    let active = releases::load_or_seed(&store).await?;
    Ok((store, active))
}

pub fn state(store: Store, active: ActiveAtlas, config: WebConfig) -> AppState {
    AppState::new(store, active, config)
}

/// How often the background work runs.
pub const BACKGROUND_TICK: std::time::Duration = std::time::Duration::from_secs(30);

/// Starts the server's background work, every [`BACKGROUND_TICK`]: telling
/// owners of tasks falling due, and sending the queued e-mails through the
/// SMTP relay when one is configured; and the webhook sender. Refuses relay
/// settings that cannot work.
pub fn spawn_background(state: &AppState) -> Result<(), String> {
    let mailer = state
        .config
        .smtp
        .as_ref()
        .map(crate::service::mail::Mailer::new)
        .transpose()?;
    spawn_webhooks(state)?;
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = notifications::recover_outbox(&store).await {
            tracing::warn!(error = %e, "cannot put back the e-mails being sent");
        }
        let mut every = tokio::time::interval(BACKGROUND_TICK);
        loop {
            every.tick().await;
            let now = chrono::Utc::now();
            if let Err(e) = notifications::tick(&store, mailer.as_ref(), now).await {
                tracing::warn!(error = %e, "notifications' background work failed; tried again next time");
            }
        }
    });
    Ok(())
}

/// Starts the webhook sender (`service::webhooks::run`), counting its
/// attempts in the metrics. Refuses settings the HTTP client cannot take.
pub fn spawn_webhooks(state: &AppState) -> Result<(), String> {
    // Built once here so that a bad setting stops the start, not the task.
    crate::service::webhooks::Sender::new(&state.config.webhooks)?;
    let store = state.store.clone();
    let settings = state.config.webhooks;
    let metrics = state.metrics.clone();
    tokio::spawn(async move {
        let counted =
            move |round: &crate::service::webhooks::Round| metrics.observe_webhooks(round);
        if let Err(e) = crate::service::webhooks::run(store, settings, counted).await {
            tracing::error!(error = %e, "the webhook sender stopped");
        }
    });
    Ok(())
}

/// Serves on an already bound listener until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = web::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Serves only `/metrics`, unauthenticated, on its own listener (the
/// `--metrics-addr` of `serve`), for as long as the process runs.
pub async fn serve_metrics(listener: TcpListener, state: AppState) {
    if let Err(e) = axum::serve(listener, web::metrics_router(state)).await {
        tracing::error!(error = %e, "the metrics listener stopped");
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Parses fetched bytes as a release and stores it (one transaction).
pub async fn import_release(
    store: &Store,
    fetched: &crate::atlas::fetch::Fetched,
) -> anyhow::Result<crate::store::ImportOutcome> {
    let outcome = releases::import_fetched(store, fetched).await?.outcome;
    releases::remap_alerts(store).await?;
    Ok(outcome)
}
