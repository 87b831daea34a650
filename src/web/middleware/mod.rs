//! Middleware: security headers, the cross-site request check, the audit
//! record of changes, the request log, and the limits on guessing passwords.

pub mod audit;
pub mod csrf;
pub mod rate_limit;
pub mod request_log;
pub mod security_headers;
