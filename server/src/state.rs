//! The state every handler shares, built once by `Application::build`.

use std::ops::Deref;
use std::sync::Arc;

use crate::client::initial_access::InitialAccessTokenStore;
use crate::events::EventsHandle;
use crate::flow::context::FlowContext;
use crate::health::Readiness;
use crate::login_ui::look::Look;
use crate::login_ui::sign_in_limit::SignInLimiter;
use crate::login_ui::upstream::Upstreams;
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::grants::GrantRegistry;
use crate::redis_client::SharedCounters;
use crate::secrets::KeyRing;
use crate::storage::flows::{ConsentStore, FlowStepStore, LoginSessionStore};
use crate::users::UserStore;

#[derive(Clone)]
pub struct AppState {
    /// The login/consent flow's context, which holds the OAuth 2.0 core's.
    pub flow: FlowContext,
    /// The database's readiness as the background probe last saw it.
    pub readiness: Readiness,
    /// The token endpoint's grants.
    pub grants: Arc<GrantRegistry>,
    /// Local users (the admin API's `/admin/users`, the built-in login UI).
    pub users: Arc<dyn UserStore>,
    /// Failed sign-ins of the built-in login UI, shared by every worker.
    pub sign_in_limiter: Arc<SignInLimiter>,
    /// Initial access tokens an operator created for dynamic client registration.
    pub initial_access_tokens: Arc<dyn InitialAccessTokenStore>,
    /// Upstream identity providers of the login UI: their HTTP client and the links.
    pub upstreams: Upstreams,
    /// Audit events: on or off, the sinks' health, the outbox (`crate::events`).
    pub events: EventsHandle,
    /// Branding and template overrides of the login UI's pages (`login_ui::look`).
    pub login_look: Arc<Look>,
}

/// The composition root extends the flow's context with what only HTTP handlers use
/// (the grant registry, storage health): handlers read `state.config` and pass `&state`
/// to `flow` and `oauth2` functions, which see only their own context.
impl Deref for AppState {
    type Target = FlowContext;

    fn deref(&self) -> &FlowContext {
        &self.flow
    }
}

impl AppState {
    /// The state over its parts.
    #[expect(
        clippy::too_many_arguments,
        reason = "the composition root hands over every port once; a parameter struct would only rename them"
    )]
    pub fn new(
        oauth2: OAuth2Context,
        cookie_keys: Arc<KeyRing>,
        flows: FlowStores,
        readiness: Readiness,
        grants: Arc<GrantRegistry>,
        users: Arc<dyn UserStore>,
        initial_access_tokens: Arc<dyn InitialAccessTokenStore>,
        upstreams: Upstreams,
    ) -> Self {
        let sign_in_limiter = Arc::new(SignInLimiter::new(
            oauth2.config.login_ui.sign_in_rate_limit,
            None,
        ));
        let login_look = Arc::new(Look::from_config(&oauth2.config.login_ui));
        Self {
            flow: FlowContext {
                oauth2,
                cookie_keys,
                flow_steps: flows.steps,
                login_sessions: flows.sessions,
                consents: flows.consents,
            },
            readiness,
            grants,
            users,
            sign_in_limiter,
            initial_access_tokens,
            upstreams,
            events: EventsHandle::default(),
            login_look,
        }
    }

    /// The same state with the audit events' handle (`serve` starts the worker).
    pub fn with_events(mut self, events: EventsHandle) -> Self {
        self.events = events;
        self
    }
}

impl AppState {
    /// The client store for one request's writes by `actor`: each reports its audit
    /// event with the change (`events::ReportingClients`; a plain pass-through with
    /// events off).
    pub fn reporting_clients(
        &self,
        actor: crate::events::ClientActor,
    ) -> crate::events::ReportingClients<'_> {
        crate::events::ReportingClients::new(
            self.clients.as_ref(),
            &self.config,
            self.clock.as_ref(),
            actor,
        )
    }

    /// The same state with the sign-in form's failure budgets kept in `shared` (a
    /// Redis `rate_limit.store`), so every node spends from one budget per key.
    pub fn with_shared_counters(mut self, shared: Option<&SharedCounters>) -> Self {
        if shared.is_some() {
            self.sign_in_limiter = Arc::new(SignInLimiter::new(
                self.config.login_ui.sign_in_rate_limit,
                shared,
            ));
        }
        self
    }
}

