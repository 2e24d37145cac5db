//! Debian's headless Chromium driven over WebDriver (`fantoccini`) through Debian's
//! `chromedriver`, which each test starts on a free loopback port in a process group of
//! its own: the browser tests of the login UI (`login_ui_browser.rs`) and of CORS
//! (`cors_browser.rs`). Runs when `PORTUNUS_TEST_CHROMEDRIVER` names the chromedriver
//! binary; when it is set, a browser that cannot start is a failure, never a skip.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub const CHROMEDRIVER_VAR: &str = "PORTUNUS_TEST_CHROMEDRIVER";
pub const SCREENSHOTS_VAR: &str = "PORTUNUS_TEST_SCREENSHOTS";

/// How long a page may take to appear: generous, the CI machine is small and shared.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(30);

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver and the Chromium it starts, in a process group of their own: killing
/// chromedriver alone would leave the browser running, so the whole group goes.
struct Chromedriver {
    child: Child,
    profile: tempfile::TempDir,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session: the WebDriver client and the driver process behind it.
pub struct Browser {
    pub client: Client,
    _driver: Chromedriver,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or `None` when
    /// `PORTUNUS_TEST_CHROMEDRIVER` is not set. Panics when it is set and the browser
    /// does not come up.
    pub async fn start() -> Option<Self> {
        let Some(binary) = std::env::var(CHROMEDRIVER_VAR)
            .ok()
            .filter(|p| !p.is_empty())
        else {
            eprintln!("not run: {CHROMEDRIVER_VAR} is not set");
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMEDRIVER_VAR}={binary} cannot be started: {e}"));
        let deadline = Instant::now() + PAGE_TIMEOUT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{CHROMEDRIVER_VAR}={binary} exited ({status})");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on 127.0.0.1:{port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let driver = Chromedriver { child, profile };
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--window-size=720,860".to_owned(),
            format!("--user-data-dir={}", driver.profile.path().display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"args": args},
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("no browser session from {binary}: {e}"));
        Some(Self {
            client,
            _driver: driver,
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    /// Waits until the browser is at a URL starting with `prefix` and returns it.
    pub async fn wait_for_url(&self, prefix: &str) -> String {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            let url = self.url().await;
            if url.starts_with(prefix) {
                return url;
            }
            assert!(
                Instant::now() < deadline,
                "the browser is at {url}, not {prefix}…:\n{}",
                self.client.source().await.unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(PAGE_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!(
                "no {css} on {}: {e}\n{}",
                self.url().await,
                self.client.source().await.unwrap_or_default()
            ),
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Waits until the text of `css` contains `needle` and returns that text. A form
    /// post that redirects to a URL with the same prefix leaves the old page in place
    /// for a moment: its element can go stale between finding and reading it.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in {css} on {}:\n{}",
                self.url().await,
                self.client.source().await.unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.find(css).await.send_keys(text).await.unwrap();
    }

    /// Saves the page as `<PORTUNUS_TEST_SCREENSHOTS>/<name>.png` when that is set.
    pub async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os(SCREENSHOTS_VAR) else {
            return;
        };
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }

    /// Ends the session (chromedriver closes Chromium); the driver process goes on drop.
    pub async fn close(self) {
        self.client.close().await.unwrap();
    }
}
