//! Middleware: security headers, the cross-site request check, the audit
//! record of changes, the request log and the request metrics.

pub mod audit;
pub mod csrf;
pub mod request_log;
pub mod request_metrics;
pub mod security_headers;
