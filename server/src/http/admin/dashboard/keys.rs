//! The dashboard's JSON Web Key pages: the server's sets, the keys of a set (public
//! metadata only: kid, alg, use, kty; a private part is never put on a page), create
//! or rotate a key, delete one after a confirmation page. Each calls the `KeyManager`
//! operation the `/admin/keys` handlers call.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{Visit, error_text, refusal};
use crate::dashboard::pages::{self, KeyRow, KeySetPage, KeysPage, SetLink};
use crate::dashboard::{PREFIX, field, key_set_href, segment};
use crate::error::OAuth2Error;
use crate::http::form_body::FormPairs;
use crate::jwk::admin::CreateKeyRequest;
use crate::jwk::key::{MAX_ID_LEN, metadata_part};
use crate::jwk::{ACCESS_TOKEN_SET, ID_TOKEN_SET};
use crate::state::AppState;

/// The algorithms the create form offers (the `KeyManager` generates each).
const ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    "HS256", "HS384", "HS512",
];

/// `GET /admin/ui/keys[?set=…]`: the server's own sets, or on to the set asked for.
pub async fn index(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let asked = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "set")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|s| !s.is_empty());
    if let Some(set) = asked {
        if set.len() > MAX_ID_LEN {
            return visit.error(
                400,
                "A key set name is at most 255 characters.",
                "/admin/ui/keys",
            );
        }
        return visit.redirect(&key_set_href(&set));
    }
    let sets: Vec<SetLink> = [ID_TOKEN_SET, ACCESS_TOKEN_SET]
        .iter()
        .map(|name| SetLink {
            name: (*name).to_owned(),
            href: key_set_href(name),
        })
        .collect();
    let chrome = visit.chrome("JSON Web Keys");
    visit.page(pages::render(
        &KeysPage {
            chrome: &chrome,
            sets: &sets,
            error: None,
        },
        200,
    ))
}

/// The page of `set` with `status`, a notice or an error.
async fn set_page(
    state: &AppState,
    visit: &Visit,
    set: &str,
    status: u16,
    notice: Option<&str>,
    error: Option<&str>,
) -> HttpResponse {
    let mut status = status;
    let mut load_error = None;
    let keys = match state.key_manager.get_key_set(set).await {
        Ok(found) => found.keys,
        Err(err) => {
            let err = OAuth2Error::from(err);
            // An unknown set is an empty one: the form below creates it.
            if err.kind != crate::error::ErrorKind::NotFound {
                let (code, text) = error_text(&err);
                status = code;
                load_error = Some(text);
            }
            Vec::new()
        }
    };
    let rows: Vec<KeyRow> = keys
        .iter()
        .map(metadata_part)
        .map(|key| {
            let kid = key.kid.clone().unwrap_or_default();
            KeyRow {
                delete_href: format!("{}/{}/delete", key_set_href(set), segment(&kid)),
                kid,
                alg: key.alg.clone().unwrap_or_default(),
                use_: key.use_.clone().unwrap_or_default(),
                kty: key.kty.clone(),
            }
        })
        .collect();
    let action = key_set_href(set);
    let chrome = visit.chrome(&format!("Key set {set}"));
    visit.page(pages::render(
        &KeySetPage {
            chrome: &chrome,
            set,
            keys: &rows,
            action: &action,
            algorithms: ALGORITHMS,
            notice,
            error: error.or(load_error.as_deref()),
        },
        status,
    ))
}

/// `GET /admin/ui/keys/{set}`: the set's keys and the create form.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    set: web::Path<String>,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let notice = match req.query_string() {
        "created" => Some("The key was created."),
        "deleted" => Some("The key was deleted."),
        _ => None,
    };
    set_page(&state, &visit, &set, 200, notice, None).await
}

/// `POST /admin/ui/keys/{set}`: generates a key in the set (`KeyManager::create_key`,
/// rotation when the set has keys of that use).
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    set: web::Path<String>,
    form: FormPairs,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let request = CreateKeyRequest {
        alg: field(&form.0, "alg").to_owned(),
        kid: field(&form.0, "kid").trim().to_owned(),
        use_: field(&form.0, "use").to_owned(),
    };
    match state.key_manager.create_key(&set, &request).await {
        // The answer holds the private key: it is dropped here, never shown.
        Ok(_) => visit.redirect(&format!("{}?created", key_set_href(&set))),
        Err(err) => {
            let (status, text) = error_text(&OAuth2Error::from(err));
            set_page(&state, &visit, &set, status, None, Some(&text)).await
        }
    }
}

/// `GET /admin/ui/keys/{set}/{kid}/delete`: asks before deleting.
pub async fn confirm_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if !visit.allowed {
        return visit.refused(false);
    }
    let (set, kid) = path.into_inner();
    let message = format!(
        "Delete the key {kid:?} of set {set:?}? Tokens it signed no longer verify once it is gone."
    );
    let action = format!("{}/{}/delete", key_set_href(&set), segment(&kid));
    let cancel = key_set_href(&set);
    visit.confirm("Delete key", &message, &action, &cancel)
}

/// `POST /admin/ui/keys/{set}/{kid}/delete`: deletes the key (`KeyManager::delete_key`).
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: FormPairs,
) -> HttpResponse {
    let visit = Visit::of(&state, &req);
    if let Some(refused) = refusal(&state, &visit, &form.0) {
        return refused;
    }
    let (set, kid) = path.into_inner();
    match state.key_manager.delete_key(&set, &kid).await {
        Ok(()) => visit.redirect(&format!("{}?deleted", key_set_href(&set))),
        Err(err) => {
            let (status, text) = error_text(&OAuth2Error::from(err));
            visit.error(status, &text, &format!("{PREFIX}/keys"))
        }
    }
}
