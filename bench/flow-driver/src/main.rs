//! Drives Portunus with complete OAuth 2.0 flows from `--concurrency` concurrent
//! workers for `--duration` seconds (after `--warmup` seconds not counted), and prints
//! one JSON object: completed operations per second, p50/p99 latency of one operation,
//! and errors.
//!
//! `--mode flow` (default): one operation is a whole authorization-code flow, the driver
//! playing both the browser (cookies kept per flow) and the login/consent app:
//!   GET /oauth2/auth (PKCE S256, state, nonce) → 303 to urls.login?login_challenge
//!   → PUT /admin/oauth2/auth/requests/login/accept → GET redirect_to (CSRF cookie)
//!   → 303 to urls.consent?consent_challenge → PUT …/consent/accept → GET redirect_to
//!   → 303 to redirect_uri?code&state → POST /oauth2/token (code + code_verifier)
//!   → checks the response carries an access, refresh and ID token.
//!
//! `--mode refresh`: each worker gets one refresh token through a flow, then one
//! operation is a refresh-token grant with the refresh token the previous one returned
//! (refresh tokens rotate).
//!
//! `--mode nodes` (with `--public2`/`--admin2`, a second Portunus on the same database):
//! the scale-out proof of `bench/run --nodes 2`. One operation is a flow whose every step
//! goes to the other node than the step before (authorize on one, the login accept on
//! the other's admin API, the browser's next request on the first, …, the code exchange
//! on whichever is next), then a refresh on one node whose new access token must be
//! active in the other's introspection, then the revocation of that refresh token on one
//! node, after which the access token of its family must be inactive in the other's
//! introspection at once. A stale answer is an error; the counters of each check are
//! printed beside the rate.
//!
//! `--mode soak` (with `--cc-client-id`/`--cc-client-secret`, a client_credentials
//! client): a mix of flows, refreshes, client_credentials requests and introspections,
//! first closed-loop for `--calibrate` seconds to find its peak, then paced at
//! `--fraction` of that peak for `--duration` seconds, reported per `--window` (soak.rs).
//!
//! Usage: flow-driver --public URL --admin URL --client-id ID --client-secret S
//!        --redirect-uri URI [--concurrency 16] [--duration 10] [--warmup 2]
//!        [--mode flow|refresh|nodes|soak] [--public2 URL --admin2 URL]
//!        [--cc-client-id ID --cc-client-secret S] [--calibrate 20] [--fraction 0.7]
//!        [--window 60]

mod soak;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flow,
    Refresh,
    Nodes,
    Soak,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Flow => "flow",
            Mode::Refresh => "refresh",
            Mode::Nodes => "nodes",
            Mode::Soak => "soak",
        }
    }
}

