//! Client authentication under attack (issue 12 items 7 and 8), on the wire:
//! - enumeration: an unknown client, a wrong secret and another method get the same
//!   status, headers and body (RFC 6749 §5.2 `invalid_client`);
//! - load: a flood of wrong secrets for one client beyond its share of the queue of
//!   slow (Argon2id) verifications is answered at once with `503 temporarily_unavailable`
//!   and `Retry-After`, while another client still authenticates; nothing hangs.

use std::num::NonZeroUsize;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    unknown_clients_and_wrong_secrets_read_the_same,
    a_flood_of_wrong_secrets_is_refused_at_once,
);

fn cc_client(id: &str, method: &str, secret: Option<&str>) -> Value {
    let mut body = json!({
        "client_id": id,
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": method,
    });
    if let Some(secret) = secret {
        body["client_secret"] = json!(secret);
    }
    body
}

/// Status, the headers a client could tell apart by, and the body.
async fn attempt(
    app: &TestApp,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let mut form = form.to_vec();
    form.push(("grant_type", "client_credentials"));
    let (status, headers, body) = app.post_form("/oauth2/token", basic, &form).await;
    let challenge = headers
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, challenge, body)
}

async fn unknown_clients_and_wrong_secrets_read_the_same(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let generated = app
        .register(cc_client("generated", "client_secret_basic", None))
        .await;
    let generated_secret = generated.secret.clone().unwrap();
    app.register(cc_client(
        "chosen",
        "client_secret_basic",
        Some("chosen-secret"),
    ))
    .await;
    app.register(cc_client("by-post", "client_secret_post", None))
        .await;

    // After HTTP Basic: unknown client, wrong generated-form secret, wrong chosen secret,
    // a client registered for client_secret_post.
    let other_generated = "A".repeat(43);
    let by_basic = [
        ("nobody", generated_secret.as_str()),
        ("generated", other_generated.as_str()),
        ("chosen", "wrong-secret"),
        ("nobody", "wrong-secret"),
        ("by-post", generated_secret.as_str()),
    ];
    let mut answers = Vec::new();
    for (id, secret) in by_basic {
        answers.push(attempt(&app, Some((id, secret)), &[]).await);
    }
    // In the body: the same cases without the Basic challenge.
    let by_post = [
        ("nobody", "wrong-secret"),
        ("by-post", other_generated.as_str()),
        ("generated", generated_secret.as_str()),
    ];
    let mut posted = Vec::new();
    for (id, secret) in by_post {
        let form = [("client_id", id), ("client_secret", secret)];
        posted.push(attempt(&app, None, &form).await);
    }
    for group in [&answers, &posted] {
        let first = &group[0];
        assert_eq!(first.0, 401, "{first:?}");
        assert_eq!(first.2["error"], "invalid_client");
        for other in group.iter() {
            assert_eq!(other, first, "one answer for every failure");
        }
    }
    assert_eq!(answers[0].1.as_deref(), Some("Basic realm=\"portunus\""));
    assert_eq!(posted[0].1, None);
    assert_eq!(answers[0].2, posted[0].2, "the same body either way");

    // The right secrets still work.
    let ok = attempt(&app, Some(("generated", &generated_secret)), &[]).await;
    assert_eq!(ok.0, 200, "{ok:?}");
    let ok = attempt(&app, Some(("chosen", "chosen-secret")), &[]).await;
    assert_eq!(ok.0, 200, "{ok:?}");
}

async fn a_flood_of_wrong_secrets_is_refused_at_once(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .config(|c| {
            let queue = &mut c.oauth2.client_secret_verification;
            queue.max_waiting = NonZeroUsize::new(4).unwrap();
            queue.max_waiting_per_client = NonZeroUsize::new(1).unwrap();
        })
        .build()
        .await;
    app.register(cc_client(
        "flooded",
        "client_secret_basic",
        Some("right-secret-a"),
    ))
    .await;
    app.register(cc_client(
        "other",
        "client_secret_basic",
        Some("right-secret-b"),
    ))
    .await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let url = app.public_path("/oauth2/token");
    let send = |id: &str, secret: String| {
        let request = http
            .post(&url)
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")]);
        async move {
            let response = request.send().await.expect("an answer, not a hang");
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.expect("a JSON body");
            (status, retry_after, body)
        }
    };
    // 40 distinct wrong secrets for one client at once, and the other client's first
    // authentication among them. One flooded verification is admitted at a time.
    let flood: Vec<_> = (0..40)
        .map(|n| tokio::spawn(send("flooded", format!("wrong-secret-{n}"))))
        .collect();
    let other = tokio::spawn(send("other", "right-secret-b".into()));
    let mut refused = 0;
    for task in flood {
        let (status, retry_after, body) = task.await.unwrap();
        match status {
            401 => assert_eq!(body["error"], "invalid_client", "{body}"),
            503 => {
                refused += 1;
                assert_eq!(body["error"], "temporarily_unavailable", "{body}");
                assert_eq!(retry_after.as_deref(), Some("1"), "RFC 9110 §10.2.3");
            }
            other => panic!("a flooded request got {other}: {body}"),
        }
    }
    assert!(
        refused > 0,
        "the flood beyond the client's share is refused"
    );
    let (status, _, body) = other.await.unwrap();
    assert_eq!(status, 200, "the other client is not kept out: {body}");
    // After the flood the flooded client authenticates as usual.
    let (status, _, body) = send("flooded", "right-secret-a".into()).await;
    assert_eq!(status, 200, "{body}");
}
