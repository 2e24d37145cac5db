//! What the upstream sign-in keeps of a provider (server/src/login_ui/upstream/cache.rs)
//! and the UserInfo fallback (OIDC Core §5.3): the idp (a second Portunus) is reached
//! through a recording proxy that serves its discovery document with `jwks_uri` and
//! `userinfo_endpoint` pointing at the proxy, forwards those, and counts every read.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use portunus_server::config::FirstLogin;
use serde_json::{Value, json};

use crate::login_ui_upstream::{
    at_idp, bearer, idp, idp_url, oidc_provider, register_rp, rp, sign_in, start_upstream,
    user_count,
};
use crate::support::TestBackend;
use crate::support::browser::Browser;
use crate::support::flow::create_client;

/// What the proxy counted, and how it changes the UserInfo answer.
#[derive(Default)]
struct Recorded {
    discovery: usize,
    jwks: usize,
    userinfo: usize,
    /// Members set on the idp's UserInfo answer before it is returned.
    userinfo_changes: serde_json::Map<String, Value>,
}

type Shared = Arc<Mutex<Recorded>>;

fn recording_proxy(idp_base: String) -> (String, Shared, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let own = format!("http://{}", listener.local_addr().unwrap());
    let recorded = Shared::default();
    let (base, state) = (own.clone(), recorded.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new((
                idp_base.clone(),
                base.clone(),
                state.clone(),
            )))
            .route(
                "/.well-known/openid-configuration",
                web::get().to(|data: web::Data<(String, String, Shared)>| async move {
                    let (idp_base, own, recorded) = data.get_ref();
                    recorded.lock().unwrap().discovery += 1;
                    let url = format!("{idp_base}/.well-known/openid-configuration");
                    let mut doc: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
                    doc["jwks_uri"] = json!(format!("{own}/jwks"));
                    doc["userinfo_endpoint"] = json!(format!("{own}/userinfo"));
                    HttpResponse::Ok().json(doc)
                }),
            )
            .route(
                "/jwks",
                web::get().to(|data: web::Data<(String, String, Shared)>| async move {
                    let (idp_base, _, recorded) = data.get_ref();
                    recorded.lock().unwrap().jwks += 1;
                    let url = format!("{idp_base}/.well-known/jwks.json");
                    let set: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
                    HttpResponse::Ok().json(set)
                }),
            )
            .route(
                "/userinfo",
                web::get().to(
                    |req: HttpRequest, data: web::Data<(String, String, Shared)>| async move {
                        let (idp_base, _, recorded) = data.get_ref();
                        let mut answer: Value = reqwest::Client::new()
                            .get(format!("{idp_base}/userinfo"))
                            .header("authorization", bearer(&req))
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        let mut recorded = recorded.lock().unwrap();
                        recorded.userinfo += 1;
                        for (name, value) in &recorded.userinfo_changes {
                            answer[name] = value.clone();
                        }
                        HttpResponse::Ok().json(answer)
                    },
                ),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (own, recorded, handle)
}

fn counts(recorded: &Shared) -> (usize, usize, usize) {
    let r = recorded.lock().unwrap();
    (r.discovery, r.jwks, r.userinfo)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_and_keys_are_kept_and_a_rotated_key_is_read_again() {
    let idp = idp().await;
    let (proxy, recorded, handle) = recording_proxy(idp_url(&idp, ""));
    let mut provider = oidc_provider(&idp, FirstLogin::Create);
    provider.discovery_url = Some(format!("{proxy}/.well-known/openid-configuration"));
    let rp = rp(TestBackend::Sqlite, provider).await;
    register_rp(&idp, &rp, "idp").await;

    let first = sign_in(&rp, &idp, &Browser::new()).await;
    assert_eq!(first["email"], "ada@example.com");
    assert_eq!(counts(&recorded).0, 1, "the discovery document was read");
    assert_eq!(counts(&recorded).1, 1, "the JWK Set was read");
    let second = sign_in(&rp, &idp, &Browser::new()).await;
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(
        (counts(&recorded).0, counts(&recorded).1),
        (1, 1),
        "the second sign-in reads neither document again"
    );

    // The idp rotates its ID-token keys: its next ID token names a kid the kept set
    // lacks, so the set is read once more (after the minimum interval between reads).
    let created = idp
        .http
        .post(idp.admin_path("/admin/keys/hydra.openid.id-token"))
        .json(&json!({"alg": "RS256", "use": "sig", "kid": "rotated-at-the-idp"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    tokio::time::sleep(
        portunus_server::login_ui::upstream::cache::JWKS_REFRESH_MIN_INTERVAL
            + Duration::from_millis(200),
    )
    .await;
    let third = sign_in(&rp, &idp, &Browser::new()).await;
    assert_eq!(third["sub"], first["sub"]);
    assert_eq!(
        (counts(&recorded).0, counts(&recorded).1),
        (1, 2),
        "only the JWK Set was read again"
    );
    handle.stop(false).await;
}

/// The provider's mapper names a claim only UserInfo has: the sign-in asks UserInfo
/// with the access token and fills the local user's name from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_supplies_the_claims_the_id_token_lacks() {
    let idp = idp().await;
    let (proxy, recorded, handle) = recording_proxy(idp_url(&idp, ""));
    recorded
        .lock()
        .unwrap()
        .userinfo_changes
        .insert("display_name".into(), json!("Countess of Lovelace"));
    let mut provider = oidc_provider(&idp, FirstLogin::Create);
    provider.discovery_url = Some(format!("{proxy}/.well-known/openid-configuration"));
    provider.mapper.name = "display_name".into();
    let rp = rp(TestBackend::Sqlite, provider).await;
    register_rp(&idp, &rp, "idp").await;

    let claims = sign_in(&rp, &idp, &Browser::new()).await;
    assert_eq!(counts(&recorded).2, 1, "UserInfo was asked once");
    let local = rp
        .state
        .users
        .get_user(claims["sub"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(local.name.as_deref(), Some("Countess of Lovelace"));
    assert_eq!(local.email, "ada@example.com", "from the ID token");
    handle.stop(false).await;
}

/// OIDC Core §5.3.2: a UserInfo answer for another `sub` must not be used; the sign-in
/// fails and nobody is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_userinfo_answer_for_another_subject_is_refused() {
    let idp = idp().await;
    let (proxy, recorded, handle) = recording_proxy(idp_url(&idp, ""));
    {
        let mut r = recorded.lock().unwrap();
        r.userinfo_changes
            .insert("display_name".into(), json!("Mallory"));
        r.userinfo_changes
            .insert("sub".into(), json!("someone-else"));
    }
    let mut provider = oidc_provider(&idp, FirstLogin::Create);
    provider.discovery_url = Some(format!("{proxy}/.well-known/openid-configuration"));
    provider.mapper.name = "display_name".into();
    let rp = rp(TestBackend::Sqlite, provider).await;
    register_rp(&idp, &rp, "idp").await;

    let browser = Browser::new();
    let client = create_client(&rp, json!({})).await;
    let idp_authorize = start_upstream(&rp, &browser, &client.id).await;
    let callback = at_idp(&idp, &browser, &idp_authorize).await;
    let page = browser.get(&callback).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("upstream_error"), "{}", page.body);
    assert!(
        !page.body.contains("someone-else"),
        "the reason is not shown"
    );
    assert_eq!(counts(&recorded).2, 1, "UserInfo was asked");
    assert_eq!(user_count(&rp).await, 0, "nobody signed in");
    handle.stop(false).await;
}
