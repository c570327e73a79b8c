//! The one loop that carries revocations between instances sharing a database: every couple of
//! seconds, ask for what was revoked since the last poll and apply it to a local cache.

use std::{future::Future, time::Duration};

use chrono::NaiveDateTime;

use crate::{time::now, DbError};

pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Another instance's clock may lag ours; look back a little further than the last poll.
const CLOCK_SLACK: chrono::Duration = chrono::Duration::seconds(10);

/// Polls `fetch(since)` from `since` on and hands each batch of ids to `apply`, until the task is
/// aborted. A failed poll is logged (naming `what`) and retried from the same point.
pub fn spawn_revocation_poller<Fetch, FetchFut, Apply, ApplyFut>(
    what: &'static str,
    mut since: NaiveDateTime,
    fetch: Fetch,
    apply: Apply,
) -> tokio::task::JoinHandle<()>
where
    Fetch: Fn(NaiveDateTime) -> FetchFut + Send + 'static,
    FetchFut: Future<Output = Result<Vec<String>, DbError>> + Send,
    Apply: Fn(Vec<String>) -> ApplyFut + Send + 'static,
    ApplyFut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(POLL_INTERVAL);
        loop {
            ticker.tick().await;
            let polled_at = now();
            match fetch(since).await {
                Ok(ids) => {
                    apply(ids).await;
                    since = polled_at - CLOCK_SLACK;
                }
                Err(error) => tracing::warn!(%error, "polling {what} revocations failed"),
            }
        }
    })
}

/// Where a poller starts when nothing older can matter any more.
pub fn since_secs_ago(secs: i64) -> NaiveDateTime {
    now() - chrono::Duration::seconds(secs)
}
