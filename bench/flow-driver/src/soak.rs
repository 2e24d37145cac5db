//! `--mode soak`: a long run of a mixed workload at a fixed fraction of its peak, to see
//! whether the server drifts (memory, latency, errors) while its janitor deletes what
//! the load leaves behind (issue 20).
//!
//! The mix is one fixed cycle of twenty tickets, ticket `n` running `MIX[n % 20]`: one
//! complete authorization-code flow, three refreshes, six client_credentials token
//! requests and ten introspections. That is roughly a deployment's shape: people sign
//! in now and then, their apps refresh a few times per sign-in, and services ask for
//! tokens and have resource servers introspect them far more often.
//!
//! - flow: `crate::flow`; its refresh token becomes the worker's session, replacing the
//!   one before (a user signing in again; the old chain is left to expire).
//! - refresh: the worker's refresh token, replaced by the one the refresh returns
//!   (rotation); a worker without one signs in first, inside the same operation.
//! - client_credentials: `--cc-client-id`/`--cc-client-secret`, `scope=api`; the access
//!   token becomes the worker's token to introspect.
//! - introspection: the worker's latest client_credentials token at the admin
//!   introspection endpoint, which must answer `active: true`; a token older than 30 s
//!   (or none) is replaced by a new one first, inside the same operation, so that a
//!   short `ttl.access_token` cannot turn the check into a false error.
//!
//! Phases: `--warmup` seconds closed-loop (not counted), `--calibrate` seconds
//! closed-loop (every worker back to back): the peak rate of the mix; then `--duration`
//! seconds open-loop at `--fraction` × peak: a dispatcher schedules ticket `n` at
//! `start + n / rate` and hands it to the next free worker. Latency is measured from
//! the ticket's scheduled time, so a server that falls behind shows as latency (the
//! queue's wait included) rather than as a lower request rate (no coordinated
//! omission). The paced run is cut into windows of `--window` seconds by scheduled time,
//! each with its operations, errors and p50/p99.
//!
//! Every error counts, from the warm-up on: an unexpected status, a missing field, a
//! failed check.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::{Options, Route, flow, introspect, percentile, refresh};

/// The operations of the mix.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Flow,
    Refresh,
    ClientCredentials,
    Introspection,
}

const OPS: [Op; 4] = [
    Op::Flow,
    Op::Refresh,
    Op::ClientCredentials,
    Op::Introspection,
];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Flow => "flow",
            Op::Refresh => "refresh",
            Op::ClientCredentials => "client_credentials",
            Op::Introspection => "introspection",
        }
    }

    fn index(self) -> usize {
        match self {
            Op::Flow => 0,
            Op::Refresh => 1,
            Op::ClientCredentials => 2,
            Op::Introspection => 3,
        }
    }
}

use Op::{ClientCredentials as C, Flow as F, Introspection as I, Refresh as R};

/// One cycle of the mix: 1 flow, 3 refreshes, 6 client_credentials, 10 introspections,
/// interleaved so that any stretch of tickets has about the same shape.
const MIX: [Op; 20] = [F, I, C, I, R, I, C, I, C, I, R, I, C, I, C, I, R, I, C, I];

fn op_of(ticket: u64) -> Op {
    MIX[(ticket % MIX.len() as u64) as usize]
}

/// An introspected token older than this is replaced first (see the module's text).
const TOKEN_MAX_AGE: Duration = Duration::from_secs(30);

/// What a worker carries from one operation to the next, as one user and one service.
#[derive(Default)]
struct Session {
    refresh_token: Option<String>,
    access_token: Option<(String, Instant)>,
}

/// A client_credentials token request of the cc client (RFC 6749 §4.4).
async fn client_credentials(client: &Client, o: &Options) -> Result<String, String> {
    let response = client
        .post(format!("{}/oauth2/token", o.public))
        .basic_auth(&o.cc_client_id, Some(&o.cc_client_secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "api")])
        .send()
        .await
        .map_err(|e| format!("POST /oauth2/token (client_credentials): {e}"))?;
    let status = response.status();
    let value: Value = response
        .json()
        .await
        .map_err(|e| format!("client_credentials response: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!(
            "POST /oauth2/token (client_credentials): {status} {value}"
        ));
    }
    value["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or(format!(
            "client_credentials response without access_token: {value}"
        ))
}

