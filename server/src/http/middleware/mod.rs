//! Middleware shared by both listeners (access log, JSON error bodies, security
//! headers) and the admin
//! listener's own (path prefix, API key).

pub mod access_log;
pub mod admin_prefix;
pub mod api_key;
pub mod cors;
pub mod dev_cors;
pub mod error_body;
pub mod json_newline;
pub mod rate_limit;
pub mod security_headers;
