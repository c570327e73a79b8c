//! Where diesel-async runs each SQLite query: tokio's blocking pool, detached when abandoned.
//!
//! diesel-async's own runner, when the future awaiting a query is dropped before the query is
//! done (a client left, a timeout fired), waits for the query with `block_in_place`, which
//! panics on a current-thread runtime such as each actix worker's. This runner lets the query
//! finish on its own instead; `SqliteCheckout` keeps that connection from serving anyone else.

use std::error::Error;

use diesel_async::sync_connection_wrapper::SpawnBlocking;
use futures_util::{future::BoxFuture, FutureExt};

pub struct DetachedBlocking(Option<tokio::runtime::Handle>);

type TaskResult<R> = Result<R, Box<dyn Error + Send + Sync + 'static>>;

impl SpawnBlocking for DetachedBlocking {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, TaskResult<R>>
    where
        R: Send + 'static,
    {
        match &self.0 {
            Some(runtime) => runtime
                .spawn_blocking(task)
                .map(|joined| joined.map_err(Box::from))
                .boxed(),
            // Outside any runtime (a connection made by a plain thread): a thread of its own.
            None => {
                let (sender, receiver) = tokio::sync::oneshot::channel();
                std::thread::spawn(move || {
                    let _ = sender.send(task());
                });
                async move { receiver.await.map_err(Box::from) }.boxed()
            }
        }
    }

    fn get_runtime() -> Self {
        Self(tokio::runtime::Handle::try_current().ok())
    }
}
