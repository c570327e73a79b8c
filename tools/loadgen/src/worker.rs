//! One worker: one connection, one request in flight at a time, for as long as the run lasts.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::Conn;

/// What every worker reads; built once before the run.
pub(crate) struct Plan {
    pub addr: SocketAddr,
    pub request: Vec<u8>,
    pub timeout: Duration,
    /// Requests sent before this are warm-up: sent, not recorded.
    pub measure_from: Instant,
    /// No request starts after this (duration mode).
    pub deadline: Option<Instant>,
    /// Measured requests still to start (requests mode).
    pub budget: Option<AtomicU64>,
}

impl Plan {
    /// Whether another request may start now, taking it from the budget if there is one.
    fn may_start(&self, now: Instant) -> bool {
        if now < self.measure_from {
            return true;
        }
        if self.deadline.is_some_and(|deadline| now >= deadline) {
            return false;
        }
        match &self.budget {
            Some(budget) => budget
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok(),
            None => true,
        }
    }
}

/// A worker's measurements, merged by the caller at the end.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Latency of each 2xx response, microseconds.
    pub latencies_us: Vec<u32>,
    /// Time to the first `data:` of each 2xx response that had one, microseconds.
    pub ttft_us: Vec<u32>,
    pub non_2xx: u64,
    pub io_errors: u64,
    pub timeouts: u64,
    pub events: u64,
}

impl Tally {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            latencies_us: Vec::with_capacity(capacity),
            ttft_us: Vec::with_capacity(capacity),
            ..Self::default()
        }
    }

    pub(crate) fn merge(&mut self, other: Tally) {
        self.latencies_us.extend_from_slice(&other.latencies_us);
        self.ttft_us.extend_from_slice(&other.ttft_us);
        self.non_2xx += other.non_2xx;
        self.io_errors += other.io_errors;
        self.timeouts += other.timeouts;
        self.events += other.events;
    }
}

fn micros(duration: Duration) -> u32 {
    u32::try_from(duration.as_micros()).unwrap_or(u32::MAX)
}

/// `start_after`: this worker's place in the ramp (`--ramp`).
pub(crate) async fn run(plan: Arc<Plan>, capacity: usize, start_after: Duration) -> Tally {
    tokio::time::sleep(start_after).await;
    let mut tally = Tally::with_capacity(capacity);
    let mut conn: Option<Conn> = None;
    loop {
        let now = Instant::now();
        if !plan.may_start(now) {
            return tally;
        }
        let measured = now >= plan.measure_from;
        if conn.is_none() {
            match tokio::time::timeout(plan.timeout, Conn::connect(plan.addr)).await {
                Ok(Ok(fresh)) => conn = Some(fresh),
                Ok(Err(_)) | Err(_) => {
                    if measured {
                        tally.io_errors += 1;
                    }
                    // Do not spin on a server that refuses connections.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(open) = conn.as_mut() else {
            continue;
        };
        let sent = Instant::now();
        let measured = sent >= plan.measure_from;
        match tokio::time::timeout(plan.timeout, open.exchange(&plan.request)).await {
            Ok(Ok(response)) => {
                let done = Instant::now();
                if !response.keep_alive {
                    conn = None;
                }
                if !measured {
                    continue;
                }
                if (200..300).contains(&response.status) {
                    tally.latencies_us.push(micros(done - sent));
                    if let Some(first) = response.first_event {
                        tally.ttft_us.push(micros(first - sent));
                    }
                    tally.events += u64::from(response.events);
                } else {
                    tally.non_2xx += 1;
                }
            }
            Ok(Err(_)) => {
                conn = None;
                if measured {
                    tally.io_errors += 1;
                }
            }
            Err(_) => {
                conn = None;
                if measured {
                    tally.timeouts += 1;
                }
            }
        }
    }
}
