//! The ceiling of the benchmark: what actix-web itself serves on this machine with the
//! same load generator and settings. `GET /json` and `POST /form` (which reads a small
//! urlencoded body, as the token endpoint does) both answer a fixed 1 KB JSON body.
//! `POST /hook` reads a JSON body and answers 204: the token hook of the `cc_hook`
//! scenario (Hydra's `oauth2.token_hook`, keeping the claims) and the webhook receiver
//! of the `cc_events` scenario (one event, or a batch as a JSON array).
//!
//! Usage: `ceiling [PORT]` (default 8080), on 127.0.0.1, one worker per core as
//! Portunus's listeners.

use actix_web::{App, HttpResponse, HttpServer, web};

fn body() -> &'static str {
    static BODY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BODY.get_or_init(|| {
        // {"data":"xxxx…"} padded to exactly 1024 bytes.
        let filler = "x".repeat(1024 - r#"{"data":""}"#.len());
        format!(r#"{{"data":"{filler}"}}"#)
    })
}

async fn json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body())
}

async fn form(payload: web::Bytes) -> HttpResponse {
    // Touch the body so the request is fully read and parsed like a form post.
    let fields = payload.split(|b| *b == b'&').count();
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("x-fields", fields.to_string()))
        .body(body())
}

async fn hook(payload: web::Bytes) -> HttpResponse {
    // Read the whole body as a real hook would before answering "keep the claims" (or,
    // as the events' webhook receiver, "taken": an object, or an array for a batch).
    if matches!(payload.first(), Some(b'{' | b'[')) {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::BadRequest().finish()
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    HttpServer::new(|| {
        App::new()
            .route("/json", web::get().to(json))
            .route("/form", web::post().to(form))
            .route("/hook", web::post().to(hook))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
