//! [`FlowContext`]: what the login → consent → logout state machine needs — the OAuth
//! 2.0 core's context (the flow ends by issuing codes and tokens through it) plus the
//! cookie keys and the flow's own stores. `AppState` holds one; `flow/` never sees the
//! rest of the server (the grant registry, storage health, HTTP).

use std::ops::Deref;
use std::sync::Arc;

use crate::oauth2::context::OAuth2Context;
use crate::secrets::KeyRing;
use crate::storage::flows::{ConsentStore, FlowStepStore, LoginSessionStore};

/// The login/consent flow's dependencies (docs/architecture.md, "Module dependencies").
#[derive(Clone)]
pub struct FlowContext {
    pub oauth2: OAuth2Context,
    /// Keys derived from `secrets.cookie`, or `secrets.system` when that is empty.
    pub cookie_keys: Arc<KeyRing>,
    /// Single-use steps of login/consent flows.
    pub flow_steps: Arc<dyn FlowStepStore>,
    /// Authentication sessions (the `sid`).
    pub login_sessions: Arc<dyn LoginSessionStore>,
    /// Granted consents.
    pub consents: Arc<dyn ConsentStore>,
}

/// A flow context is an OAuth 2.0 context with the flow's stores added: flow code
/// reads `ctx.config` or passes `ctx` to an `oauth2` function directly. The layers nest
/// (`AppState` → `FlowContext` → `OAuth2Context`), each adding what the layer above
/// needs, so the dereference is an extension, never a different object.
impl Deref for FlowContext {
    type Target = OAuth2Context;

    fn deref(&self) -> &OAuth2Context {
        &self.oauth2
    }
}
