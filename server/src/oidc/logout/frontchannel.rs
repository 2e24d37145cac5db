//! Front-Channel Logout 1.0: the OP "renders `<iframe src="frontchannel_logout_uri">`
//! in a page with the RP's logout URI" for every RP the user was logged in to (§2),
//! adding `iss` and `sid` as query parameters when the RP registered
//! `frontchannel_logout_session_required` (§2: "the OP MUST include iss and sid query
//! parameters"). The page then continues to the post-logout redirect (RP-Initiated
//! Logout §3) once the iframes have loaded, with a link for user agents without script.

use crate::client::model::Client;
use crate::client::validate::{Navigation, UriPolicy, check_navigation};
use crate::html::{HtmlPage, html_escape, origin_source, script_hash_source};

/// The iframe URL of one client, or `None` when it has no front-channel URI or one
/// whose scheme registration no longer allows under `policy` (a client stored before
/// the rule of `client::validate::uris` existed: its `javascript:` URI is not framed).
pub fn iframe_url(client: &Client, issuer: &str, sid: &str, policy: UriPolicy) -> Option<String> {
    if client.frontchannel_logout_uri.is_empty() {
        return None;
    }
    let mut url = url::Url::parse(&client.frontchannel_logout_uri).ok()?;
    if let Err(why) = check_navigation(&url, Navigation::Frame, policy) {
        tracing::warn!(client_id = %client.client_id, "front-channel logout URI skipped: it {why}");
        return None;
    }
    if client.frontchannel_logout_session_required {
        url.query_pairs_mut()
            .append_pair("iss", issuer)
            .append_pair("sid", sid);
    }
    Some(url.into())
}

/// The logout page: one hidden iframe per URL, then on to `next` when given. Its
/// policy frames only the iframes' origins and runs only its own script (by hash);
/// `hidden` rather than an inline style keeps styles out of the policy.
pub fn page(iframes: &[String], next: Option<&str>) -> HtmlPage {
    let frames: String = iframes
        .iter()
        .map(|src| {
            format!(
                "<iframe src=\"{}\" hidden width=\"0\" height=\"0\"></iframe>",
                html_escape(src)
            )
        })
        .collect();
    let (script, link) = match next {
        Some(next) => {
            let target = serde_json::to_string(next).unwrap_or_else(|_| "\"/\"".into());
            // `<` cannot close the script: JSON strings escape nothing of the sort, so
            // the one dangerous sequence is replaced.
            let target = target.replace('<', "\\u003c");
            (
                format!(
                    "window.addEventListener(\"load\",function(){{window.location.replace({target});}});"
                ),
                format!("<p><a href=\"{}\">Continue</a></p>", html_escape(next)),
            )
        }
        None => (String::new(), String::new()),
    };
    let mut csp = vec!["default-src 'none'".to_owned()];
    let mut origins: Vec<String> = iframes.iter().filter_map(|u| origin_source(u)).collect();
    origins.sort();
    origins.dedup();
    if !origins.is_empty() {
        csp.push(format!("frame-src {}", origins.join(" ")));
    }
    let script_element = if script.is_empty() {
        String::new()
    } else {
        csp.push(format!("script-src {}", script_hash_source(&script)));
        format!("<script>{script}</script>")
    };
    csp.push("base-uri 'none'; form-action 'none'; frame-ancestors 'none'".to_owned());
    HtmlPage {
        body: format!(
            "<!DOCTYPE html><html><head><title>Logged out</title></head><body>\
             <h1>You have been logged out.</h1>{link}{frames}{script_element}</body></html>"
        ),
        csp: csp.join("; "),
    }
}

/// The plain page shown when there is nowhere to go after logout.
pub fn logged_out_page() -> HtmlPage {
    page(&[], None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iframes_carry_iss_and_sid_when_required() {
        let mut client = Client {
            frontchannel_logout_uri: "https://rp.test/fc?x=1".into(),
            frontchannel_logout_session_required: true,
            ..Client::default()
        };
        let url = iframe_url(&client, "https://op.test/", "s-1", UriPolicy::default()).unwrap();
        assert_eq!(
            url,
            "https://rp.test/fc?x=1&iss=https%3A%2F%2Fop.test%2F&sid=s-1"
        );
        client.frontchannel_logout_session_required = false;
        assert_eq!(
            iframe_url(&client, "https://op.test/", "s-1", UriPolicy::default()).unwrap(),
            "https://rp.test/fc?x=1"
        );
        let html = page(&[url], Some("https://rp.test/bye?a=1&b=</script>"));
        assert!(
            html.body
                .contains("<iframe src=\"https://rp.test/fc?x=1&amp;iss=")
        );
        assert!(!html.body.contains("b=</script>"));
    }

    /// A URI stored before the scheme rules existed is not framed; non-loopback http
    /// only with `oauth2.allow_insecure_redirect_uris`.
    #[test]
    fn uris_registration_no_longer_allows_are_not_framed() {
        let mut client = Client {
            frontchannel_logout_uri: "javascript:alert(1)".into(),
            ..Client::default()
        };
        let insecure = UriPolicy {
            allow_insecure_http: true,
        };
        assert_eq!(iframe_url(&client, "https://op.test/", "s", insecure), None);
        client.frontchannel_logout_uri = "http://rp.test/fc".into();
        assert_eq!(
            iframe_url(&client, "https://op.test/", "s", UriPolicy::default()),
            None
        );
        assert_eq!(
            iframe_url(&client, "https://op.test/", "s", insecure).as_deref(),
            Some("http://rp.test/fc")
        );
    }

    #[test]
    fn the_policy_frames_the_rps_and_runs_only_the_page_script() {
        let html = page(
            &[
                "https://rp.test/fc?sid=1".to_owned(),
                "https://rp.test/fc2".to_owned(),
                "http://other.test:8080/logout".to_owned(),
            ],
            Some("https://rp.test/bye"),
        );
        assert!(
            html.csp
                .contains("frame-src http://other.test:8080 https://rp.test;"),
            "{}",
            html.csp
        );
        let script = html
            .body
            .split("<script>")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .unwrap();
        assert!(
            html.csp.contains(&script_hash_source(script)),
            "{}",
            html.csp
        );
        assert!(html.csp.contains("frame-ancestors 'none'"));
        assert!(!html.body.contains("style="), "no inline styles");
        let plain = logged_out_page();
        assert!(!plain.body.contains("<script"));
        assert_eq!(
            plain.csp,
            "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        );
    }
}
