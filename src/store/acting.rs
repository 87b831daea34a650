//! Who is making the current change, for the activity events the store
//! writes beside it (in the same transaction). The outer auth guard sets it
//! for each request with [`scope`], as it sets the page's visitor; outside a
//! request (the CLI, start-up imports) the change is by `system`.

use std::future::Future;

tokio::task_local! {
    static ACTOR: String;
}

/// Runs `fut` (the rest of the request) as `actor`.
pub async fn scope<F: Future>(actor: String, fut: F) -> F::Output {
    ACTOR.scope(actor, fut).await
}

/// The user making the current change (`system` outside a request).
pub fn current() -> String {
    ACTOR
        .try_with(String::clone)
        .unwrap_or_else(|_| "system".to_string())
}
