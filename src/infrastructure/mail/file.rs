use std::path::PathBuf;

use anyhow::Context;
use async_trait::async_trait;

use crate::application::ports::{Mail, Mailer};

/// Writes each mail as a JSON file into a folder, named by a time-ordered id.
pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        tokio::fs::create_dir_all(&self.dir)
            .await
            .context("cannot create the mail folder")?;
        let body = serde_json::json!({ "to": mail.to, "subject": mail.subject, "body": mail.body });
        let path = self.dir.join(format!("{}.json", uuid::Uuid::now_v7()));
        let partial = path.with_extension("tmp");
        // Write then rename, so a reader never sees half a mail.
        tokio::fs::write(&partial, body.to_string())
            .await
            .context("cannot write the mail")?;
        tokio::fs::rename(&partial, &path)
            .await
            .context("cannot write the mail")?;
        Ok(())
    }
}
