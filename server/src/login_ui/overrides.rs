//! `login_ui.templates_dir` (issue 22 §1, docs/login-ui.md): the operator's own
//! templates for some pages of the login UI. askama compiles the built-in templates
//! into the binary, so overrides use a runtime engine, minijinja, and only for the
//! pages the directory has a file of the same name for. Every file is read, compiled
//! and test-rendered at startup (a broken override stops startup with its file name and
//! the engine's message, never a 500 later); HTML auto-escaping is on for every one;
//! templates cannot read files or include each other (no loader).
//!
//! Each override gets the same values as the built-in template (`pages::LoginPage`
//! and the others, serialized), plus `style` and `branding` (`look::Chrome`).

use std::fmt;
use std::path::Path;

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Value};
use serde::Serialize;

use super::pages::{BuiltIn, ConsentPage, DevicePage, ErrorPage, LoginPage, LogoutPage, ScopeView};

/// The pages that can be overridden.
pub const PAGES: [&str; 5] = [
    LoginPage::NAME,
    ConsentPage::NAME,
    LogoutPage::NAME,
    DevicePage::NAME,
    ErrorPage::NAME,
];
/// The stylesheet replacing the built-in one when the directory has it.
pub const STYLE_FILE: &str = "style.css";
/// Largest accepted template or stylesheet file.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

/// The overrides of one directory.
pub struct Overrides {
    env: Environment<'static>,
    names: Vec<&'static str>,
    style: Option<String>,
}

impl fmt::Debug for Overrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Overrides")
            .field("pages", &self.names)
            .field("style", &self.style.is_some())
            .finish()
    }
}

impl Overrides {
    /// The overrides in `dir`, each compiled and test-rendered; the message of the
    /// first problem, naming its file, otherwise.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let shown = dir.display();
        let entries =
            std::fs::read_dir(dir).map_err(|err| format!("cannot read {shown}: {err}"))?;
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        let mut names = Vec::new();
        let mut style = None;
        for entry in entries {
            let entry = entry.map_err(|err| format!("cannot read {shown}: {err}"))?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name == STYLE_FILE {
                let css = read_bounded(&entry.path())?;
                // Written unescaped into <style>: it must not be able to close it.
                if css.to_ascii_lowercase().contains("</") {
                    return Err(format!("{file_name}: must not contain \"</\""));
                }
                style = Some(css);
                continue;
            }
            if !file_name.ends_with(".html") {
                continue;
            }
            let Some(name) = PAGES.iter().copied().find(|p| *p == file_name) else {
                return Err(format!(
                    "{file_name}: not a page of the login UI (one of {})",
                    PAGES.join(", ")
                ));
            };
            let source = read_bounded(&entry.path())?;
            env.add_template_owned(name, source)
                .map_err(|err| format!("{file_name}: {}", describe(&err)))?;
            names.push(name);
        }
        names.sort_unstable();
        let overrides = Self { env, names, style };
        overrides.test_render()?;
        Ok(overrides)
    }

    /// The override's stylesheet, if the directory has one.
    pub fn style(&self) -> Option<&str> {
        self.style.as_deref()
    }

    /// The override of `name` rendered with `page`'s values; `None` when there is none.
    pub fn render(
        &self,
        name: &str,
        page: &impl Serialize,
    ) -> Option<Result<String, minijinja::Error>> {
        if !self.names.contains(&name) {
            return None;
        }
        Some(
            self.env
                .get_template(name)
                .and_then(|t| t.render(Value::from(Serde(page)))),
        )
    }

    /// Renders every override once with sample values, so errors that only show when
    /// rendering (an unknown filter, a call on a missing value) stop startup too.
    fn test_render(&self) -> Result<(), String> {
        let error = Some("Sample error".to_owned());
        let samples: [(&str, Value); 5] = [
            (
                LoginPage::NAME,
                serde_value(LoginPage {
                    error: error.clone(),
                    providers: vec![Default::default()],
                    ..Default::default()
                }),
            ),
            (
                ConsentPage::NAME,
                serde_value(ConsentPage {
                    logo_uri: Some("https://client.example/logo.png".into()),
                    policy_uri: Some("https://client.example/policy".into()),
                    tos_uri: Some("https://client.example/tos".into()),
                    signed_in_as: Some("user".into()),
                    scopes: vec![ScopeView::default()],
                    audiences: vec!["https://api.example".into()],
                    ..Default::default()
                }),
            ),
            (
                LogoutPage::NAME,
                serde_value(LogoutPage {
                    client_name: Some("Client".into()),
                    ..Default::default()
                }),
            ),
            (
                DevicePage::NAME,
                serde_value(DevicePage {
                    error,
                    ..Default::default()
                }),
            ),
            (ErrorPage::NAME, serde_value(ErrorPage::default())),
        ];
        for (name, sample) in samples {
            if let Some(Err(err)) = self.names.contains(&name).then(|| {
                self.env
                    .get_template(name)
                    .and_then(|t| t.render(sample.clone()))
            }) {
                return Err(format!("{name}: {}", describe(&err)));
            }
        }
        Ok(())
    }
}

fn serde_value(page: impl Serialize) -> Value {
    Value::from(Serde(page))
}

/// The engine's message with its line, when it knows one.
fn describe(err: &minijinja::Error) -> String {
    match err.line() {
        Some(line) => format!("line {line}: {err}"),
        None => err.to_string(),
    }
}

