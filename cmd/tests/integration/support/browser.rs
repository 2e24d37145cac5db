//! A user agent for flow tests: follows nothing by itself, keeps cookies per host the
//! way a browser would (name=value, Max-Age=0 deletes), so each step of a login/consent
//! flow is visible and checkable.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct Browser {
    http: reqwest::Client,
    /// host → cookie name → value
    jar: Mutex<HashMap<String, HashMap<String, String>>>,
    /// Sent with every request from now on (see `send_also`).
    extra: Mutex<reqwest::header::HeaderMap>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// Cookies are per host, not per port (RFC 6265 §8.5), as in browsers: two test nodes
/// on 127.0.0.1 share them like two nodes behind one name.
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Browser {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: Mutex::default(),
            extra: Mutex::default(),
        }
    }

    /// Sends `headers` with every later request: what an attacker's user agent, or a
    /// proxy passing headers through, can add (forged `Host`, `X-Forwarded-*`).
    pub fn send_also(&self, headers: reqwest::header::HeaderMap) {
        *self.extra.lock().unwrap() = headers;
    }

    /// The value of a cookie the browser holds for `url`'s host.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar
            .lock()
            .unwrap()
            .get(&host_of(url))
            .and_then(|c| c.get(name).cloned())
    }

    pub async fn get(&self, url: &str) -> Page {
        let request = self.http.get(url);
        self.send(url, request).await
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Page {
        let request = self.http.post(url).form(form);
        self.send(url, request).await
    }

    async fn send(&self, url: &str, request: reqwest::RequestBuilder) -> Page {
        let host = host_of(url);
        let header = self
            .jar
            .lock()
            .unwrap()
            .get(&host)
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let request = request.headers(self.extra.lock().unwrap().clone());
        let request = if header.is_empty() {
            request
        } else {
            request.header("cookie", header)
        };
        let response = request.send().await.expect("request");
        for set in response.headers().get_all("set-cookie") {
            let text = set.to_str().unwrap_or_default();
            let mut parts = text.split(';').map(str::trim);
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let deleted = parts.any(|p| p.eq_ignore_ascii_case("max-age=0"));
            let mut jar = self.jar.lock().unwrap();
            let cookies = jar.entry(host.clone()).or_default();
            if deleted {
                cookies.remove(name);
            } else {
                cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            location: response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: response.text().await.unwrap_or_default(),
        }
    }
}

/// The value of query parameter `name` in `url` (or in its fragment).
pub fn param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .chain(url::form_urlencoded::parse(
            parsed.fragment().unwrap_or_default().as_bytes(),
        ))
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
