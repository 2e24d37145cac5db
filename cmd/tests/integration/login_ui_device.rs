//! The built-in device user-code page (`/ui/device`, RFC 8628 §3.3): the code of
//! `verification_uri_complete` prefilled, a wrong code shown the form again, the right
//! one on to sign-in and consent, then `/ui/device/done` and the device's tokens.

use crate::support::TestBackend;
use crate::support::browser::Browser;
use crate::support::device::{authorize_device, device_client, poll};
use crate::support::login_ui::{
    PASSWORD, USERNAME, app_with_ui, consent_page, create_user, field, follow, submit_consent,
    submit_sign_in,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_is_connected_through_the_built_in_pages() {
    let app = app_with_ui(TestBackend::Sqlite, |c| {
        let base = c.public_url();
        c.urls.device.verification = Some(format!("{base}/ui/device"));
        c.urls.device.success = Some(format!("{base}/ui/device/done"));
    })
    .await;
    create_user(&app).await;
    let client = device_client(&app).await;
    let (status, device) = authorize_device(&app, &client.id, "openid").await;
    assert_eq!(status, 200, "{device}");
    let user_code = device["user_code"].as_str().unwrap().to_owned();
    let browser = Browser::new();

    let page_url = follow(
        &browser,
        device["verification_uri_complete"].as_str().unwrap(),
    )
    .await;
    assert!(
        page_url.starts_with(&app.public_path("/ui/device?device_challenge=")),
        "{page_url}"
    );
    let page = browser.get(&page_url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<label for=\"user_code\">"));
    assert_eq!(field(&page.body, "user_code"), user_code, "prefilled");
    let challenge = field(&page.body, "device_challenge");
    let csrf = field(&page.body, "csrf_token");
    let submit = |code: String| {
        let form = [
            ("device_challenge", challenge.clone()),
            ("csrf_token", csrf.clone()),
            ("user_code", code),
        ];
        let url = app.public_path("/ui/device");
        let browser = &browser;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.post_form(&url, &form).await
        }
    };

    let wrong = submit("BCDF-GHJK".to_owned()).await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(
        wrong.body.contains("That code is not right"),
        "{}",
        wrong.body
    );

    let right = submit(user_code.to_lowercase()).await;
    assert_eq!(right.status, 303, "{}", right.body);
    let login = follow(&browser, &right.location.unwrap()).await;
    assert!(login.starts_with(&app.public_path("/ui/login?")), "{login}");
    let form = browser.get(&login).await;
    let signed_in = submit_sign_in(&app, &browser, &form, USERNAME, PASSWORD, false).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let (_, consent) = consent_page(&app, &browser, &signed_in.location.unwrap()).await;
    let accepted = submit_consent(&app, &browser, &consent, "accept", &["openid"]).await;
    let done = follow(&browser, &accepted.location.unwrap()).await;
    assert_eq!(done, app.public_path("/ui/device/done"));
    let done_page = browser.get(&done).await;
    assert_eq!(done_page.status, 200);
    assert!(done_page.body.contains("Your device is connected"));

    let (status, tokens) = poll(&app, &client.id, device["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["access_token"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_form_needs_this_browsers_csrf_token() {
    let app = app_with_ui(TestBackend::Sqlite, |_| {}).await;
    let browser = Browser::new();
    let refused = browser
        .post_form(
            &app.public_path("/ui/device"),
            &[
                ("device_challenge", "forged"),
                ("csrf_token", ""),
                ("user_code", "BCDF-GHJK"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}
