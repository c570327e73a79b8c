//! Password hashing with argon2id at OWASP's parameters, off the async runtime and bounded:
//! each hash needs 19 MiB, so hashes run on one dedicated thread per core, each reusing one
//! buffer it allocated at start, and a caller waits for a free thread at most a few seconds
//! before getting `Busy` (503). A login flood then costs a fixed amount of memory. (Allocating
//! the 19 MiB per hash, as argon2's PHC helpers do, left the allocator holding ~1 MiB more per
//! request of a 200-login flood: 250 MiB.)

use std::{sync::mpsc, time::Duration};

use tokio::sync::{oneshot, Semaphore};

use argon2::{
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
    Algorithm, Argon2, Block, Params, Version,
};

use crate::AuthError;

/// OWASP (2025): argon2id, 19 MiB (in 1 KiB blocks), 2 iterations, 1 lane.
const MEMORY_BLOCKS: u32 = 19 * 1024;

fn internal(error: impl std::fmt::Display) -> AuthError {
    AuthError::Internal(error.to_string())
}

fn params() -> Result<Params, AuthError> {
    Params::new(MEMORY_BLOCKS, 2, 1, Some(32)).map_err(internal)
}

/// A new PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`.
fn hash_with(password: &[u8], memory: &mut [Block]) -> Result<String, AuthError> {
    let params = params()?;
    let salt = studio_core::secrets::random_bytes(16);
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, &salt, &mut out, memory)
        .map_err(internal)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(internal)?,
        salt: Some(Salt::new(&salt).map_err(internal)?),
        hash: Some(Output::new(&out).map_err(internal)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored` (compared in constant time).
fn verify_with(password: &[u8], stored: &str, memory: &mut [Block]) -> Result<bool, AuthError> {
    let parsed = PasswordHash::new(stored).map_err(internal)?;
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(internal)?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(internal)?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(internal)?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err(internal("stored password hash has no salt or hash"));
    };
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    // Hashes made with more memory than ours (older settings) get their own buffer.
    if params.m_cost() as usize <= memory.len() {
        argon2.hash_password_into_with_memory(password, salt.as_ref(), &mut out, memory)
    } else {
        argon2.hash_password_into(password, salt.as_ref(), &mut out)
    }
    .map_err(internal)?;
    Ok(Output::new(&out).map_err(internal)? == *expected)
}

type Job = Box<dyn FnOnce(&mut [Block]) + Send>;

/// How long a sign-in may queue for a hashing thread before it is told to come back.
const MAX_WAIT: Duration = Duration::from_secs(5);

pub struct Hashing {
    permits: Semaphore,
    jobs: mpsc::Sender<Job>,
}

impl Hashing {
    /// One thread per core (at most 16: 304 MiB of buffers is plenty); they end when the
    /// `Hashing` is dropped.
    pub fn sized_from_cores() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(cores.min(16))
    }

    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for index in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || {
                    // Allocated on the first hash, then kept: an idle gateway holds none.
                    let mut memory = Vec::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        if memory.is_empty() {
                            memory = vec![Block::default(); MEMORY_BLOCKS as usize];
                        }
                        job(&mut memory);
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
        self.run(move |memory| hash_with(password.as_bytes(), memory))
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
        self.run(move |memory| Ok(verify_with(password.as_bytes(), &stored, memory)? && known))
            .await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut [Block]) -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let _permit = tokio::time::timeout(MAX_WAIT, self.permits.acquire())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move |memory| drop(done.send(work(memory)))))
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
        assert!(hashing
            .verify("correct horse".into(), Some(stored.clone()), &dummy)
            .await
            .unwrap());
        assert!(!hashing
            .verify("wrong horse".into(), Some(stored), &dummy)
            .await
            .unwrap());
        assert!(!hashing
            .verify("dummy password".into(), None, &dummy)
            .await
            .unwrap());
    }
}