async fn run_op(client: &Client, o: &Options, op: Op, s: &mut Session) -> Result<(), String> {
    match op {
        Op::Flow => s.refresh_token = Some(flow(client, o, Route::single()).await?),
        Op::Refresh => {
            // Taken: after a failed refresh the worker signs in again.
            let next = match s.refresh_token.take() {
                Some(rt) => refresh(client, o, &rt).await?,
                None => flow(client, o, Route::single()).await?,
            };
            s.refresh_token = Some(next);
        }
        Op::ClientCredentials => {
            s.access_token = Some((client_credentials(client, o).await?, Instant::now()));
        }
        Op::Introspection => {
            let token = match &s.access_token {
                Some((token, at)) if at.elapsed() < TOKEN_MAX_AGE => token.clone(),
                _ => {
                    let token = client_credentials(client, o).await?;
                    s.access_token = Some((token.clone(), Instant::now()));
                    token
                }
            };
            if !introspect(client, o, 0, &token).await? {
                return Err("introspection: a fresh access token is inactive".into());
            }
        }
    }
    Ok(())
}

/// Errors of every phase; the first few are printed.
#[derive(Default)]
struct Errors {
    total: AtomicU64,
    printed: AtomicU64,
}

impl Errors {
    fn add(&self, op: Op, error: &str) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if self.printed.fetch_add(1, Ordering::Relaxed) < 5 {
            eprintln!("flow-driver soak: {}: {error}", op.name());
        }
    }
}

/// The closed-loop phases' state, shared by the workers.
#[derive(Default)]
struct ClosedLoop {
    next_ticket: AtomicU64,
    stop: AtomicBool,
    counting: AtomicBool,
    succeeded: AtomicU64,
    failed: AtomicU64,
}

async fn closed_worker(
    client: Client,
    o: Arc<Options>,
    state: Arc<ClosedLoop>,
    errors: Arc<Errors>,
) -> Session {
    let mut session = Session::default();
    while !state.stop.load(Ordering::Relaxed) {
        let op = op_of(state.next_ticket.fetch_add(1, Ordering::Relaxed));
        let result = run_op(&client, &o, op, &mut session).await;
        let counting = state.counting.load(Ordering::Relaxed);
        match result {
            Ok(()) if counting => {
                state.succeeded.fetch_add(1, Ordering::Relaxed);
            }
            Ok(()) => {}
            Err(e) => {
                if counting {
                    state.failed.fetch_add(1, Ordering::Relaxed);
                }
                errors.add(op, &e);
            }
        }
    }
    session
}

/// Latencies (µs) and errors of one part of the paced run.
#[derive(Default, Clone)]
struct Tally {
    latencies: Vec<u32>,
    errors: u64,
}

impl Tally {
    fn summary(&mut self) -> Value {
        self.latencies.sort_unstable();
        json!({
            "ops": self.latencies.len() as u64 + self.errors,
            "errors": self.errors,
            "p50_ms": percentile(&self.latencies, 50.0),
            "p99_ms": percentile(&self.latencies, 99.0),
        })
    }
}

/// The paced run's record: one tally per window, one per operation.
struct Paced {
    windows: Vec<Tally>,
    ops: [Tally; 4],
}

/// A ticket of the paced run: its number and the moment it was due.
type Ticket = (u64, Instant);

async fn paced_worker(
    client: Client,
    o: Arc<Options>,
    mut session: Session,
    tickets: Arc<tokio::sync::Mutex<mpsc::Receiver<Ticket>>>,
    start: Instant,
    record: Arc<Mutex<Paced>>,
    errors: Arc<Errors>,
) {
    loop {
        // The lock is held only while waiting for the next ticket.
        let next = tickets.lock().await.recv().await;
        let Some((ticket, due)) = next else { break };
        let op = op_of(ticket);
        let result = run_op(&client, &o, op, &mut session).await;
        let micros = u32::try_from(due.elapsed().as_micros()).unwrap_or(u32::MAX);
        let window = (due.duration_since(start).as_secs_f64() / o.window) as usize;
        if let Err(e) = &result {
            errors.add(op, e);
        }
        let Ok(mut r) = record.lock() else { break };
        let Paced { windows, ops } = &mut *r;
        for tally in [ops.get_mut(op.index()), windows.get_mut(window)]
            .into_iter()
            .flatten()
        {
            match result {
                Ok(()) => tally.latencies.push(micros),
                Err(_) => tally.errors += 1,
            }
        }
    }
}

/// Hands out ticket `n` at `start + n / rate` for `duration` seconds.
async fn dispatch(tx: mpsc::Sender<Ticket>, start: Instant, rate: f64, duration: f64) {
    let total = (duration * rate).floor() as u64;
    for n in 0..total {
        let due = start + Duration::from_secs_f64(n as f64 / rate);
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        if tx.send((n, due)).await.is_err() {
            break;
        }
    }
}