fn read_bounded(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|err| format!("cannot read {shown}: {err}"))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!("{shown}: larger than {MAX_FILE_BYTES} bytes"));
    }
    std::fs::read_to_string(path).map_err(|err| format!("cannot read {shown}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login_ui::look::Look;
    use crate::login_ui::pages::{self, View};

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    const LOGIN: &str = "<title>{{ title }} at {{ branding.product_name }}</title>\
        <style>{{ style|safe }}</style><h1>Welcome to {{ client_name }}</h1>\
        {% if error %}<p>{{ error }}</p>{% endif %}\
        <form method=post action=\"{{ action }}\">\
        <input type=hidden name=login_challenge value=\"{{ challenge }}\">\
        <input type=hidden name=csrf_token value=\"{{ csrf_token }}\"></form>\
        {% for p in providers %}<a href=\"{{ p.href }}\">{{ p.label }}</a>{% endfor %}";

    #[test]
    fn an_override_replaces_its_page_only_and_escapes_every_value() {
        let dir = dir_with(&[("login.html", LOGIN), ("notes.txt", "ignored")]);
        let overrides = Overrides::load(dir.path()).unwrap();
        let look = Look {
            overrides: Some(overrides),
            ..Look::default()
        };
        let evil = "<script>x</script>\"";
        let login = pages::page(
            View::Login(pages::LoginPage {
                title: "Sign in".into(),
                action: "/ui/login".into(),
                client_name: evil.into(),
                challenge: "the-challenge".into(),
                csrf_token: "the-token".into(),
                error: Some(evil.into()),
                providers: vec![pages::ProviderButton {
                    label: evil.into(),
                    href: "/auth/login/x?a=1&b=2".into(),
                }],
                ..Default::default()
            }),
            200,
            Vec::new(),
            None,
        )
        .html(&look);
        assert!(
            login.body.starts_with("<title>Sign in at Portunus</title>"),
            "{}",
            login.body
        );
        assert!(
            login
                .body
                .contains("Welcome to &lt;script&gt;x&lt;&#x2f;script&gt;&quot;"),
            "{}",
            login.body
        );
        assert!(!login.body.contains("<script>"), "{}", login.body);
        assert!(login.body.contains("value=\"the-challenge\""));
        assert!(login.body.contains("value=\"the-token\""));
        assert!(
            login
                .body
                .contains("href=\"&#x2f;auth&#x2f;login&#x2f;x?a=1&amp;b=2\""),
            "{}",
            login.body
        );
        assert!(
            login.body.contains(&look.chrome.style),
            "the stylesheet its policy allows"
        );
        // Pages without an override keep the built-in template.
        let error = pages::error(400, "invalid_request", "Bad").html(&look);
        assert!(
            error.body.contains("<code>invalid_request</code>"),
            "{}",
            error.body
        );
    }

    #[test]
    fn a_broken_override_is_refused_at_load_naming_its_file() {
        let dir = dir_with(&[("consent.html", "<p>{% if scopes %}unclosed")]);
        let err = Overrides::load(dir.path()).unwrap_err();
        assert!(err.starts_with("consent.html: line 1:"), "{err}");

        let dir = dir_with(&[("error.html", "{{ message|no_such_filter }}")]);
        let err = Overrides::load(dir.path()).unwrap_err();
        assert!(err.starts_with("error.html:"), "{err}");
        assert!(err.contains("no_such_filter"), "{err}");

        let dir = dir_with(&[("signin.html", "x")]);
        let err = Overrides::load(dir.path()).unwrap_err();
        assert!(
            err.contains("signin.html: not a page of the login UI"),
            "{err}"
        );

        let dir = dir_with(&[("style.css", "p{}</STYLE><script>")]);
        assert!(
            Overrides::load(dir.path())
                .unwrap_err()
                .starts_with("style.css:")
        );

        let missing = Overrides::load(Path::new("/nonexistent/portunus-templates")).unwrap_err();
        assert!(
            missing.starts_with("cannot read /nonexistent/portunus-templates"),
            "{missing}"
        );
    }

    #[test]
    fn the_directory_stylesheet_replaces_the_built_in_one_and_the_policy_follows() {
        let dir = dir_with(&[("style.css", "body{color:#123}")]);
        let look = Look::from_config(&crate::config::LoginUiConfig {
            templates_dir: Some(dir.path().to_owned()),
            ..Default::default()
        });
        assert_eq!(look.chrome.style, "body{color:#123}");
        let html = pages::notice("Hi", "there").html(&look);
        assert!(html.body.contains("<style>body{color:#123}</style>"));
        assert!(
            html.csp
                .contains(&crate::html::script_hash_source("body{color:#123}"))
        );
    }

    #[test]
    fn a_broken_directory_is_a_configuration_problem() {
        let dir = dir_with(&[("login.html", "{% for %}")]);
        let config = crate::config::LoginUiConfig {
            templates_dir: Some(dir.path().to_owned()),
            ..Default::default()
        };
        let message = crate::login_ui::look::check(&config)
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("configuration key `login_ui.templates_dir`: login.html: line 1:"),
            "{message}"
        );
        assert!(crate::login_ui::look::check(&Default::default()).is_ok());
    }
}
