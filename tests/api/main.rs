mod auth;
mod bad_input;
mod helpers;
mod operations;
mod passwords;
mod sessions;
