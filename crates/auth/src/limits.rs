//! Limits an attacker cannot turn against a user (OWASP's authentication guidance): only
//! *failed* sign-ins count, per client network (an IPv6 /64 is one client) and per
//! (account, network). A stranger failing against an account from elsewhere never stops the
//! owner: per account there is only a high ceiling past which attempts are slowed, never refused.
//! Every counter lives in a bounded cache, so a flood of new keys costs bounded memory.

use std::{
    net::IpAddr,
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use moka::sync::Cache;

const MINUTE: Duration = Duration::from_secs(60);
const ACCOUNT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys kept per counter; at ~150 bytes an entry this bounds each counter to a few tens of MiB.
const MAX_KEYS: u64 = 100_000;
/// A client network may fail this many times more often than a single (account, network).
const NETWORK_FACTOR: u32 = 5;
/// Failures per account in 15 minutes, in units of the per-minute limit, before slowing down.
const ACCOUNT_CEILING_FACTOR: u32 = 10;
const DELAY_STEP: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited {
    pub retry_after_secs: u64,
}

struct Window {
    started: Instant,
    count: AtomicU32,
}

struct Counters {
    length: Duration,
    windows: Cache<String, Arc<Window>>,
}

impl Counters {
    fn new(length: Duration) -> Self {
        Self {
            length,
            windows: Cache::builder()
                .max_capacity(MAX_KEYS)
                .time_to_live(length)
                .build(),
        }
    }

    fn window(&self, key: &str) -> Arc<Window> {
        self.windows.get_with_by_ref(key, || {
            Arc::new(Window {
                started: Instant::now(),
                count: AtomicU32::new(0),
            })
        })
    }

    /// Counts one under `key`; refused (and not counted) past `limit`.
    fn take(&self, key: &str, limit: u32) -> Result<Arc<Window>, RateLimited> {
        let window = self.window(key);
        if window.count.fetch_add(1, Ordering::AcqRel) >= limit {
            window.count.fetch_sub(1, Ordering::AcqRel);
            let left = self.length.saturating_sub(window.started.elapsed());
            return Err(RateLimited {
                retry_after_secs: left.as_secs().max(1),
            });
        }
        Ok(window)
    }
}

pub struct Limits {
    per_minute: u32,
    failures: Counters,
    accounts: Counters,
    attempts: Counters,
}

/// A password check in progress. It counts as a failure unless [`SignInAttempt::succeeded`]
/// is called, so that a burst of concurrent guesses is refused before any of them is hashed.
pub struct SignInAttempt {
    counted: Vec<Arc<Window>>,
    /// How long to wait before checking: the account is past its ceiling.
    pub delay: Duration,
}

impl SignInAttempt {
    pub fn succeeded(self) {
        for window in &self.counted {
            window.count.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Limits {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: per_minute.max(1),
            failures: Counters::new(MINUTE),
            accounts: Counters::new(ACCOUNT_WINDOW),
            attempts: Counters::new(MINUTE),
        }
    }

    /// Before checking a secret of `account` (an email or a user id) for a client at `ip`.
    pub fn begin(&self, account: &str, ip: Option<&str>) -> Result<SignInAttempt, RateLimited> {
        let network = network_of(ip);
        let by_network = self
            .failures
            .take(&format!("net:{network}"), self.per_minute * NETWORK_FACTOR)?;
        let by_pair = self
            .failures
            .take(&format!("pair:{account}|{network}"), self.per_minute);
        let by_pair = match by_pair {
            Ok(window) => window,
            Err(limited) => {
                by_network.count.fetch_sub(1, Ordering::AcqRel);
                return Err(limited);
            }
        };
        let by_account = self.accounts.window(&format!("acct:{account}"));
        let failures = by_account.count.fetch_add(1, Ordering::AcqRel);
        let over = failures.saturating_sub(self.per_minute * ACCOUNT_CEILING_FACTOR);
        Ok(SignInAttempt {
            counted: vec![by_network, by_pair, by_account],
            delay: (DELAY_STEP * over).min(MAX_DELAY),
        })
    }

    /// Counts one request of `action` (every request, not only failures) under each key;
    /// refused once any key is past the per-minute limit.
    pub fn attempt(&self, action: &str, keys: &[&str]) -> Result<(), RateLimited> {
        let mut taken = Vec::new();
        for key in keys {
            match self
                .attempts
                .take(&format!("{action}:{key}"), self.per_minute)
            {
                Ok(window) => taken.push(window),
                Err(limited) => {
                    for window in &taken {
                        window.count.fetch_sub(1, Ordering::AcqRel);
                    }
                    return Err(limited);
                }
            }
        }
        Ok(())
    }
}

/// The client a limit counts: an IPv4 address, or the /64 an IPv6 address is in (one host
/// usually holds a whole /64). IPv4-mapped IPv6 counts as IPv4.
pub fn network_of(ip: Option<&str>) -> String {
    match ip.and_then(|ip| ip.parse::<IpAddr>().ok()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(network_of(Some("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_eq!(
            network_of(Some("2001:db8:1:2:ffff::9")),
            network_of(Some("2001:db8:1:2::1"))
        );
        assert_ne!(
            network_of(Some("2001:db8:1:3::1")),
            network_of(Some("2001:db8:1:2::1"))
        );
        assert_eq!(network_of(Some("::ffff:1.2.3.4")), "1.2.3.4");
    }

    #[test]
    fn failures_lock_the_failing_pair_not_the_account() {
        let limits = Limits::new(3);
        for _ in 0..3 {
            drop(limits.begin("ada", Some("1.1.1.1")).unwrap());
        }
        assert!(limits.begin("ada", Some("1.1.1.1")).is_err());
        limits.begin("ada", Some("2.2.2.2")).unwrap().succeeded();
        limits.begin("bob", Some("1.1.1.1")).unwrap().succeeded();
    }

    #[test]
    fn a_success_refunds_its_attempt() {
        let limits = Limits::new(2);
        for _ in 0..10 {
            limits.begin("ada", Some("1.1.1.1")).unwrap().succeeded();
        }
    }

    #[test]
    fn past_the_account_ceiling_attempts_slow_down_but_are_not_refused() {
        let limits = Limits::new(1);
        for i in 0..40 {
            let ip = format!("10.0.0.{i}");
            let attempt = limits.begin("ada", Some(&ip)).unwrap();
            if i < 10 {
                assert_eq!(attempt.delay, Duration::ZERO);
            }
        }
        let slowed = limits.begin("ada", Some("10.0.1.1")).unwrap();
        assert!(slowed.delay > Duration::ZERO && slowed.delay <= MAX_DELAY);
    }
}