/// The login/consent flow's three stores (one object implements all three in both
/// stores).
pub struct FlowStores {
    pub steps: Arc<dyn FlowStepStore>,
    pub sessions: Arc<dyn LoginSessionStore>,
    pub consents: Arc<dyn ConsentStore>,
}

#[cfg(test)]
impl AppState {
    /// Every port on [`MemoryStore`] and [`MemoryFlowStore`], time from `clock`: protocol
    /// code runs as in the server, without a database (unit tests of grants,
    /// introspection, revocation). The ID-token and access-token key sets are generated
    /// as at startup (ES256 and RS256: a few milliseconds).
    pub(crate) async fn in_memory(
        config: crate::config::Config,
        clock: Arc<crate::clock::FixedClock>,
    ) -> (Self, Arc<crate::storage::memory::MemoryStore>) {
        use crate::clock::Clock;
        use crate::jwk::{KeyManager, KeySettings};
        use crate::oauth2::client_auth::ClientAuthenticator;
        use crate::oauth2::client_auth::{SecretSettings, SecretVerifier};
        use crate::oauth2::private_key_jwt::PrivateKeyJwt;
        use crate::oidc::logout::backchannel::BackChannel;
        use crate::storage::memory::{MemoryFlowStore, MemoryStore};

        let store = Arc::new(MemoryStore::new());
        let flows = Arc::new(MemoryFlowStore::new());
        let clock: Arc<dyn Clock> = clock;
        let keys = Arc::new(KeyRing::new(&config.secrets.system));
        let secrets = SecretVerifier::new(
            keys.clone(),
            clock.clone(),
            SecretSettings::from_config(&config.oauth2.client_secret_verification),
        );
        let private_key_jwt = PrivateKeyJwt::new(&config, store.clone(), clock.clone())
            .expect("an HTTP client for jwks_uri");
        let resolving =
            crate::oauth2::context::resolving_clients(&config, clock.clone(), store.clone())
                .expect("an HTTP client for client metadata documents");
        let client_auth = ClientAuthenticator::new(resolving.clone(), secrets)
            .with_metadata_documents(resolving.clone())
            .with_private_key_jwt(private_key_jwt)
            .with_profile(config.oauth2.profile);
        let key_manager = Arc::new(KeyManager::new(
            store.clone(),
            keys.clone(),
            clock.clone(),
            KeySettings::from_config(&config),
        ));
        key_manager
            .ensure_default_sets()
            .await
            .expect("the default key sets");
        let backchannel =
            BackChannel::new(&config.clients.http).expect("an HTTP client for back-channel");
        let dpop = Arc::new(crate::oauth2::dpop::DpopVerifier::new(
            &config.effective_dpop(),
            keys.clone(),
            store.clone(),
            clock.clone(),
        ));
        let request_objects = Arc::new(
            crate::oauth2::authorize::request_object::RequestObjects::new(
                &config,
                store.clone(),
                clock.clone(),
            )
            .expect("an HTTP client for request_uri"),
        );
        let token_hooks = Arc::new(
            crate::oauth2::token_hook::TokenHooks::from_config(&config.oauth2)
                .expect("an HTTP client for token hooks"),
        );
        let oauth2 = OAuth2Context {
            dpop,
            config: Arc::new(config),
            clock,
            keys: keys.clone(),
            key_manager,
            clients: resolving.clone(),
            resolving,
            tokens: store.clone(),
            trusts: store.clone(),
            jtis: store.clone(),
            client_auth: Arc::new(client_auth),
            backchannel: Arc::new(backchannel),
            pushed_requests: store.clone(),
            device_codes: store.clone(),
            request_objects,
            token_hooks,
        };
        let flows = FlowStores {
            steps: flows.clone(),
            sessions: flows.clone(),
            consents: flows,
        };
        let state = Self::new(
            oauth2,
            keys,
            flows,
            Readiness::watch(store.clone()),
            Arc::new(GrantRegistry::standard()),
            store.clone(),
            store.clone(),
            Upstreams::new(store.clone()).expect("an HTTP client for upstream providers"),
        );
        (state, store)
    }
}
