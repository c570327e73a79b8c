//! An admitted request's hold on the limiter: its token and cost reservations and its stream
//! slots, settled with the real usage when the request ends.

use std::sync::Arc;

use crate::{policy::MINUTE, LimitStore, RateInfo, SharedStore};

/// An admitted request's reservations, settled (or kept) when it ends.
pub struct Admission {
    pub(crate) store: Arc<SharedStore>,
    pub(crate) windows: Vec<(String, u64)>,
    /// Request counts taken, given back only if the request is refused after all.
    pub(crate) requests: Vec<(String, u64)>,
    pub(crate) budgets: Vec<(String, bool)>,
    pub(crate) leases: Vec<(String, String)>,
    pub(crate) tokens: u64,
    pub(crate) cost_micros: u64,
    pub rate: RateInfo,
    pub(crate) settled: bool,
}

impl Admission {
    /// The real usage: reservations are corrected by the difference, leases released.
    pub fn settle(mut self, tokens: u64, cost_micros: u64) {
        self.finish(tokens, cost_micros);
    }

    pub(crate) fn finish(&mut self, tokens: u64, cost_micros: u64) {
        if std::mem::replace(&mut self.settled, true) {
            return;
        }
        let store = self.store.clone();
        let windows = std::mem::take(&mut self.windows);
        let budgets = std::mem::take(&mut self.budgets);
        let leases = std::mem::take(&mut self.leases);
        let token_delta = tokens as i64 - self.tokens as i64;
        let cost_delta = cost_micros as i64 - self.cost_micros as i64;
        let settle = async move {
            for (key, at) in windows {
                if token_delta != 0 {
                    let _ = store.adjust(&key, at, token_delta, MINUTE).await;
                }
            }
            for (key, is_cost) in budgets {
                let delta = if is_cost { cost_delta } else { token_delta };
                if delta != 0 {
                    let _ = store.count_adjust(&key, delta).await;
                }
            }
            for (key, lease) in leases {
                let _ = store.release(&key, &lease).await;
            }
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(settle);
        }
    }
}

impl Drop for Admission {
    /// Not settled (a panic, a bug): keep what was reserved, free the stream slots.
    fn drop(&mut self) {
        let (tokens, cost) = (self.tokens, self.cost_micros);
        self.finish(tokens, cost);
    }
}
