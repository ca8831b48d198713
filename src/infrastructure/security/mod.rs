//! Password hashing (argon2id) and access tokens (JWT, HS256).

pub mod argon2;
pub mod jwt;
