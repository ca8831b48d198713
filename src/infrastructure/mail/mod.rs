//! Mailers: the log (development), a folder of JSON files (tests, inspection) and SMTP.

mod file;
mod log;
mod smtp;

pub use file::FileMailer;
pub use log::LogMailer;
pub use smtp::SmtpMailer;
