use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash as Phc, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use async_trait::async_trait;
use tokio::sync::Semaphore;

use crate::application::ports::{HashError, PasswordHasher};
use crate::domain::auth::{Password, PasswordHash};

/// argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane), run on the blocking pool.
///
/// A semaphore bounds how many hashes run at once: each takes 19 MiB and a core, so a burst of
/// logins queues instead of starving the runtime or the memory. The queue is bounded too:
/// past `queue` waiting, a hash is refused at once (`Busy`) rather than left to wait.
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
    dummy: Arc<String>,
}

/// Counts a waiter while it waits, however the wait ends.
struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Argon2Hasher {
    pub fn new(concurrency: usize, queue: usize) -> anyhow::Result<Self> {
        let params =
            Params::new(19_456, 2, 1, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
        let mut hasher = Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            queue,
            dummy: Arc::new(String::new()),
        };
        hasher.dummy = Arc::new(hasher.hash_blocking("no account has this password")?);
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_blocking(&self, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        let phc = self
            .argon2()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
        Ok(phc.to_string())
    }

    fn verify_blocking(&self, candidate: &str, phc: &str) -> anyhow::Result<bool> {
        let parsed =
            Phc::new(phc).map_err(|e| anyhow::anyhow!("stored hash is not a PHC string: {e}"))?;
        Ok(self
            .argon2()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok())
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Self) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.queue {
                    self.waiting.fetch_sub(1, Ordering::Relaxed);
                    return Err(HashError::Busy);
                }
                let _waiting = Waiting(self.waiting.clone());
                self.permits
                    .clone()
                    .acquire_owned()
                    .await
                    .context("hasher closed")?
            }
        };
        let this = self.clone();
        let span = tracing::Span::current();
        let done = tokio::task::spawn_blocking(move || span.in_scope(|| work(&this)))
            .await
            .context("hashing task panicked")?;
        Ok(done?)
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
        self.run(move |this| this.hash_blocking(password.expose()).map(PasswordHash::new))
            .await
    }

    async fn verify(
        &self,
        candidate: String,
        hash: Option<PasswordHash>,
    ) -> Result<bool, HashError> {
        self.run(move |this| match hash {
            Some(hash) => this.verify_blocking(&candidate, hash.as_str()),
            None => this.verify_blocking(&candidate, &this.dummy).map(|_| false),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_only_the_right_password() {
        let hasher = Argon2Hasher::new(1, 0).unwrap();
        let password = Password::parse("correct horse battery".to_owned()).unwrap();
        let hash = hasher.hash(password).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            hasher
                .verify("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("wrong horse battery".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("no account has this password".into(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn past_the_queue_a_hash_is_refused_at_once() {
        let hasher = Argon2Hasher::new(1, 0).unwrap();
        let password = || Password::parse("correct horse battery".to_owned()).unwrap();

        // The first takes the only permit and holds it while it runs; with no room to wait,
        // the second is refused instead of queueing.
        let (first, second) = tokio::join!(hasher.hash(password()), hasher.hash(password()));

        assert!(first.is_ok());
        assert!(matches!(second, Err(HashError::Busy)));
        assert!(hasher.hash(password()).await.is_ok(), "room again after");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn within_the_queue_a_hash_waits_its_turn() {
        let hasher = Argon2Hasher::new(1, 1).unwrap();
        let password = || Password::parse("correct horse battery".to_owned()).unwrap();

        let (first, second) = tokio::join!(hasher.hash(password()), hasher.hash(password()));

        assert!(first.is_ok() && second.is_ok());
    }
}
