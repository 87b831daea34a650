//! Cross-site request refusal: the answer to a refused cross-site write, and
//! the one exemption (requests authenticated by a `Bearer` token alone).

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::web::AppError;
use crate::web::extract::auth::{Principal, session_cookie};

/// Only a request that the guard authenticated by a valid `Bearer` token,
/// and that carries no session cookie, is exempt from the cross-site check
/// (a token is not an ambient credential: a browser never attaches one by
/// itself). Any other `Authorization` scheme (Basic, Negotiate — which
/// browsers do attach by themselves behind an authenticating proxy), a bogus
/// token, or a cookie alongside the token leaves the check in place. Runs
/// after [`crate::web::extract::auth::guard`], which puts the [`Principal`] in place.
pub async fn exempt_token_requests_from_csrf(mut req: Request, next: Next) -> Response {
    let by_token = req
        .extensions()
        .get::<Principal>()
        .is_some_and(Principal::by_token);
    if by_token && session_cookie(req.headers()).is_none() {
        req.headers_mut().remove(header::ORIGIN);
        req.headers_mut().remove("sec-fetch-site");
    }
    next.run(req).await
}

/// The answer to a refused cross-site write.
pub fn csrf_rejection(_e: tower_http::csrf::ProtectionError) -> Response {
    AppError::Forbidden(
        "This form was submitted from another site, so it was refused (cross-site request forgery protection)."
            .to_string(),
    )
    .into_response()
}
