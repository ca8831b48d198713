//! Redis for several instances: ephemeral events fanned out on one channel, presence shared.

mod fanout;
mod presence;

pub use fanout::{RedisFanOut, relay_wakeups};
pub use presence::RedisPresenceStore;
