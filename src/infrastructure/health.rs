use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use redis::aio::ConnectionManager;
use sea_orm::DatabaseConnection;

use crate::application::ports::HealthCheck;

// A readiness probe must answer quickly even when a dependency hangs.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct DatabaseHealth(pub DatabaseConnection);

#[async_trait]
impl HealthCheck for DatabaseHealth {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn check(&self) -> anyhow::Result<()> {
        tokio::time::timeout(PROBE_TIMEOUT, self.0.ping())
            .await
            .context("timed out")??;
        Ok(())
    }
}

pub struct RedisHealth(pub ConnectionManager);

#[async_trait]
impl HealthCheck for RedisHealth {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn check(&self) -> anyhow::Result<()> {
        let mut redis = self.0.clone();
        let ping = redis::cmd("PING");
        tokio::time::timeout(PROBE_TIMEOUT, ping.query_async::<String>(&mut redis))
            .await
            .context("timed out")??;
        Ok(())
    }
}