#[derive(Clone)]
struct Options {
    public: String,
    admin: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    concurrency: usize,
    duration: f64,
    warmup: f64,
    mode: Mode,
    /// The second node's public and admin base URLs (`--mode nodes`).
    public2: String,
    admin2: String,
    /// The `alg` every ID token must carry in its header.
    id_token_alg: String,
    /// The client_credentials client of `--mode soak`.
    cc_client_id: String,
    cc_client_secret: String,
    /// `--mode soak`: seconds of the closed-loop calibration, the fraction of its peak
    /// the paced run keeps, and the length of a report window in seconds.
    calibrate: f64,
    fraction: f64,
    window: f64,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        public: "http://127.0.0.1:4444".into(),
        admin: "http://127.0.0.1:4445".into(),
        client_id: String::new(),
        client_secret: String::new(),
        redirect_uri: "http://127.0.0.1:9999/callback".into(),
        concurrency: 16,
        duration: 10.0,
        warmup: 2.0,
        mode: Mode::Flow,
        public2: String::new(),
        admin2: String::new(),
        id_token_alg: "RS256".into(),
        cc_client_id: "bench-cc".into(),
        cc_client_secret: String::new(),
        calibrate: 20.0,
        fraction: 0.7,
        window: 60.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--public" => o.public = value()?,
            "--admin" => o.admin = value()?,
            "--client-id" => o.client_id = value()?,
            "--client-secret" => o.client_secret = value()?,
            "--redirect-uri" => o.redirect_uri = value()?,
            "--concurrency" => o.concurrency = value()?.parse().map_err(|e| format!("{e}"))?,
            "--duration" => o.duration = value()?.parse().map_err(|e| format!("{e}"))?,
            "--warmup" => o.warmup = value()?.parse().map_err(|e| format!("{e}"))?,
            "--id-token-alg" => o.id_token_alg = value()?,
            "--public2" => o.public2 = value()?,
            "--admin2" => o.admin2 = value()?,
            "--cc-client-id" => o.cc_client_id = value()?,
            "--cc-client-secret" => o.cc_client_secret = value()?,
            "--calibrate" => o.calibrate = value()?.parse().map_err(|e| format!("{e}"))?,
            "--fraction" => o.fraction = value()?.parse().map_err(|e| format!("{e}"))?,
            "--window" => o.window = value()?.parse().map_err(|e| format!("{e}"))?,
            "--mode" => match value()?.as_str() {
                "flow" => o.mode = Mode::Flow,
                "refresh" => o.mode = Mode::Refresh,
                "nodes" => o.mode = Mode::Nodes,
                "soak" => o.mode = Mode::Soak,
                other => return Err(format!("unknown mode {other}")),
            },
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.client_id.is_empty() || o.client_secret.is_empty() {
        return Err("--client-id and --client-secret are required".into());
    }
    if o.mode == Mode::Nodes && (o.public2.is_empty() || o.admin2.is_empty()) {
        return Err("--mode nodes needs --public2 and --admin2".into());
    }
    if o.mode == Mode::Soak {
        if o.cc_client_secret.is_empty() {
            return Err("--mode soak needs --cc-client-secret".into());
        }
        if !(o.fraction > 0.0 && o.fraction <= 1.0) || o.window <= 0.0 || o.calibrate <= 0.0 {
            return Err("--fraction must be in (0, 1], --window and --calibrate above 0".into());
        }
    }
    Ok(o)
}

fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A browser's cookie jar for one flow: name → value, sent to both listeners' host
/// (everything runs on 127.0.0.1; Secure cookies are sent over http here on purpose).
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, response: &reqwest::Response) {
        for header in response.headers().get_all(SET_COOKIE) {
            let Ok(text) = header.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let name = name.trim().to_owned();
                self.0.retain(|(n, _)| *n != name);
                self.0.push((name, value.trim().to_owned()));
            }
        }
    }
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn location(response: &reqwest::Response, step: &str) -> Result<String, String> {
    if !response.status().is_redirection() {
        return Err(format!(
            "{step}: expected a redirect, got {}",
            response.status()
        ));
    }
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or(format!("{step}: redirect without Location"))
}

fn query_param(location: &str, name: &str) -> Result<String, String> {
    let url = url::Url::parse(location).map_err(|e| format!("bad Location {location}: {e}"))?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .ok_or(format!("{name} missing in {location}"))
}

/// Which node serves each step: `Route::single()` sends everything to the first node;
/// `Route::alternating(start)` sends step `k` to node `(start + k) % 2`.
#[derive(Clone, Copy)]
struct Route {
    start: usize,
    nodes: usize,
}

impl Route {
    fn single() -> Self {
        Route { start: 0, nodes: 1 }
    }

    fn alternating(start: usize) -> Self {
        Route { start, nodes: 2 }
    }

    fn node(self, step: usize) -> usize {
        (self.start + step) % self.nodes
    }
}

impl Options {
    fn public_of(&self, node: usize) -> &str {
        if node == 0 {
            &self.public
        } else {
            &self.public2
        }
    }

    fn admin_of(&self, node: usize) -> &str {
        if node == 0 { &self.admin } else { &self.admin2 }
    }

