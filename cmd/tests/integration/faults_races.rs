//! Races on one single-use token (issue 23): 20 concurrent redemptions of one
//! authorization code (RFC 6749 §4.1.2: used once) and of one refresh token (RFC 6749
//! §10.4, RFC 9700 §4.14.2: rotated), several rounds each, on every backend. Exactly one
//! request wins; every loser answers `invalid_grant`, never a 5xx. On MariaDB the losers'
//! revocation of the family deadlocked with the winner's insert (InnoDB 1213), which the
//! store now runs again (`storage/sql/contention.rs`). A revocation racing a refresh of
//! the same family leaves no token of it active, whichever finishes first; so does the
//! losers' revocation of a reused code's grant (on PostgreSQL the code exchange is one
//! statement, `storage/sql/pg_redeem.rs`).

use std::sync::Arc;

use serde_json::{Value, json};

use crate::support::code::obtain_code;
use crate::support::flow::{FlowClient, REDIRECT_URI, create_client};
use crate::support::{TestApp, TestBackend, per_backend};

per_backend!(
    twenty_concurrent_code_redemptions_have_one_winner,
    twenty_concurrent_refreshes_have_one_winner,
    revocation_racing_a_refresh_leaves_nothing_active,
);

const RACERS: usize = 20;
const ROUNDS: usize = 4;

/// Exactly one 200, and `invalid_grant` (400) for every other answer.
fn assert_one_winner(round: usize, results: &[(u16, Value)]) {
    let wins = results.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(wins, 1, "round {round}: {results:?}");
    for (status, body) in results {
        assert!(
            *status == 200 || (*status == 400 && body["error"] == "invalid_grant"),
            "round {round}: {status} {body}"
        );
    }
}

/// Sends `form` to the token endpoint `RACERS` times at once.
async fn race(
    app: &Arc<TestApp>,
    client: &Arc<FlowClient>,
    form: Vec<(String, String)>,
) -> Vec<(u16, Value)> {
    let form = Arc::new(form);
    let attempts = (0..RACERS).map(|_| {
        let (app, client, form) = (app.clone(), client.clone(), form.clone());
        tokio::spawn(async move {
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            app.token_request(&client, &pairs).await
        })
    });
    futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

async fn code_of(app: &TestApp, client: &FlowClient) -> String {
    obtain_code(app, client, &[("scope", "offline")], "ada", &["offline"]).await
}

fn code_form(code: &str) -> Vec<(String, String)> {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .to_vec()
}

async fn twenty_concurrent_code_redemptions_have_one_winner(backend: TestBackend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let client = Arc::new(create_client(&app, json!({})).await);
    for round in 0..ROUNDS {
        let code = code_of(&app, &client).await;
        let results = race(&app, &client, code_form(&code)).await;
        assert_one_winner(round, &results);
        // Each loser found the code used and revoked its grant (RFC 6749 §4.1.2): a
        // revocation that runs after the winner's redemption committed, so it must
        // reach the tokens the winner stored, whichever loser came first.
        let (_, won) = results
            .iter()
            .find(|(status, _)| *status == 200)
            .expect("one winner");
        for token in [&won["access_token"], &won["refresh_token"]] {
            let token = token.as_str().expect("a token");
            assert!(
                !app.introspect(token, None).await.active,
                "round {round}: a token of the reused code's grant is still active"
            );
        }
    }
}

async fn twenty_concurrent_refreshes_have_one_winner(backend: TestBackend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let client = Arc::new(create_client(&app, json!({})).await);
    for round in 0..ROUNDS {
        let code = code_of(&app, &client).await;
        let form = code_form(&code);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, body) = app.token_request(&client, &pairs).await;
        assert_eq!(status, 200, "{body}");
        let refresh = body["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_owned();
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec();
        let results = race(&app, &client, form).await;
        assert_one_winner(round, &results);
    }
}

/// Rounds of one revocation (RFC 7009 §2.1: the refresh token and its family) sent at
/// the same moment as a refresh of that token. Whatever the order the database picks,
/// once both have answered no token of the family is active: under READ COMMITTED a
/// revocation used to miss the tokens a concurrent rotation had just inserted.
async fn revocation_racing_a_refresh_leaves_nothing_active(backend: TestBackend) {
    const REVOKE_ROUNDS: usize = 12;
    let app = Arc::new(TestApp::spawn(backend).await);
    let client = Arc::new(create_client(&app, json!({})).await);
    let secret = client.secret.clone().expect("a confidential client");
    for round in 0..REVOKE_ROUNDS {
        let code = code_of(&app, &client).await;
        let form = code_form(&code);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, first) = app.token_request(&client, &pairs).await;
        assert_eq!(status, 200, "{first}");
        let refresh = first["refresh_token"].as_str().expect("refresh").to_owned();
        let refresh_form = [("grant_type", "refresh_token"), ("refresh_token", &refresh)];
        let revoke_form = [("token", refresh.as_str())];
        let refreshing = app.token_request(&client, &refresh_form);
        let revoking = app.post_form("/oauth2/revoke", Some((&client.id, &secret)), &revoke_form);
        let ((status, second), (revoked, _, _)) = tokio::join!(refreshing, revoking);
        assert_eq!(revoked, 200, "round {round}");
        assert!(
            status == 200 || (status == 400 && second["error"] == "invalid_grant"),
            "round {round}: {status} {second}"
        );
        let mut tokens = vec![
            first["access_token"].clone(),
            first["refresh_token"].clone(),
        ];
        if status == 200 {
            tokens.extend([
                second["access_token"].clone(),
                second["refresh_token"].clone(),
            ]);
        }
        for token in tokens {
            let token = token.as_str().expect("a token");
            assert!(
                !app.introspect(token, None).await.active,
                "round {round}: a token of the revoked family is still active (refresh answered {status})"
            );
        }
    }
}
