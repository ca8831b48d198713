//! Attachments: uploaded files, the types accepted, and who may read them.

mod attachment;
mod repository;

pub use attachment::{Attachment, AvatarOf, FileName, MediaType};
pub use repository::AttachmentRepository;
