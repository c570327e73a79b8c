//! A stream's time limits, counted from the start of the request.

use std::time::Duration;

use tokio::time::Instant;

/// When a stream must have produced what, counted from the start of the request.
pub(crate) struct Deadlines {
    pub started: Instant,
    pub first_token: Duration,
    pub idle: Duration,
    pub total: Duration,
    pub got_first_token: bool,
    pub last_event: Instant,
}

impl Deadlines {
    pub fn next(&self) -> (Instant, &'static str, Duration) {
        let mut next = (self.started + self.total, "finish", self.total);
        let idle = (self.last_event + self.idle, "send anything", self.idle);
        if idle.0 < next.0 {
            next = idle;
        }
        if !self.got_first_token && self.started + self.first_token < next.0 {
            next = (
                self.started + self.first_token,
                "start answering",
                self.first_token,
            );
        }
        next
    }
}
