//! The relying-party side: the `oauth2` crate (code we did not write) over our own
//! reqwest client, so no second HTTP stack is compiled; helpers to register clients and
//! introspect tokens through the SDK.

use std::future::Future;
use std::pin::Pin;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse,
    RevocationUrl, TokenUrl,
};
use portunus_sdk::types::{IntrospectOAuth2TokenBody, IntrospectedOAuth2Token, OAuth2Client};
use serde_json::Value;

use super::TestApp;

/// `oauth2::AsyncHttpClient` over a `reqwest::Client` (reqwest 0.13, ours).
///
/// The `oauth2` crate refuses a revocation URL that is not `https` (RFC 7009 §2: clients
/// MUST verify it is), while test servers speak plain HTTP on loopback: clients get an
/// `https://127.0.0.1…` revocation URL and this transport sends such requests over
/// `http`.
#[derive(Clone)]
pub struct OAuthHttp(pub reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthHttp {
    type Error = reqwest::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, reqwest::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let mut request = request;
            let uri = request.uri().to_string();
            if let Some(rest) = uri.strip_prefix("https://127.0.0.1:") {
                *request.uri_mut() = format!("http://127.0.0.1:{rest}").parse().expect("uri");
            }
            let response = self.0.execute(reqwest::Request::try_from(request)?).await?;
            let mut builder = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await?.to_vec();
            Ok(builder
                .body(body)
                .expect("a response reqwest parsed is valid"))
        })
    }
}

/// A client of the token and revocation endpoints, as the `oauth2` crate builds it.
pub type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet, EndpointSet>;

/// A registered client and its secret (`None` for public clients).
pub struct Registered {
    pub id: String,
    pub secret: Option<String>,
}

impl TestApp {
    pub fn oauth_http(&self) -> OAuthHttp {
        OAuthHttp(self.http.clone())
    }

    /// Registers a client from Hydra-shaped JSON through the admin SDK.
    pub async fn register(&self, body: Value) -> Registered {
        let body: OAuth2Client = serde_json::from_value(body).expect("client body");
        let created = self
            .admin
            .create_o_auth2_client()
            .body(body)
            .send()
            .await
            .expect("create client")
            .into_inner();
        Registered {
            id: created.client_id.expect("client_id"),
            secret: created.client_secret,
        }
    }

    /// An `oauth2` client for `registered`, authenticating with `auth`.
    pub fn token_client(&self, registered: &Registered, auth: AuthType) -> TokenClient {
        let client = BasicClient::new(ClientId::new(registered.id.clone()))
            .set_auth_type(auth)
            .set_token_uri(TokenUrl::new(self.public_path("/oauth2/token")).unwrap())
            .set_revocation_url(
                RevocationUrl::new(
                    self.public_path("/oauth2/revoke")
                        .replacen("http:", "https:", 1),
                )
                .unwrap(),
            );
        match &registered.secret {
            Some(secret) => client.set_client_secret(ClientSecret::new(secret.clone())),
            None => client,
        }
    }

    /// Introspects through the admin SDK.
    pub async fn introspect(&self, token: &str, scope: Option<&str>) -> IntrospectedOAuth2Token {
        let body = IntrospectOAuth2TokenBody {
            token: token.to_owned(),
            scope: scope.map(str::to_owned),
        };
        self.admin
            .introspect_o_auth2_token()
            .body(body)
            .send()
            .await
            .expect("introspect")
            .into_inner()
    }

    /// POSTs a form to a public path with optional Basic credentials (raw, for probing
    /// errors on the wire); returns status, headers and the JSON body (Null if empty).
    pub async fn post_form(
        &self,
        path: &str,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut request = self.http.post(self.public_path(path)).form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, headers, body)
    }
}

impl TestApp {
    /// Issues an access and a refresh token of one family for `client_id` in-process
    /// (the grants that issue refresh tokens arrive later); returns (access, refresh).
    pub async fn issue_family(&self, client_id: &str, scope: &[&str]) -> (String, String) {
        use portunus_server::oauth2::issue::{Grant, issue};
        let grant = Grant::new(
            client_id,
            "user-1",
            scope.iter().map(|s| (*s).to_owned()).collect(),
            Vec::new(),
            Default::default(),
            self.state.clock.now(),
        );
        let hour = chrono::Duration::hours(1);
        let response = issue(&self.state, &grant, hour, Some(hour * 2))
            .await
            .expect("issue family");
        (
            response.access_token,
            response.refresh_token.expect("refresh token"),
        )
    }

    /// The raw JSON of an introspection (to check inactive answers byte for byte).
    pub async fn introspect_raw(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .post(self.admin_path("/admin/oauth2/introspect"))
            .form(form)
            .send()
            .await
            .expect("introspect");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON"),
        )
    }
}
