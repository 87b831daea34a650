//! Middleware: security headers, the cross-site request check, the audit
//! record of changes and the request log.

pub mod audit;
pub mod csrf;
pub mod request_log;
pub mod security_headers;
