//! `serve all --dev` with no login, consent or logout app configured serves the
//! built-in login UI and points the authorization flow at it (issue 22 §1), and creates
//! the demo client of the welcome page's "Try a login" (§3).

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use crate::cli::{dev_server, free_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_mode_sends_the_flow_to_the_built_in_sign_in_page() {
    let dir = tempfile::tempdir().unwrap();
    let (public, admin) = (free_port(), free_port());
    let mut child = dev_server(dir.path(), public, admin)
        .env_remove("URLS_LOGIN")
        .env_remove("URLS_CONSENT")
        .env_remove("URLS_LOGOUT")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let admin_url = format!("http://127.0.0.1:{admin}");
    let public_url = format!("http://127.0.0.1:{public}");
    let mut ready = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(response) = http.get(format!("{public_url}/health/ready")).send().await
            && response.status() == 200
        {
            ready = true;
            break;
        }
    }
    assert!(ready, "dev server did not start");
    let created: serde_json::Value = http
        .post(format!("{admin_url}/admin/clients"))
        .json(&json!({
            "client_id": "ui-dev",
            "redirect_uris": ["http://127.0.0.1:9/callback"],
            "token_endpoint_auth_method": "none",
            "scope": "openid",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["client_id"], "ui-dev", "{created}");
    let authorize = http
        .get(format!(
            "{public_url}/oauth2/auth?client_id=ui-dev&response_type=code&scope=openid\
             &state=state-123456&code_challenge_method=S256\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback"
        ))
        .send()
        .await
        .unwrap();
    let location = authorize
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let page = match http.get(&location).send().await {
        Ok(response) => (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        ),
        Err(err) => (0, err.to_string()),
    };
    // Issue 22 §3: startup created the demo client, so the welcome page offers it.
    let home = match http.get(format!("{public_url}/")).send().await {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(err) => err.to_string(),
    };
    let demo_client = match http
        .get(format!("{admin_url}/admin/clients/portunus-demo"))
        .send()
        .await
    {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        home.contains(&format!("href=\"{public_url}/ui/demo/start\"")),
        "{home}"
    );
    assert_eq!(demo_client, 200);
    assert!(
        location.starts_with(&format!("{public_url}/ui/login?login_challenge=")),
        "{location}"
    );
    assert_eq!(page.0, 200, "{}", page.1);
    assert!(page.1.contains("name=\"password\""), "{}", page.1);
}
