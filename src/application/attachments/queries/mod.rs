//! The attachments context's queries: who may read a file, and its bytes or a link to them.

mod attachment;
mod download;

pub use attachment::AttachmentHandler;
pub use download::{Download, DownloadHandler, DownloadLinkHandler, Part};
