//! Rate limits (issue 14 §3, `rate_limit`; docs/operations.md, "Rate
//! limits"): 429 `rate_limit_exceeded` with `Retry-After` once a group's budget is
//! spent, the `RateLimit`/`RateLimit-Policy` fields on every response of a limited
//! endpoint, an HTML page on the authorize endpoint, the allow-list, forwarded client
//! addresses only from trusted proxies, one budget shared through Redis by two nodes,
//! and failing open when Redis is unreachable. The limiter keeps no database state, so
//! these run on SQLite only. Redis tests need PORTUNUS_TEST_REDIS_URL (.ci/run sets it;
//! the default nextest profile reports them skipped).

use portunus_server::Config;
use serde_json::Value;

use crate::support::redis::{redis_url, unique_prefix};
use crate::support::{TestApp, TestBackend};

/// An app with rate limits on, a default-group burst of `burst` (one a minute after
/// it: nothing refills during a test), and `change` applied.
async fn limited_app(burst: u32, change: impl FnOnce(&mut Config) + 'static) -> TestApp {
    TestApp::builder(TestBackend::Sqlite)
        .config(move |c| {
            let limits = &mut c.rate_limit;
            limits.enabled = true;
            for group in [
                &mut limits.groups.default,
                &mut limits.groups.authorize,
                &mut limits.groups.token,
                &mut limits.groups.introspect,
            ] {
                group.per_minute = 1;
                group.burst = burst;
            }
            change(c);
        })
        .build()
        .await
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.http.get(app.public_path(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

const DISCOVERY: &str = "/.well-known/openid-configuration";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_is_a_429_with_retry_after() {
    let app = limited_app(2, |_| {}).await;
    for remaining in [1, 0] {
        let response = get(&app, DISCOVERY, &[]).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "ratelimit-policy").as_deref(),
            Some("\"default\";q=1;w=60")
        );
        let state = header(&response, "ratelimit").unwrap();
        assert!(
            state.starts_with(&format!("\"default\";r={remaining};t=")),
            "{state}"
        );
    }
    let response = get(&app, DISCOVERY, &[]).await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = header(&response, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert!(header(&response, "ratelimit").unwrap().contains(";r=0;"));
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "rate_limit_exceeded");
    assert_eq!(
        body["error_description"],
        "Too many requests. Please try again later."
    );
    // The token endpoint is a group of its own: its budget is untouched.
    let token = app
        .http
        .post(app.public_path("/oauth2/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_ne!(token.status(), 429);
    assert_eq!(
        header(&token, "ratelimit-policy").as_deref(),
        Some("\"token\";q=1;w=60")
    );
    // An encoded path is the endpoint the router serves, and its group.
    let encoded = app
        .http
        .post(app.public_path("/oauth2/%74oken"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&encoded, "ratelimit-policy").as_deref(),
        Some("\"token\";q=1;w=60")
    );
    assert!(
        header(&encoded, "ratelimit")
            .unwrap()
            .starts_with("\"token\";r=0;"),
        "the second request of the token budget"
    );
    // Health probes are never limited.
    let health = get(&app, "/health/alive", &[]).await;
    assert_eq!(health.status(), 200);
    assert!(header(&health, "ratelimit").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_on_the_admin_listener_has_its_own_budget() {
    let app = limited_app(1, |_| {}).await;
    let introspect = || {
        app.http
            .post(app.admin_path("/admin/oauth2/introspect"))
            .form(&[("token", "not-a-token")])
            .send()
    };
    let first = introspect().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(
        header(&first, "ratelimit-policy").as_deref(),
        Some("\"introspect\";q=1;w=60")
    );
    assert_eq!(introspect().await.unwrap().status(), 429);
    // The rest of the admin API is not limited.
    let clients = app
        .http
        .get(app.admin_path("/admin/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(clients.status(), 200);
    assert!(header(&clients, "ratelimit").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorize_endpoint_renders_the_error_page() {
    let app = limited_app(1, |_| {}).await;
    let first = get(&app, "/oauth2/auth", &[]).await;
    assert_ne!(first.status(), 429);
    let response = get(&app, "/oauth2/auth", &[]).await;
    assert_eq!(response.status(), 429);
    assert!(header(&response, "retry-after").is_some());
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(header(&response, "content-security-policy").is_some());
    let page = response.text().await.unwrap();
    assert!(page.contains("rate_limit_exceeded"), "{page}");
    assert!(page.contains("Too many requests. Please try again later."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_listed_addresses_are_never_limited() {
    let app = limited_app(1, |c| {
        c.rate_limit.allow_list.cidrs = vec!["127.0.0.0/8".into()];
    })
    .await;
    for _ in 0..5 {
        let response = get(&app, DISCOVERY, &[]).await;
        assert_eq!(response.status(), 200);
        assert!(header(&response, "ratelimit").is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let trusting = limited_app(1, |c| {
        c.serve.public.trusted_proxies = vec!["127.0.0.0/8".into()];
    })
    .await;
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    assert_eq!(
        get(&trusting, DISCOVERY, &from("192.0.2.1")).await.status(),
        200
    );
    assert_eq!(
        get(&trusting, DISCOVERY, &from("192.0.2.1")).await.status(),
        429
    );
    // Another client behind the same proxy has its own budget.
    assert_eq!(
        get(&trusting, DISCOVERY, &from("192.0.2.2")).await.status(),
        200
    );

    // Without trust the header is ignored: every request is the socket peer's.
    let untrusting = limited_app(1, |_| {}).await;
    assert_eq!(
        get(&untrusting, DISCOVERY, &from("192.0.2.1"))
            .await
            .status(),
        200
    );
    assert_eq!(
        get(&untrusting, DISCOVERY, &from("192.0.2.2"))
            .await
            .status(),
        429
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_by_default_nothing_is_limited_or_announced() {
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    assert!(!app.state.config.rate_limit.enabled);
    for _ in 0..120 {
        let response = get(&app, DISCOVERY, &[]).await;
        assert_eq!(response.status(), 200);
        assert!(header(&response, "ratelimit").is_none());
        assert!(header(&response, "ratelimit-policy").is_none());
    }
}

/// The value of the sample whose line contains every part of `parts`.
async fn metric(app: &TestApp, parts: &[&str]) -> Option<f64> {
    let text = app
        .http
        .get(app.admin_path("/admin/metrics/prometheus"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| parts.iter().all(|p| line.contains(p)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_are_counted() {
    let app = limited_app(1, |_| {}).await;
    for _ in 0..3 {
        get(&app, DISCOVERY, &[]).await;
    }
    let rejected = metric(
        &app,
        &["portunus_rate_limit_rejections_total", "group=\"default\""],
    )
    .await;
    assert_eq!(rejected, Some(2.0));
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_fails_open() {
    let port = closed_port();
    let app = limited_app(1, move |c| {
        c.rate_limit.store = format!("redis://127.0.0.1:{port}");
    })
    .await;
    for _ in 0..4 {
        let response = get(&app, DISCOVERY, &[]).await;
        assert_eq!(response.status(), 200, "a limiter outage is no outage");
        assert!(header(&response, "ratelimit").is_none());
    }
    let failed_open = metric(
        &app,
        &["portunus_rate_limit_fail_open_total", "group=\"default\""],
    )
    .await;
    assert_eq!(failed_open, Some(4.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_two_nodes_share_one_budget() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix();
    let node = |url: String, prefix: String| {
        limited_app(3, move |c| {
            c.rate_limit.store = url;
            c.rate_limit.key_prefix = Some(prefix);
        })
    };
    let first = node(url.clone(), prefix.clone()).await;
    let second = node(url, prefix).await;
    let statuses = [
        get(&first, DISCOVERY, &[]).await.status(),
        get(&second, DISCOVERY, &[]).await.status(),
        get(&first, DISCOVERY, &[]).await.status(),
    ];
    assert_eq!(statuses, [200, 200, 200]);
    let fourth = get(&second, DISCOVERY, &[]).await;
    assert_eq!(
        fourth.status(),
        429,
        "the second node saw the first one's requests"
    );
    assert!(header(&fourth, "retry-after").is_some());
    let fifth = get(&first, DISCOVERY, &[]).await;
    assert_eq!(fifth.status(), 429);
    assert_eq!(
        metric(&first, &["portunus_rate_limit_fail_open_total"]).await,
        None,
        "Redis answered every check"
    );
}
