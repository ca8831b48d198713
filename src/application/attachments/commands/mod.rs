//! The attachments context's commands.

mod upload_file;

pub use upload_file::UploadFileHandler;