/// Wall time, for `bench/run` to line its RSS samples up with the paced run.
#[expect(
    clippy::disallowed_methods,
    reason = "a benchmark tool, not the server: no Clock to take it from"
)]
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Runs the soak and prints its JSON line.
pub async fn run(client: Client, o: Arc<Options>) {
    let errors = Arc::new(Errors::default());

    // Warm-up and calibration, closed loop.
    let closed = Arc::new(ClosedLoop::default());
    let workers: Vec<_> = (0..o.concurrency)
        .map(|_| {
            tokio::spawn(closed_worker(
                client.clone(),
                o.clone(),
                closed.clone(),
                errors.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(o.warmup)).await;
    closed.counting.store(true, Ordering::Relaxed);
    let calibration_start = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(o.calibrate)).await;
    closed.counting.store(false, Ordering::Relaxed);
    let calibration_s = calibration_start.elapsed().as_secs_f64();
    closed.stop.store(true, Ordering::Relaxed);
    let mut sessions = Vec::new();
    for handle in workers {
        match handle.await {
            Ok(session) => sessions.push(session),
            Err(e) => errors.add(Op::Flow, &format!("worker failed: {e}")),
        }
    }
    let calibration_ok = closed.succeeded.load(Ordering::Relaxed);
    let peak = calibration_ok as f64 / calibration_s;
    let target = peak * o.fraction;

    // The paced run, open loop.
    let windows = (o.duration / o.window).ceil().max(1.0) as usize;
    let record = Arc::new(Mutex::new(Paced {
        windows: vec![Tally::default(); windows],
        ops: Default::default(),
    }));
    let (tx, rx) = mpsc::channel::<Ticket>(o.concurrency * 4);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let errors_before = errors.total.load(Ordering::Relaxed);
    let paced_started_unix = unix_now();
    let start = Instant::now();
    let workers: Vec<_> = sessions
        .into_iter()
        .map(|session| {
            tokio::spawn(paced_worker(
                client.clone(),
                o.clone(),
                session,
                rx.clone(),
                start,
                record.clone(),
                errors.clone(),
            ))
        })
        .collect();
    if target > 0.0 {
        dispatch(tx, start, target, o.duration).await;
    } else {
        drop(tx);
        errors.add(Op::Flow, "calibration completed no operation");
    }
    for handle in workers {
        if let Err(e) = handle.await {
            errors.add(Op::Flow, &format!("worker failed: {e}"));
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let paced_errors = errors.total.load(Ordering::Relaxed) - errors_before;

    let Ok(mut r) = record.lock() else {
        eprintln!("flow-driver soak: the record's lock was poisoned");
        std::process::exit(1);
    };
    let mut all: Vec<u32> = r.ops.iter().flat_map(|t| t.latencies.clone()).collect();
    all.sort_unstable();
    let completed = all.len();
    let window_rows: Vec<Value> = r
        .windows
        .iter_mut()
        .enumerate()
        .map(|(i, t)| {
            let mut row = t.summary();
            let from = i as f64 * o.window;
            row["start_s"] = json!(from);
            row["seconds"] = json!((o.duration - from).min(o.window));
            row
        })
        .collect();
    let mut per_op = serde_json::Map::new();
    for op in OPS {
        if let Some(t) = r.ops.get_mut(op.index()) {
            per_op.insert(op.name().into(), t.summary());
        }
    }
    let mut mix = serde_json::Map::new();
    for op in OPS {
        mix.insert(
            op.name().into(),
            json!(MIX.iter().filter(|m| **m == op).count()),
        );
    }
    let result = json!({
        "mode": "soak",
        "concurrency": o.concurrency,
        "mix": mix,
        "calibration_s": calibration_s,
        "calibration_errors": closed.failed.load(Ordering::Relaxed),
        "peak_rate": peak,
        "fraction": o.fraction,
        "target_rate": target,
        "duration_s": elapsed,
        "paced_started_unix": paced_started_unix,
        "completed": completed,
        "rate": completed as f64 / elapsed,
        "p50_ms": percentile(&all, 50.0),
        "p99_ms": percentile(&all, 99.0),
        "paced_errors": paced_errors,
        "errors": errors.total.load(Ordering::Relaxed),
        "window_s": o.window,
        "windows": window_rows,
        "ops": per_op,
    });
    println!("{result}");
}
