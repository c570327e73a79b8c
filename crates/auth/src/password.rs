//! Password hashing with argon2id at OWASP's parameters, off the async runtime and bounded:
//! each hash takes 19 MiB, so they run on one dedicated thread per core, and a caller waits
//! for a free one at most a few seconds before getting `Busy` (503). A login flood then costs a
//! fixed amount of memory instead of 19 MiB per request in flight.

use std::{sync::mpsc, time::Duration};

use tokio::sync::{oneshot, Semaphore};

use argon2::{
    password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier},
    Algorithm, Argon2, Params, Version,
};

use crate::AuthError;

/// OWASP (2025): argon2id, 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Result<Argon2<'static>, AuthError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| AuthError::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

type Job = Box<dyn FnOnce() + Send>;

/// How long a sign-in may queue for a hashing thread before it is told to come back.
const MAX_WAIT: Duration = Duration::from_secs(5);

pub struct Hashing {
    permits: Semaphore,
    jobs: mpsc::Sender<Job>,
}

impl Hashing {
    /// One thread per core; they end when the `Hashing` is dropped.
    pub fn sized_from_cores() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(cores)
    }

    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for index in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password hashing thread");
            }
        }
        Self {
            permits: Semaphore::new(threads),
            jobs,
        }
    }

    pub async fn hash(&self, password: String) -> Result<String, AuthError> {
        self.run(move || {
            let hash = hasher()?
                .hash_password(password.as_bytes())
                .map_err(|e| AuthError::Internal(e.to_string()))?;
            Ok(hash.to_string())
        })
        .await
    }

    /// Checks `password` against `stored`; with no stored hash, checks against a dummy so
    /// that an unknown account costs the same time as a wrong password.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
        dummy: &str,
    ) -> Result<bool, AuthError> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy.to_owned());
        self.run(move || {
            let parsed =
                PasswordHash::new(&stored).map_err(|e| AuthError::Internal(e.to_string()))?;
            let matches = hasher()?
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            Ok(known && matches)
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let _permit = tokio::time::timeout(MAX_WAIT, self.permits.acquire())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move || drop(done.send(work()))))
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        result
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_reject_wrong_passwords() {
        let hashing = Hashing::new(1);
        let stored = hashing.hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let dummy = hashing.hash("dummy password".into()).await.unwrap();
        assert!(hashing.verify("correct horse".into(), Some(stored.clone()), &dummy)
            .await
            .unwrap());
        assert!(!hashing.verify("wrong horse".into(), Some(stored), &dummy)
            .await
            .unwrap());
        assert!(!hashing.verify("dummy password".into(), None, &dummy).await.unwrap());
    }
}
