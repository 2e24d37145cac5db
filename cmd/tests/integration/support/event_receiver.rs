//! A webhook receiver for the audit events' tests (`events_*.rs`) on 127.0.0.1: records
//! each delivery's Standard Webhooks headers and body, answers 503 while `down`, and
//! checks signatures with its own HMAC (not the server's code).

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use portunus_server::Config;
use portunus_server::config::{EventSinkConfig, WebhookSinkConfig};
use portunus_server::duration::GoDuration;
use sha2::Sha256;

pub const EVENT_SECRET: &str = "portunus-event-test-secret";

/// One delivery as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub content_type: String,
    pub body: String,
}

impl Delivery {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// The envelopes this delivery carried: one in structured mode, each element of
    /// the array in batched mode (`application/cloudevents-batch+json`).
    pub fn envelopes(&self) -> Vec<serde_json::Value> {
        match self.json() {
            serde_json::Value::Array(events) => events,
            one => vec![one],
        }
    }

    /// Whether `webhook-signature` is `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`.
    pub fn signed_with(&self, secret: &str) -> bool {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.body).as_bytes());
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        self.signature == expected
    }
}

#[derive(Clone)]
struct Flags {
    down: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
    stall: Arc<AtomicBool>,
    stalled: Arc<AtomicUsize>,
}

pub struct EventReceiver {
    pub url: String,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    pub down: Arc<AtomicBool>,
    pub refused: Arc<AtomicUsize>,
    /// While set, a delivery is held open (never answered in time): a delivery in
    /// flight when the sender is killed. `stalled` counts them.
    pub stall: Arc<AtomicBool>,
    pub stalled: Arc<AtomicUsize>,
    handle: actix_web::dev::ServerHandle,
}

impl EventReceiver {
    pub fn start() -> EventReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/events", listener.local_addr().unwrap());
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let down = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicUsize::new(0));
        let stall = Arc::new(AtomicBool::new(false));
        let stalled = Arc::new(AtomicUsize::new(0));
        let flags = Flags {
            down: down.clone(),
            refused: refused.clone(),
            stall: stall.clone(),
            stalled: stalled.clone(),
        };
        let d = deliveries.clone();
        let server = HttpServer::new(move || {
            let (d, f) = (d.clone(), flags.clone());
            App::new().route(
                "/events",
                web::post().to(move |request: HttpRequest, body: String| {
                    let (d, f) = (d.clone(), f.clone());
                    async move {
                        if f.stall.load(Ordering::SeqCst) {
                            f.stalled.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            return HttpResponse::ServiceUnavailable().finish();
                        }
                        if f.down.load(Ordering::SeqCst) {
                            let r = &f.refused;
                            r.fetch_add(1, Ordering::SeqCst);
                            return HttpResponse::ServiceUnavailable().finish();
                        }
                        let header = |name: &str| {
                            request
                                .headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        d.lock().unwrap().push(Delivery {
                            id: header("webhook-id"),
                            timestamp: header("webhook-timestamp"),
                            signature: header("webhook-signature"),
                            content_type: header("content-type"),
                            body,
                        });
                        HttpResponse::NoContent().finish()
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        EventReceiver {
            url,
            deliveries,
            down,
            refused,
            stall,
            stalled,
            handle,
        }
    }

    /// What configures a server to deliver events here, fast: polls every 50 ms,
    /// retries after 100 ms doubling to 400 ms; the guard lets this one URL through.
    pub fn configurer(&self) -> impl FnOnce(&mut Config) + 'static {
        let url = self.url.clone();
        move |config| configure(config, &url)
    }
}

/// See [`EventReceiver::configurer`].
pub fn configure(config: &mut Config, url: &str) {
    config.events.enabled = true;
    config.events.sinks = vec![EventSinkConfig::Webhook(WebhookSinkConfig {
        url: url.to_owned(),
        secret: EVENT_SECRET.to_owned(),
        timeout: GoDuration(Duration::from_secs(2)),
        batch_size: 1,
    })];
    let delivery = &mut config.events.delivery;
    delivery.poll_interval = GoDuration(Duration::from_millis(50));
    delivery.initial_backoff = GoDuration(Duration::from_millis(100));
    delivery.max_backoff = GoDuration(Duration::from_millis(400));
    config.clients.http.private_ip_exception_urls = vec![url.to_owned()];
}

impl EventReceiver {
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }

    /// Waits until `count` deliveries arrived (at most 20 s).
    pub async fn wait_for(&self, count: usize) -> Vec<Delivery> {
        for _ in 0..400 {
            let got = self.deliveries();
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{count} events did not arrive; got {:?}", self.deliveries());
    }

    /// The delivered envelopes whose `type` `wanted` accepts, once `count` of them
    /// arrived (at most 20 s), checked to be all of them: 400 ms later no more came.
    pub async fn exactly(
        &self,
        count: usize,
        wanted: impl Fn(&str) -> bool,
    ) -> Vec<serde_json::Value> {
        let ours = || -> Vec<serde_json::Value> {
            self.deliveries()
                .iter()
                .flat_map(Delivery::envelopes)
                .filter(|e| e["type"].as_str().is_some_and(&wanted))
                .collect()
        };
        for _ in 0..400 {
            if ours().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        let got = ours();
        let types: Vec<&serde_json::Value> = got.iter().map(|e| &e["type"]).collect();
        assert_eq!(got.len(), count, "{types:?}");
        got
    }
}

impl Drop for EventReceiver {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || futures::executor::block_on(handle.stop(false)));
    }
}
