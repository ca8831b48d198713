//! What every context shares: typed ids and the repository error.

mod error;
mod ids;

pub use error::RepoError;
pub use ids::{SessionId, UserId};
