//! One sea-orm entity per table; mirrors `migrations/`.

pub mod password_resets;
pub mod refresh_tokens;
pub mod sessions;
pub mod users;
