//! A pooled SQLite connection that goes back to the pool only once the query using it is done.
//!
//! diesel-async runs each SQLite query on the blocking pool with a clone of the connection's
//! handle. When the future awaiting it is dropped (a client left, a timeout fired), that query
//! keeps running, and the next user of the connection panics ("Cannot access shared transaction
//! state", diesel_async#281). So a connection whose query was abandoned is taken out of the
//! pool: the running query finishes on its own and closes it (rolling back any transaction it
//! left open), and the pool opens a fresh connection in its place.

use diesel_async::pooled_connection::deadpool::Object;

use super::SqliteConn;

pub struct SqliteCheckout {
    object: Option<Object<SqliteConn>>,
}

impl SqliteCheckout {
    pub fn new(object: Object<SqliteConn>) -> Self {
        Self {
            object: Some(object),
        }
    }

    /// The connection; `None` only after [`finished`](Self::finished), which consumes the
    /// checkout, so callers never see it.
    pub fn connection(&mut self) -> Option<&mut SqliteConn> {
        self.object.as_deref_mut()
    }

    /// The query ran to the end: the connection goes back to the pool.
    pub fn finished(mut self) {
        drop(self.object.take());
    }
}

impl Drop for SqliteCheckout {
    fn drop(&mut self) {
        if let Some(object) = self.object.take() {
            drop(Object::take(object));
        }
    }
}
