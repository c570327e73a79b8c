//! Fixed-window attempt counting for sign-in and sign-up, per client IP and per email.

use std::{
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use moka::sync::Cache;

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    pub retry_after_secs: u64,
}

struct Window {
    started: Instant,
    attempts: AtomicU32,
}

pub struct SignInThrottle {
    limit: u32,
    windows: Cache<String, Arc<Window>>,
}

impl SignInThrottle {
    pub fn new(limit_per_minute: u32) -> Self {
        Self {
            limit: limit_per_minute.max(1),
            windows: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(WINDOW)
                .build(),
        }
    }

    /// Counts one attempt under each key; refused if any key is over the limit.
    pub fn attempt(&self, keys: &[String]) -> Result<(), RateLimited> {
        let mut refused = None;
        for key in keys {
            let window = self.windows.get_with_by_ref(key, || {
                Arc::new(Window {
                    started: Instant::now(),
                    attempts: AtomicU32::new(0),
                })
            });
            let attempts = window.attempts.fetch_add(1, Ordering::Relaxed) + 1;
            if attempts > self.limit {
                let left = WINDOW
                    .saturating_sub(window.started.elapsed())
                    .as_secs()
                    .max(1);
                refused = Some(RateLimited {
                    retry_after_secs: left
                        .max(refused.map_or(0, |r: RateLimited| r.retry_after_secs)),
                });
            }
        }
        refused.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attempt_over_the_limit_is_refused_with_a_retry_delay() {
        let throttle = SignInThrottle::new(3);
        let keys = vec!["ip:1.2.3.4".to_owned()];
        for _ in 0..3 {
            throttle.attempt(&keys).unwrap();
        }
        let refused = throttle.attempt(&keys).unwrap_err();
        assert!((1..=60).contains(&refused.retry_after_secs));
        throttle.attempt(&["ip:5.6.7.8".to_owned()]).unwrap();
    }
}
