//! Outbound HTTP to URLs clients registered: `jwks_uri` (private_key_jwt), the
//! `sector_identifier_uri` checked at registration, back-channel logout deliveries, and
//! later webhooks and client metadata documents. Every such call goes through the SSRF
//! guard here (`clients.http.disallow_private_ip_ranges`), with a timeout and a size
//! cap; the modules that make them depend on this one, never on each other. Every
//! outbound call, those to the operator's own hooks and sinks too, is sent by [`send`]
//! (a client span and `traceparent` when tracing is on).

mod clients;
mod fetch;
pub mod ssrf;
mod traced;

pub use clients::{GuardedClients, Redirects};
pub use fetch::{FETCH_TIMEOUT, GuardedFetcher, MAX_DOCUMENT_BYTES, describe};
pub use traced::send;
