//! The file store on the `object_store` crate: a local folder by default; the same calls serve
//! S3-compatible stores once their client is configured.

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt, WriteMultipart};

use crate::application::attachments::{FileStore, ObjectRead, ObjectWriter};

pub struct ObjectFileStore {
    store: Arc<dyn ObjectStore>,
}

impl ObjectFileStore {
    /// Files under `dir`, created if missing.
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            store: Arc::new(LocalFileSystem::new_with_prefix(dir)?),
        })
    }
}

struct Writer(WriteMultipart);

#[async_trait]
impl ObjectWriter for Writer {
    async fn write(&mut self, chunk: Bytes) -> anyhow::Result<()> {
        // At most two parts in flight: memory stays bounded however large the file.
        self.0.wait_for_capacity(2).await?;
        self.0.put(chunk);
        Ok(())
    }

    async fn finish(self: Box<Self>) -> anyhow::Result<()> {
        self.0.finish().await?;
        Ok(())
    }

    async fn abort(self: Box<Self>) {
        if let Err(error) = self.0.abort().await {
            tracing::warn!(%error, "partial upload not cleaned up");
        }
    }
}

#[async_trait]
impl FileStore for ObjectFileStore {
    async fn writer(&self, key: &str) -> anyhow::Result<Box<dyn ObjectWriter>> {
        let upload = self.store.put_multipart(&Path::from(key)).await?;
        Ok(Box::new(Writer(WriteMultipart::new(upload))))
    }

    async fn read(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> anyhow::Result<Option<ObjectRead>> {
        let options = GetOptions::new().with_range(range);
        match self.store.get_opts(&Path::from(key), options).await {
            Ok(result) => Ok(Some(ObjectRead {
                size: result.meta.size,
                range: result.range.clone(),
                body: result.into_stream().map(|c| c.map_err(Into::into)).boxed(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}
