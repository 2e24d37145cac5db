//! CORS (Fetch Standard §3.2, §4.8) for one listener, by the rules of `http/cors`:
//! answers preflights itself and adds `Access-Control-*` headers to actual responses
//! whose origin a rule allows. An origin no rule allows gets no CORS header, and the
//! request is handled as if it had no `Origin` (the browser then withholds the
//! response from the page). Every response of a CORS route varies by `Origin`.

use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_METHOD, HeaderMap, HeaderValue, ORIGIN, VARY,
};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};

use crate::http::cors::client_origins::ClientOrigins;
use crate::http::cors::{AuthenticatedClient, CorsPolicy, Route, normalized_origin};
use crate::state::AppState;

/// What the middleware of one listener needs: its policy and how it routes paths.
pub struct ListenerCors {
    pub policy: CorsPolicy,
    pub route: fn(&str) -> Route,
    /// Every client's origins, for preflights of [`Route::Client`] (public listener).
    pub client_origins: Option<Arc<ClientOrigins>>,
}

impl ListenerCors {
    /// Whether a preflight from `origin` to a `route` path is answered.
    async fn preflight_allowed(&self, route: Route, origin: &str) -> bool {
        match route {
            Route::None => false,
            Route::Open => true,
            _ if self.policy.configured(origin) => true,
            Route::Configured => false,
            Route::Client => match &self.client_origins {
                Some(all) => all.contains(origin).await.unwrap_or_else(|err| {
                    // Fail closed: no CORS header, and the browser refuses the call.
                    tracing::warn!(error = %err, "reading clients' CORS origins failed");
                    false
                }),
                None => false,
            },
        }
    }
}

/// Whether the actual response of a `route` path, authenticated as `client` (if any),
/// may be read by `origin`.
async fn response_allowed(
    cors: &ListenerCors,
    state: Option<&AppState>,
    route: Route,
    origin: &str,
    client: Option<AuthenticatedClient>,
) -> bool {
    match route {
        Route::None => false,
        Route::Open => true,
        _ if cors.policy.configured(origin) => true,
        Route::Configured => false,
        Route::Client => {
            let (Some(state), Some(AuthenticatedClient(id))) = (state, client) else {
                return false;
            };
            match state.clients.get_client(&id).await {
                Ok(Some(client)) => client
                    .allowed_cors_origins
                    .iter()
                    .any(|o| normalized_origin(o).as_deref() == Some(origin)),
                Ok(None) => false,
                Err(err) => {
                    tracing::warn!(error = %err, "reading a client's CORS origins failed");
                    false
                }
            }
        }
    }
}

fn vary_origin(headers: &mut HeaderMap) {
    headers.append(VARY, HeaderValue::from_static("Origin"));
}

fn allow(headers: &mut HeaderMap, origin: HeaderValue, credentials: bool) {
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if credentials {
        headers.insert(
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
}

pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let Some(cors) = req
        .app_data::<web::Data<ListenerCors>>()
        .filter(|c| c.policy.enabled)
        .cloned()
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let route = (cors.route)(req.path());
    if route == Route::None {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    // The origin as sent and as compared; `null` and garbage match nothing.
    let origin = req
        .headers()
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .and_then(|sent| normalized_origin(sent).filter(|n| n == sent));
    let Some(origin) = origin else {
        let mut response = next.call(req).await?;
        vary_origin(response.headers_mut());
        return Ok(response.map_into_left_body());
    };
    let origin_value = HeaderValue::from_str(&origin).ok();
    // Credentials make sense only where a client's own credentials are sent.
    let credentials = cors.policy.allow_credentials && route != Route::Open;
    if req.method() == Method::OPTIONS && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
    {
        let mut response = HttpResponse::NoContent();
        if let Some(value) = origin_value
            && cors.preflight_allowed(route, &origin).await
        {
            response.insert_header((ACCESS_CONTROL_ALLOW_ORIGIN, value));
            if credentials {
                response.insert_header((ACCESS_CONTROL_ALLOW_CREDENTIALS, "true"));
            }
            for (name, value) in [
                (ACCESS_CONTROL_ALLOW_METHODS, cors.policy.methods()),
                (ACCESS_CONTROL_ALLOW_HEADERS, cors.policy.headers()),
                (ACCESS_CONTROL_MAX_AGE, cors.policy.max_age()),
            ] {
                if let Some(value) = value {
                    response.insert_header((name, value.clone()));
                }
            }
        }
        response.insert_header((VARY, "Origin"));
        return Ok(req.into_response(response.finish()).map_into_right_body());
    }
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut response = next.call(req).await?;
    let client = response
        .request()
        .extensions()
        .get::<AuthenticatedClient>()
        .cloned();
    let allowed = response_allowed(
        &cors,
        state.as_deref().map(|s| &**s),
        route,
        &origin,
        client,
    )
    .await;
    let headers = response.headers_mut();
    vary_origin(headers);
    if let Some(value) = origin_value.filter(|_| allowed) {
        allow(headers, value, credentials);
        if let Some(exposed) = cors.policy.exposed() {
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, exposed.clone());
        }
    }
    Ok(response.map_into_left_body())
}
