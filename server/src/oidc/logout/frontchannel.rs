//! Front-Channel Logout 1.0: the OP "renders `<iframe src="frontchannel_logout_uri">`
//! in a page with the RP's logout URI" for every RP the user was logged in to (§2),
//! adding `iss` and `sid` as query parameters when the RP registered
//! `frontchannel_logout_session_required` (§2: "the OP MUST include iss and sid query
//! parameters"). The page then continues to the post-logout redirect (RP-Initiated
//! Logout §3) once the iframes have loaded, with a link for user agents without script.

use crate::client::model::Client;
use crate::oauth2::authorize::response::html_escape;

/// The iframe URL of one client, or `None` when it has no front-channel URI.
pub fn iframe_url(client: &Client, issuer: &str, sid: &str) -> Option<String> {
    if client.frontchannel_logout_uri.is_empty() {
        return None;
    }
    let mut url = url::Url::parse(&client.frontchannel_logout_uri).ok()?;
    if client.frontchannel_logout_session_required {
        url.query_pairs_mut()
            .append_pair("iss", issuer)
            .append_pair("sid", sid);
    }
    Some(url.into())
}

/// The logout page: one hidden iframe per URL, then on to `next` when given.
pub fn page(iframes: &[String], next: Option<&str>) -> String {
    let frames: String = iframes
        .iter()
        .map(|src| {
            format!(
                "<iframe src=\"{}\" style=\"display:none\" width=\"0\" height=\"0\"></iframe>",
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
                    "<script>window.addEventListener(\"load\",function(){{window.location.replace({target});}});</script>"
                ),
                format!("<p><a href=\"{}\">Continue</a></p>", html_escape(next)),
            )
        }
        None => (String::new(), String::new()),
    };
    format!(
        "<!DOCTYPE html><html><head><title>Logged out</title></head><body>\
         <h1>You have been logged out.</h1>{link}{frames}{script}</body></html>"
    )
}

/// The plain page shown when there is nowhere to go after logout.
pub fn logged_out_page() -> String {
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
        let url = iframe_url(&client, "https://op.test/", "s-1").unwrap();
        assert_eq!(
            url,
            "https://rp.test/fc?x=1&iss=https%3A%2F%2Fop.test%2F&sid=s-1"
        );
        client.frontchannel_logout_session_required = false;
        assert_eq!(
            iframe_url(&client, "https://op.test/", "s-1").unwrap(),
            "https://rp.test/fc?x=1"
        );
        let html = page(&[url], Some("https://rp.test/bye?a=1&b=</script>"));
        assert!(html.contains("<iframe src=\"https://rp.test/fc?x=1&amp;iss="));
        assert!(!html.contains("b=</script>"));
    }
}
