//! The look of every login UI page (issue 22 §1, docs/login-ui.md): the configured
//! branding (`login_ui.branding`), the stylesheet in the primary colour (or the
//! override directory's `style.css`), and the template overrides
//! (`login_ui.templates_dir`). Built once at startup from the validated configuration.

use serde::Serialize;

use super::overrides::Overrides;
use crate::config::LoginUiConfig;
use crate::html::origin_source;

/// The product name when none is configured.
pub const DEFAULT_PRODUCT_NAME: &str = "Portunus";
/// The primary colour when none is configured; the one place it appears in `STYLE`.
pub const DEFAULT_PRIMARY_COLOR: &str = "#2456d6";

/// The built-in stylesheet, inline and allowed by its hash.
const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}\
main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.5rem;\
box-shadow:0 1px 3px rgba(0,0,0,.15)}h1{font-size:1.4rem;margin-top:0}\
label{display:block;margin:.8rem 0 .3rem}input[type=text],input:not([type]),\
input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}\
.check{display:flex;gap:.5rem;align-items:baseline;margin:.5rem 0}.check label{margin:0}\
fieldset{border:1px solid #ccd;border-radius:.3rem}.actions{display:flex;gap:.5rem;margin-top:1.2rem}\
button{padding:.55rem 1.2rem;font-size:1rem;border:0;border-radius:.3rem;background:#2456d6;color:#fff}\
button.secondary{background:#e3e6ec;color:#1d2330}.error{color:#a4161a;font-weight:600}\
.logo{max-height:3rem}.brand{display:flex;align-items:center;gap:.6rem;margin-bottom:1rem;\
font-weight:600;color:#4a5264}.brand img{max-height:2.2rem}.providers a{display:block;margin:.5rem 0;padding:.55rem;\
border:1px solid #ccd;border-radius:.3rem;text-align:center;color:#1d2330;text-decoration:none}.links a{margin-right:1rem}pre{overflow-x:auto;font-size:.85rem}";

/// The branding values every page gets (`branding` in a template's context).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrandingView {
    pub product_name: String,
    pub logo_url: Option<String>,
    pub primary_color: String,
}

impl Default for BrandingView {
    fn default() -> Self {
        Self {
            product_name: DEFAULT_PRODUCT_NAME.into(),
            logo_url: None,
            primary_color: DEFAULT_PRIMARY_COLOR.into(),
        }
    }
}

/// What every page wears: filled in from the `Look` when the page is rendered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chrome {
    /// The stylesheet (written unescaped into `<style>`; allowed by its hash).
    pub style: String,
    pub branding: BrandingView,
}

impl Default for Chrome {
    fn default() -> Self {
        Self {
            style: STYLE.into(),
            branding: BrandingView::default(),
        }
    }
}

/// The look of the pages of one server.
#[derive(Debug, Default)]
pub struct Look {
    pub chrome: Chrome,
    /// The logo's origin, for `img-src`.
    pub logo_source: Option<String>,
    pub overrides: Option<Overrides>,
}

/// The configuration problem of `config.templates_dir`, if any: every override is
/// compiled and test-rendered before the server starts (`Application::build`), so a
/// broken one stops startup naming its file.
pub fn check(config: &LoginUiConfig) -> Result<(), crate::config::ConfigError> {
    match &config.templates_dir {
        Some(dir) => Overrides::load(dir).map(|_| ()).map_err(|message| {
            crate::config::ConfigError::Invalid {
                key: "login_ui.templates_dir".into(),
                message,
            }
        }),
        None => Ok(()),
    }
}

impl Look {
    /// The look `config` asks for. `check` loaded the overrides once already, so a
    /// directory that fails now (changed since) is logged and the built-in pages are
    /// served.
    pub fn from_config(config: &LoginUiConfig) -> Self {
        let branding = &config.branding;
        let primary = branding
            .primary_color
            .clone()
            .filter(|c| crate::config::is_colour(c))
            .unwrap_or_else(|| DEFAULT_PRIMARY_COLOR.into());
        let overrides = config.templates_dir.as_ref().and_then(|dir| {
            Overrides::load(dir)
                .inspect_err(|err| {
                    tracing::error!(error = %err, "login_ui.templates_dir: using the built-in pages");
                })
                .ok()
        });
        let style = overrides
            .as_ref()
            .and_then(|o| o.style().map(str::to_owned))
            .unwrap_or_else(|| STYLE.replacen(DEFAULT_PRIMARY_COLOR, &primary, 1));
        let logo_url = branding.logo_url.clone();
        Self {
            logo_source: logo_url.as_deref().and_then(origin_source),
            chrome: Chrome {
                style,
                branding: BrandingView {
                    product_name: branding
                        .product_name
                        .clone()
                        .unwrap_or_else(|| DEFAULT_PRODUCT_NAME.into()),
                    logo_url,
                    primary_color: primary,
                },
            },
            overrides,
        }
    }
}
