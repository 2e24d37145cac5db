//! Prometheus metrics at `GET /admin/metrics/prometheus` (docs/operations.md,
//! "Metrics"): the series a request, a token, a failed client authentication and a
//! reused refresh token leave, labelled by route template (never the raw path), behind
//! the admin API key, and 404 when `serve.metrics.enabled` is off. Each nextest test
//! is its own process, so the process-wide recorder counts this test's requests only.

use portunus_sdk::types::RejectOAuth2Request;
use serde_json::json;

use crate::support::browser::Browser;
use crate::support::flow::{
    authorize_url, create_client, login_challenge, run_code_flow, to_client,
};

use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    requests_tokens_and_failures_are_counted,
    metrics_can_be_turned_off,
    flows_and_storage_are_observed,
);

const ADMIN_KEY: &str = "an-admin-api-key-for-the-metrics-test";

async fn scrape(app: &TestApp, key: Option<&str>) -> (u16, String, String) {
    let mut request = app.http.get(app.admin_path("/admin/metrics/prometheus"));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

/// The value of the sample whose name and labels contain every part of `parts`.
fn sample(text: &str, parts: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| parts.iter().all(|p| line.contains(p)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

async fn requests_tokens_and_failures_are_counted(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| c.serve.admin.api_key = Some(ADMIN_KEY.to_owned()))
        .build()
        .await;
    let registered = app
        .register(json!({"grant_types": ["client_credentials", "refresh_token"], "scope": "read offline"}))
        .await;
    let client = (registered.id.clone(), registered.secret.clone().unwrap());
    let secret = client.1.as_str();
    for _ in 0..3 {
        let (status, _, body) = app
            .post_form(
                "/oauth2/token",
                Some((&client.0, secret)),
                &[("grant_type", "client_credentials"), ("scope", "read")],
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _, _) = app
        .post_form(
            "/oauth2/token",
            Some((&client.0, "not-the-secret")),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(status, 401);
    let (_, refresh) = app.issue_family(&client.0, &["read", "offline"]).await;
    for expected in [200, 400] {
        let (status, _, body) = app
            .post_form(
                "/oauth2/token",
                Some((&client.0, secret)),
                &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            )
            .await;
        assert_eq!(status, expected, "{body}");
    }
    let unknown = app
        .http
        .get(app.public_path("/no/such/path/with-a-secret-looking-segment"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let (status, _, _) = scrape(&app, None).await;
    assert_eq!(status, 401, "the metrics need the admin API key");
    let (status, content_type, text) = scrape(&app, Some(ADMIN_KEY)).await;
    assert_eq!(status, 200, "{text}");
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let token_ok = [
        "portunus_http_requests_total{",
        "listener=\"public\"",
        "route=\"/oauth2/token\"",
        "method=\"POST\"",
        "status=\"200\"",
    ];
    assert_eq!(
        sample(&text, &token_ok),
        Some(4.0),
        "3 client credentials + 1 refresh\n{text}"
    );
    assert!(
        sample(
            &text,
            &[
                "portunus_http_request_duration_seconds_count{",
                "route=\"/oauth2/token\""
            ]
        )
        .is_some_and(|n| n >= 6.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &[
                "portunus_tokens_issued_total{",
                "grant_type=\"client_credentials\"",
                "token_type=\"bearer\""
            ]
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &[
                "portunus_tokens_issued_total{",
                "grant_type=\"refresh_token\""
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            &[
                "portunus_client_authentication_failures_total{",
                "method=\"client_secret_basic\""
            ]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &[
                "portunus_token_requests_failed_total{",
                "grant_type=\"client_credentials\"",
                "error=\"invalid_client\""
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            &[
                "portunus_token_reuse_detected_total{",
                "kind=\"refresh_token\""
            ]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &[
                "portunus_build_info{",
                &format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))
            ]
        ),
        Some(1.0)
    );
    assert!(
        sample(
            &text,
            &[
                "portunus_http_requests_total{",
                "route=\"unmatched\"",
                "status=\"404\""
            ]
        )
        .is_some(),
        "{text}"
    );
    assert!(
        !text.contains("with-a-secret-looking-segment"),
        "raw paths are never labels"
    );
    assert!(!text.contains(&client.0), "client ids are never labels");
}

async fn metrics_can_be_turned_off(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| c.serve.metrics.enabled = false)
        .build()
        .await;
    let (status, _, body) = scrape(&app, None).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("serve.metrics.enabled"), "{body}");
}

/// A completed code flow, a login the app refused, an authorization request that is
/// refused at once, and a conflicting write: the flow-step series count each step's
/// outcome, and the storage series show the backend's pool (PostgreSQL, MySQL) or
/// SQLite's writer, and the conflict by kind.
async fn flows_and_storage_are_observed(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = create_client(&app, json!({})).await;
    let browser = Browser::new();
    let callback = run_code_flow(
        &app,
        &browser,
        &client.id,
        &[("scope", "openid"), ("state", "state-1")],
        "ada",
        &["openid"],
    )
    .await;
    assert!(callback.contains("code="), "{callback}");

    let url = authorize_url(
        &app,
        &client.id,
        &[("scope", "openid"), ("state", "state-2")],
    );
    let challenge = login_challenge(&browser, &url).await;
    let redirect = app
        .admin
        .reject_o_auth2_login_request()
        .login_challenge(&challenge)
        .body(RejectOAuth2Request {
            error: Some("access_denied".into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .redirect_to;
    let location = to_client(&browser, &redirect).await;
    assert!(location.contains("error=access_denied"), "{location}");
    // A scope the client may not ask for: the client hears `invalid_scope` at once.
    let refused = browser
        .get(&authorize_url(
            &app,
            &client.id,
            &[("scope", "admin"), ("state", "s")],
        ))
        .await;
    assert!(
        refused
            .location
            .as_deref()
            .is_some_and(|l| l.contains("error=invalid_scope")),
        "{:?}",
        refused.location
    );
    // A second client with the same id conflicts in the database.
    let conflict = app
        .http
        .post(app.admin_path("/admin/clients"))
        .json(&json!({"client_id": client.id, "redirect_uris": ["https://a.example/cb"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(conflict.status().as_u16(), 409);

    let (status, _, text) = scrape(&app, None).await;
    assert_eq!(status, 200);
    let steps = |step: &str, outcome: &str| {
        sample(
            &text,
            &[
                "portunus_authorization_flow_steps_total{",
                &format!("step=\"{step}\""),
                &format!("outcome=\"{outcome}\""),
            ],
        )
        .unwrap_or(0.0)
    };
    assert_eq!(steps("authorize", "continued"), 2.0, "{text}");
    assert_eq!(steps("authorize", "errored"), 1.0, "{text}");
    assert_eq!(steps("login", "continued"), 1.0, "{text}");
    assert_eq!(steps("login", "denied"), 1.0, "{text}");
    assert_eq!(steps("consent", "completed"), 1.0, "{text}");

    let label = match backend {
        TestBackend::Sqlite => "sqlite",
        TestBackend::Postgres => "postgres",
        TestBackend::Mysql => "mysql",
    };
    assert_eq!(
        sample(
            &text,
            &[
                "portunus_db_errors_total{",
                &format!("backend=\"{label}\""),
                "kind=\"conflict\""
            ],
        ),
        Some(1.0),
        "{text}"
    );
    if backend == TestBackend::Sqlite {
        let batches = sample(&text, &["portunus_sqlite_writer_batch_size_count"]).unwrap_or(0.0);
        assert!(batches >= 1.0, "{text}");
        assert!(
            text.contains("portunus_sqlite_writer_queue_depth"),
            "{text}"
        );
    } else {
        let waits = sample(
            &text,
            &[
                "portunus_db_pool_wait_seconds_count{",
                &format!("backend=\"{label}\""),
            ],
        )
        .unwrap_or(0.0);
        assert!(waits >= 1.0, "{text}");
        let max = sample(
            &text,
            &[
                "portunus_db_pool_max_connections{",
                &format!("backend=\"{label}\""),
            ],
        );
        assert!(max.is_some_and(|max| max >= 1.0), "{text}");
        assert!(
            sample(
                &text,
                &[
                    "portunus_db_pool_connections{",
                    &format!("backend=\"{label}\""),
                    "state=\"in_use\""
                ],
            )
            .is_some(),
            "{text}"
        );
    }
}

/// `serve.metrics.port`: a third listener of the real binary serves `GET /metrics`
/// without the admin API key (the admin API still wants it), and nothing else.
#[test]
fn a_metrics_listener_of_its_own_needs_no_admin_key() {
    use crate::cli::{dev_server, free_port, http_get, http_get_body};
    let dir = tempfile::tempdir().unwrap();
    let (public, admin, metrics) = (free_port(), free_port(), free_port());
    let mut child = dev_server(dir.path(), public, admin)
        .env("SERVE_METRICS_PORT", metrics.to_string())
        .env("SERVE_ADMIN_API_KEY", ADMIN_KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        [public, admin, metrics]
            .iter()
            .all(|port| std::net::TcpStream::connect(("127.0.0.1", *port)).is_ok())
    });
    assert!(ready, "the server did not start its three listeners");
    let status = http_get(public, "/.well-known/jwks.json");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");

    let status = http_get(metrics, "/metrics");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let text = http_get_body(metrics, "/metrics");
    assert!(text.contains("portunus_build_info{version="), "{text}");
    assert!(
        text.contains("route=\"/.well-known/jwks.json\""),
        "the public listener's requests are counted: {text}"
    );
    for path in ["/admin/metrics/prometheus", "/admin/clients", "/"] {
        let status = http_get(metrics, path);
        assert!(status.starts_with("HTTP/1.1 404"), "{path}: {status}");
    }
    let status = http_get(admin, "/admin/metrics/prometheus");
    assert!(
        status.starts_with("HTTP/1.1 401"),
        "the admin path keeps its key: {status}"
    );
    let _ = child.kill();
    let _ = child.wait();
}
