//! One module per SPEC §6 scenario; each seeds, measures and checks its own results.

mod business;
mod chatlist;
mod connections;
mod fanout;
mod faults;
mod history;
mod readers;
mod redis_outage;
mod send;

use crate::report::Report;
use crate::server::Target;
use crate::{Options, Scenario};

pub async fn run(
    scenario: Scenario,
    options: &Options,
    target: &mut Target,
) -> anyhow::Result<Report> {
    match scenario {
        Scenario::Send => send::run(options, target).await,
        Scenario::Fanout => fanout::run(options, target).await,
        Scenario::Connections => connections::run(options, target).await,
        Scenario::History => history::run(options, target).await,
        Scenario::Chatlist => chatlist::run(options, target).await,
        Scenario::Business => business::run(options, target).await,
        Scenario::Faults => faults::run(options, target).await,
        Scenario::All => anyhow::bail!("`all` is expanded before running"),
    }
}

/// A repeatable pseudo-random sequence (xorshift), so that runs read the same pages.
pub struct Sequence(u64);

impl Sequence {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// A value in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}
