mod auth;
mod bad_input;
mod contacts;
mod helpers;
mod operations;
mod passwords;
mod sessions;
mod users;
