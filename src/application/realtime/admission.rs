use std::sync::Arc;

use super::{Hub, PresenceStore};
use crate::application::error::AppError;
use crate::application::ports::{RateLimit, RateLimiter};
use crate::domain::shared::UserId;

#[derive(Debug, Clone, Copy)]
pub struct AdmissionLimits {
    /// Live sockets per user across instances; 0: no limit.
    pub per_user: u32,
    /// Live sockets on this instance; 0: no limit.
    pub per_instance: usize,
    pub upgrades_per_ip: RateLimit,
}

/// Who may open another socket, so that no one can hold the server's connections or memory
/// by opening sockets: upgrades per client IP, sockets per user and per instance.
pub struct Admission {
    hub: Arc<Hub>,
    presence: Arc<dyn PresenceStore>,
    limiter: Arc<dyn RateLimiter>,
    limits: AdmissionLimits,
}

impl Admission {
    pub fn new(
        hub: Arc<Hub>,
        presence: Arc<dyn PresenceStore>,
        limiter: Arc<dyn RateLimiter>,
        limits: AdmissionLimits,
    ) -> Self {
        Self {
            hub,
            presence,
            limiter,
            limits,
        }
    }

    /// Before the upgrade: the client's rate and this instance's room.
    pub async fn upgrade(&self, ip: Option<&str>) -> Result<(), AppError> {
        let limits = self.limits;
        if limits.per_instance > 0 && self.hub.connection_count() >= limits.per_instance {
            return Err(AppError::Unavailable("server_full"));
        }
        if let Some(ip) = ip {
            let key = format!("ws-upgrade:{ip}");
            self.limiter.hit(&key, limits.upgrades_per_ip).await?;
        }
        Ok(())
    }

    /// Once the user is known: their sockets on every instance.
    pub async fn user(&self, user: UserId) -> Result<(), AppError> {
        let limit = self.limits.per_user;
        if limit > 0 && self.presence.connections(user).await >= limit as usize {
            return Err(AppError::TooMany("too_many_connections"));
        }
        Ok(())
    }
}
