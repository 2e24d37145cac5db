//! JSON bodies end with a newline on both listeners, as Hydra's do (Go's `json.Encoder`
//! writes one): `curl` output then ends on its own line, and line-oriented tools see a
//! complete last line. Only complete in-memory bodies are touched; streams pass as they
//! are.

use actix_web::body::{BodySize, EitherBody, MessageBody, to_bytes};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{Error, web};

fn is_json(value: &[u8]) -> bool {
    value.starts_with(b"application/json")
}

pub async fn json_newline(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let response = next.call(req).await?;
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| is_json(v.as_bytes()));
    let sized = matches!(response.response().body().size(), BodySize::Sized(n) if n > 0);
    if !(json && sized) {
        return Ok(response.map_into_left_body());
    }
    let (req, res) = response.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = to_bytes(body).await.map_err(|e| {
        let e: Box<dyn std::error::Error> = e.into();
        actix_web::error::ErrorInternalServerError(e.to_string())
    })?;
    let body = if bytes.ends_with(b"\n") {
        bytes
    } else {
        let mut with_newline = Vec::with_capacity(bytes.len().saturating_add(1));
        with_newline.extend_from_slice(&bytes);
        with_newline.push(b'\n');
        web::Bytes::from(with_newline)
    };
    head.headers_mut().remove(CONTENT_LENGTH);
    Ok(ServiceResponse::new(req, head.set_body(body).map_into_boxed_body()).map_into_right_body())
}
