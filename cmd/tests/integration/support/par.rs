//! Pushed authorization requests (RFC 9126) and request objects (RFC 9101) from the
//! client's side: pushing over the wire, the authorization URL with a `request_uri`,
//! request objects signed with the `jsonwebtoken` crate (never our own signer), and a
//! tiny server on 127.0.0.1 standing in for a client hosting its request objects.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::TestApp;
use super::assertion::TestKey;
use super::flow::{FlowClient, REDIRECT_URI};

/// RFC 9126 §2.2: the URN prefix of pushed requests' `request_uri`s.
pub const PAR_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// POSTs `form` to `/oauth2/par` as `client` (HTTP Basic with its secret, or its
/// `client_id` in the form when it has none); returns status and JSON body.
pub async fn push(app: &TestApp, client: &FlowClient, form: &[(&str, &str)]) -> (u16, Value) {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let basic = match &client.secret {
        Some(secret) => Some((client.id.as_str(), secret.as_str())),
        None => {
            form.push(("client_id", client.id.as_str()));
            None
        }
    };
    let (status, headers, body) = app.post_form("/oauth2/par", basic, &form).await;
    if status == 201 {
        assert_eq!(headers["cache-control"], "no-store", "RFC 9126 §2.2");
    }
    (status, body)
}

/// Pushes a code request (with `extra`) and returns its `request_uri`.
pub async fn push_ok(app: &TestApp, client: &FlowClient, extra: &[(&str, &str)]) -> String {
    let mut form = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
    ];
    form.extend_from_slice(extra);
    let (status, body) = push(app, client, &form).await;
    assert_eq!(status, 201, "{body}");
    let request_uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(request_uri.starts_with(PAR_PREFIX), "{request_uri}");
    request_uri
}

/// `/oauth2/auth?client_id=…&request_uri=…` with `extra` query parameters.
pub fn request_uri_url(
    app: &TestApp,
    client_id: &str,
    request_uri: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut url = url::Url::parse(&app.public_path("/oauth2/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("request_uri", request_uri);
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.into()
}

/// Request-object claims for `client_id` at the app's issuer: `iss`, `aud`, `exp`, and
/// a code request for the flow client's redirect URI, with `changes` merged in.
pub fn object_claims(app: &TestApp, client_id: &str, changes: Value) -> Value {
    let now = app.state.clock.now().timestamp();
    let claims = json!({
        "iss": client_id,
        "aud": app.state.config.issuer(),
        "iat": now,
        "exp": now + 300,
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "from-the-object",
        "nonce": "n-0S6",
    });
    super::assertion::with(claims, changes)
}

/// A request object signed by `key` (the `jsonwebtoken` crate).
pub fn sign_object(key: &TestKey, claims: &Value) -> String {
    key.sign(claims)
}

/// A client's hosted request object: serves a JWT that tests can change.
pub struct HostedObject {
    pub url: String,
    body: Arc<Mutex<String>>,
    handle: actix_web::dev::ServerHandle,
}

impl HostedObject {
    pub async fn start(jwt: String) -> Self {
        use actix_web::{App, HttpResponse, HttpServer, web};
        let body = Arc::new(Mutex::new(jwt));
        let served = body.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/request.jwt", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let served = served.clone();
            App::new().route(
                "/request.jwt",
                web::get().to(move || {
                    let jwt = served.lock().unwrap().clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/oauth-authz-req+jwt")
                            .body(jwt)
                    }
                }),
            )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url, body, handle }
    }

    /// Serves `jwt` from now on.
    pub fn set(&self, jwt: String) {
        *self.body.lock().unwrap() = jwt;
    }
}

impl Drop for HostedObject {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || futures::executor::block_on(handle.stop(false)));
    }
}