    /// A URL the server handed out (under the issuer, the first node's public URL),
    /// sent to `node` instead: the nodes share the issuer, as behind a load balancer.
    fn on_node(&self, node: usize, url: &str) -> String {
        match url.strip_prefix(self.public.as_str()) {
            Some(rest) if node != 0 => format!("{}{rest}", self.public2),
            _ => url.to_owned(),
        }
    }
}

async fn get_with_cookies(client: &Client, url: &str, jar: &mut Jar) -> Result<String, String> {
    let mut request = client.get(url);
    if !jar.0.is_empty() {
        request = request.header(COOKIE, jar.header());
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    jar.take(&response);
    location(&response, "GET /oauth2/auth")
}

async fn accept(client: &Client, url: String, body: Value) -> Result<String, String> {
    let response = client
        .put(&url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("PUT {url}: {e}"))?;
    let status = response.status();
    let value: Value = response.json().await.map_err(|e| format!("{url}: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!("PUT accept: {status} {value}"));
    }
    value["redirect_to"]
        .as_str()
        .map(str::to_owned)
        .ok_or(format!("no redirect_to in {value}"))
}

/// One complete authorization-code flow; returns the refresh token it was given.
async fn flow(client: &Client, o: &Options, route: Route) -> Result<String, String> {
    let verifier = random_b64(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_b64(12);
    let nonce = random_b64(12);
    let mut authorize = url::Url::parse(&format!("{}/oauth2/auth", o.public_of(route.node(0))))
        .map_err(|e| format!("bad --public: {e}"))?;
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &o.client_id)
        .append_pair("redirect_uri", &o.redirect_uri)
        .append_pair("scope", "openid offline_access")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let mut jar = Jar::default();

    let to_login = get_with_cookies(client, authorize.as_str(), &mut jar).await?;
    let login_challenge = query_param(&to_login, "login_challenge")?;
    let subject = format!("user-{}", random_b64(6));
    let mut url = url::Url::parse(&format!(
        "{}/admin/oauth2/auth/requests/login/accept",
        o.admin_of(route.node(1))
    ))
    .map_err(|e| format!("bad --admin: {e}"))?;
    url.query_pairs_mut()
        .append_pair("login_challenge", &login_challenge);
    let next = accept(client, url.into(), json!({"subject": subject})).await?;

    let to_consent = get_with_cookies(client, &o.on_node(route.node(2), &next), &mut jar).await?;
    let consent_challenge = query_param(&to_consent, "consent_challenge")?;
    let mut url = url::Url::parse(&format!(
        "{}/admin/oauth2/auth/requests/consent/accept",
        o.admin_of(route.node(3))
    ))
    .map_err(|e| format!("bad --admin: {e}"))?;
    url.query_pairs_mut()
        .append_pair("consent_challenge", &consent_challenge);
    let next = accept(
        client,
        url.into(),
        json!({"grant_scope": ["openid", "offline_access"],
               "session": {"id_token": {"email": "bench@example.com"}}}),
    )
    .await?;

    let to_client = get_with_cookies(client, &o.on_node(route.node(4), &next), &mut jar).await?;
    if !to_client.starts_with(&o.redirect_uri) {
        return Err(format!("expected the client's redirect, got {to_client}"));
    }
    if query_param(&to_client, "state")? != state {
        return Err("state did not round-trip".into());
    }
    let code = query_param(&to_client, "code")?;

    let tokens = token(
        client,
        o,
        route.node(5),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &o.redirect_uri),
            ("code_verifier", &verifier),
        ],
    )
    .await?;
    let (Some(id_token), Some(_)) = (tokens["id_token"].as_str(), tokens["access_token"].as_str())
    else {
        return Err(format!(
            "token response without id_token/access_token: {tokens}"
        ));
    };
    let alg = header_alg(id_token)?;
    if alg != o.id_token_alg {
        return Err(format!(
            "ID token signed with {alg}, expected {}",
            o.id_token_alg
        ));
    }
    tokens["refresh_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or(format!("token response without refresh_token: {tokens}"))
}

async fn token(
    client: &Client,
    o: &Options,
    node: usize,
    form: &[(&str, &str)],
) -> Result<Value, String> {
    let response = client
        .post(format!("{}/oauth2/token", o.public_of(node)))
        .basic_auth(&o.client_id, Some(&o.client_secret))
        .form(form)
        .send()
        .await
        .map_err(|e| format!("POST /oauth2/token: {e}"))?;
    let status = response.status();
    let value: Value = response
        .json()
        .await
        .map_err(|e| format!("token response: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!("POST /oauth2/token: {status} {value}"));
    }
    Ok(value)
}

/// The `alg` of a compact JWS's protected header.
fn header_alg(jws: &str) -> Result<String, String> {
    let header = jws.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|e| format!("ID token header is not base64url: {e}"))?;
    let header: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("ID token header is not JSON: {e}"))?;
    header["alg"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("ID token header without alg: {header}"))
}

