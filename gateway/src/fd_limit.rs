//! The process's open-file limit: every connection is a descriptor (a proxied request two, the
//! client's and the upstream's), and the usual soft limit of 1,024 would refuse connections
//! long before `STUDIO_MAX_CONNECTIONS` is reached.

/// Descriptors besides connections: the database pool, Redis, the journal, logs, epoll.
const SPARE: u64 = 1_024;

/// The descriptors `max_connections` per worker need: each connection and its upstream.
pub fn needed(max_connections: usize, workers: usize) -> u64 {
    let connections = u64::try_from(max_connections.saturating_mul(workers)).unwrap_or(u64::MAX);
    connections.saturating_mul(2).saturating_add(SPARE)
}

/// Raises the soft limit towards `needed` (never past the hard limit) and says so in the log;
/// a limit that stays short is a warning, not a failure: the server still runs, with fewer
/// connections.
pub fn raise(needed: u64) {
    let Ok((soft, hard)) = rlimit::Resource::NOFILE.get() else {
        tracing::warn!("cannot read the open-file limit (RLIMIT_NOFILE)");
        return;
    };
    if soft >= needed {
        return;
    }
    match rlimit::increase_nofile_limit(needed) {
        Ok(now) if now >= needed => {
            tracing::info!(from = soft, to = now, needed, "raised the open-file limit");
        }
        Ok(now) => tracing::warn!(
            from = soft,
            to = now,
            hard,
            needed,
            "the open-file limit is below what STUDIO_MAX_CONNECTIONS needs; raise the hard limit"
        ),
        Err(error) => tracing::warn!(%error, soft, needed, "cannot raise the open-file limit"),
    }
}

/// The soft limit now, for tests and the start-up log.
pub fn current() -> Option<u64> {
    rlimit::Resource::NOFILE.get().ok().map(|(soft, _)| soft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_connection_counts_twice_plus_spare() {
        assert_eq!(needed(25_000, 2), 101_024);
        assert_eq!(needed(usize::MAX, 2), u64::MAX);
    }

    #[test]
    fn the_soft_limit_is_raised_as_far_as_the_hard_limit_allows() {
        let Ok((soft, hard)) = rlimit::Resource::NOFILE.get() else {
            return;
        };
        // Lowering the soft limit needs no privilege: start from the usual 1,024.
        rlimit::Resource::NOFILE.set(1_024.min(hard), hard).unwrap();
        let want = needed(2_000, 2);
        raise(want);
        let raised = current().unwrap();
        rlimit::Resource::NOFILE
            .set(soft.max(raised), hard)
            .unwrap();
        assert_eq!(raised, want.min(hard));
    }
}
