//! One sea-orm entity per table; mirrors `migrations/`.

pub mod account_activity;
pub mod attachments;
pub mod blocks;
pub mod business_cases;
pub mod business_members;
pub mod business_team_agents;
pub mod business_teams;
pub mod businesses;
pub mod contacts;
pub mod conversations;
pub mod devices;
pub mod messages;
pub mod notifications;
pub mod one_time_prekeys;
pub mod participants;
pub mod password_resets;
pub mod reactions;
pub mod refresh_tokens;
pub mod sessions;
pub mod user_keys;
pub mod user_settings;
pub mod users;
