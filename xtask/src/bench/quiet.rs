//! This machine is shared: before each measured run, wait (a bounded time) until nothing else
//! keeps its cores busy, so a neighbour's build does not end up in the numbers. Each run also
//! reports the CPU other processes used during it (`other_cpu_s`), so noise stays visible.

use std::time::{Duration, Instant};

/// Busy CPU seconds of all cores so far (everything but idle and iowait), from `/proc/stat`.
fn busy_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_ascii_whitespace()
        .filter_map(|t| t.parse().ok())
        .collect();
    let busy: u64 = ticks
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    Some(busy as f64 / 100.0)
}

/// Cores kept busy over the next `window` (our servers idle meanwhile).
fn busy_cores(window: Duration) -> Option<f64> {
    let before = busy_seconds()?;
    std::thread::sleep(window);
    Some((busy_seconds()? - before) / window.as_secs_f64())
}

/// Waits until the machine has been quiet (under `threshold` busy cores) for one second, at
/// most `patience`; returns the busy cores last seen.
pub fn wait(threshold: f64, patience: Duration) -> f64 {
    let deadline = Instant::now() + patience;
    let mut warned = false;
    loop {
        let Some(busy) = busy_cores(Duration::from_secs(1)) else {
            return 0.0;
        };
        if busy < threshold {
            return busy;
        }
        if Instant::now() >= deadline {
            eprintln!("bench: the machine is still busy ({busy:.2} cores used by others); measuring anyway");
            return busy;
        }
        if !warned {
            eprintln!(
                "bench: waiting for the machine to be quiet ({busy:.2} cores busy elsewhere)..."
            );
            warned = true;
        }
    }
}
