//! Middleware: security headers, the cross-site request check, the audit
//! record of changes, the request log, the request metrics, and the active
//! release kept current.

pub mod audit;
pub mod csrf;
pub mod current_release;
pub mod request_log;
pub mod request_metrics;
pub mod security_headers;