async fn refresh(client: &Client, o: &Options, refresh_token: &str) -> Result<String, String> {
    let tokens = token(
        client,
        o,
        0,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await?;
    tokens["refresh_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or(format!("refresh response without refresh_token: {tokens}"))
}

/// `active` of `token` in `node`'s admin introspection (RFC 7662).
async fn introspect(
    client: &Client,
    o: &Options,
    node: usize,
    token: &str,
) -> Result<bool, String> {
    let url = format!("{}/admin/oauth2/introspect", o.admin_of(node));
    let response = client
        .post(&url)
        .form(&[("token", token)])
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    let value: Value = response.json().await.map_err(|e| format!("{url}: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!("POST {url}: {status} {value}"));
    }
    value["active"]
        .as_bool()
        .ok_or(format!("introspection without active: {value}"))
}

/// RFC 7009 revocation of `token` on `node`.
async fn revoke(client: &Client, o: &Options, node: usize, token: &str) -> Result<(), String> {
    let url = format!("{}/oauth2/revoke", o.public_of(node));
    let response = client
        .post(&url)
        .basic_auth(&o.client_id, Some(&o.client_secret))
        .form(&[("token", token)])
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    if response.status() != StatusCode::OK {
        return Err(format!("POST {url}: {}", response.status()));
    }
    Ok(())
}

/// What the checks of `--mode nodes` counted.
#[derive(Default)]
struct CrossNode {
    flows: AtomicU64,
    refreshes_seen: AtomicU64,
    revocations_seen: AtomicU64,
}

/// One operation of `--mode nodes`: a flow across both nodes, a refresh on one seen
/// active on the other, a revocation on one seen inactive on the other at once.
async fn cross_node(
    client: &Client,
    o: &Options,
    start: usize,
    counted: Option<&CrossNode>,
) -> Result<(), String> {
    let (here, there) = (start, 1 - start);
    let refresh_token = flow(client, o, Route::alternating(start)).await?;
    if let Some(c) = counted {
        c.flows.fetch_add(1, Ordering::Relaxed);
    }
    let tokens = token(
        client,
        o,
        here,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
        ],
    )
    .await?;
    let (Some(access), Some(rotated)) = (
        tokens["access_token"].as_str(),
        tokens["refresh_token"].as_str(),
    ) else {
        return Err(format!("refresh response without tokens: {tokens}"));
    };
    if !introspect(client, o, there, access).await? {
        return Err("an access token refreshed on one node is inactive on the other".into());
    }
    if let Some(c) = counted {
        c.refreshes_seen.fetch_add(1, Ordering::Relaxed);
    }
    // Revoking the refresh token revokes its family (RFC 7009 §2.1), the access token
    // issued beside it included: the other node must see that at once.
    revoke(client, o, there, rotated).await?;
    if introspect(client, o, here, access).await? {
        return Err("STALE: a token revoked on one node is still active on the other".into());
    }
    if let Some(c) = counted {
        c.revocations_seen.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

struct Shared {
    measuring: AtomicBool,
    stop: AtomicBool,
    errors: AtomicU64,
    printed_errors: AtomicU64,
    cross_node: CrossNode,
}

fn report_error(shared: &Shared, error: &str) {
    if shared.measuring.load(Ordering::Relaxed) {
        shared.errors.fetch_add(1, Ordering::Relaxed);
    }
    if shared.printed_errors.fetch_add(1, Ordering::Relaxed) < 5 {
        eprintln!("flow-driver: {error}");
    }
}

async fn worker(client: Client, o: Arc<Options>, shared: Arc<Shared>, start: usize) -> Vec<u32> {
    let mut latencies = Vec::new();
    let mut refresh_token: Option<String> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let result = if o.mode == Mode::Nodes {
            // Half the workers start on each node.
            let measuring = shared.measuring.load(Ordering::Relaxed);
            let counted = measuring.then_some(&shared.cross_node);
            cross_node(&client, &o, start, counted)
                .await
                .map(|()| String::new())
        } else if o.mode == Mode::Refresh {
            match refresh_token.take() {
                Some(rt) => refresh(&client, &o, &rt).await,
                // The first refresh token of the worker comes from a flow (not counted).
                None => match flow(&client, &o, Route::single()).await {
                    Ok(rt) => {
                        refresh_token = Some(rt);
                        continue;
                    }
                    Err(e) => Err(e),
                },
            }
        } else {
            flow(&client, &o, Route::single()).await
        };
        match result {
            Ok(rt) => {
                if o.mode == Mode::Refresh {
                    refresh_token = Some(rt);
                }
                if shared.measuring.load(Ordering::Relaxed) {
                    let micros = started.elapsed().as_micros();
                    latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
                }
            }
            Err(e) => report_error(&shared, &e),
        }
    }
    latencies
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    f64::from(sorted[index]) / 1000.0
}

#[tokio::main]
async fn main() {
    let options = match parse_args() {
        Ok(o) => Arc::new(o),
        Err(e) => {
            eprintln!("flow-driver: {e}");
            std::process::exit(2);
        }
    };
    let client = match Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(options.concurrency * 2)
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("flow-driver: cannot build the HTTP client: {e}");
            std::process::exit(2);
        }
    };
    if options.mode == Mode::Soak {
        soak::run(client, options).await;
        return;
    }
    let shared = Arc::new(Shared {
        measuring: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        errors: AtomicU64::new(0),
        printed_errors: AtomicU64::new(0),
        cross_node: CrossNode::default(),
    });
    let workers: Vec<_> = (0..options.concurrency)
        .map(|i| {
            tokio::spawn(worker(
                client.clone(),
                options.clone(),
                shared.clone(),
                i % 2,
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(options.warmup)).await;
    shared.measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(options.duration)).await;
    shared.measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    shared.stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for handle in workers {
        match handle.await {
            Ok(mut l) => latencies.append(&mut l),
            Err(e) => report_error(&shared, &format!("worker failed: {e}")),
        }
    }
    latencies.sort_unstable();
    let completed = latencies.len();
    let mut result = json!({
        "mode": options.mode.name(),
        "concurrency": options.concurrency,
        "duration_s": elapsed,
        "completed": completed,
        "rate": completed as f64 / elapsed,
        "p50_ms": percentile(&latencies, 50.0),
        "p99_ms": percentile(&latencies, 99.0),
        "errors": shared.errors.load(Ordering::Relaxed),
    });
    if options.mode == Mode::Nodes {
        let c = &shared.cross_node;
        result["cross_node_flows"] = json!(c.flows.load(Ordering::Relaxed));
        result["cross_node_refreshes_seen"] = json!(c.refreshes_seen.load(Ordering::Relaxed));
        result["cross_node_revocations_seen"] = json!(c.revocations_seen.load(Ordering::Relaxed));
    }
    println!("{result}");
}
