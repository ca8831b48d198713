//! The file store on the `object_store` crate: a local folder by default, or any S3-compatible
//! bucket, which can also sign download URLs so that files skip the server.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::signer::{Method, Signer};
use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, ObjectStore, ObjectStoreExt,
    PutMultipartOptions, WriteMultipart,
};
use secrecy::ExposeSecret;

use crate::application::attachments::{
    CACHE_CONTROL, FileStore, ObjectHeaders, ObjectRead, ObjectWriter,
};
use crate::application::ports::HealthCheck;
use crate::config::S3Settings;

pub struct ObjectFileStore {
    store: Arc<dyn ObjectStore>,
    /// Whether objects keep their response headers (a local folder cannot).
    keeps_headers: bool,
    signer: Option<(Arc<AmazonS3>, Duration)>,
}

impl ObjectFileStore {
    /// Files under `dir`, created if missing.
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            store: Arc::new(LocalFileSystem::new_with_prefix(dir)?),
            keeps_headers: false,
            signer: None,
        })
    }

    /// Files in an S3-compatible bucket. Unset credentials and region come from the usual
    /// `AWS_*` environment variables.
    pub fn s3(settings: &S3Settings) -> anyhow::Result<Self> {
        // TLS runs on ring; installing fails only when a provider is already in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(&settings.bucket);
        let set = |value: &str| (!value.is_empty()).then(|| value.to_owned());
        if let Some(endpoint) = set(&settings.endpoint) {
            builder = builder
                .with_allow_http(endpoint.starts_with("http://"))
                .with_endpoint(endpoint);
        }
        if let Some(region) = set(&settings.region) {
            builder = builder.with_region(region);
        }
        if let Some(key) = set(&settings.access_key_id) {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = set(settings.secret_access_key.expose_secret()) {
            builder = builder.with_secret_access_key(secret);
        }
        let s3 = Arc::new(builder.build()?);
        let signer = (settings.presign_ttl_secs > 0)
            .then(|| (s3.clone(), Duration::from_secs(settings.presign_ttl_secs)));
        Ok(Self {
            store: s3,
            keeps_headers: true,
            signer,
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

/// Readiness: the bucket answers a listing (of a prefix that holds nothing) in time.
#[async_trait]
impl HealthCheck for ObjectFileStore {
    fn name(&self) -> &'static str {
        "storage"
    }

    async fn check(&self) -> anyhow::Result<()> {
        let probe = Path::from("health");
        tokio::time::timeout(
            Duration::from_secs(2),
            self.store.list_with_delimiter(Some(&probe)),
        )
        .await
        .map_err(|_| anyhow::anyhow!("timed out"))??;
        Ok(())
    }
}

#[async_trait]
impl FileStore for ObjectFileStore {
    async fn writer(
        &self,
        key: &str,
        headers: &ObjectHeaders,
    ) -> anyhow::Result<Box<dyn ObjectWriter>> {
        let mut options = PutMultipartOptions::default();
        if self.keeps_headers {
            options.attributes = Attributes::from_iter::<[(Attribute, AttributeValue); 3]>([
                (Attribute::ContentType, headers.content_type.into()),
                (
                    Attribute::ContentDisposition,
                    headers.disposition.clone().into(),
                ),
                (Attribute::CacheControl, CACHE_CONTROL.into()),
            ]);
        }
        let upload = self
            .store
            .put_multipart_opts(&Path::from(key), options)
            .await?;
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

    async fn download_url(&self, key: &str) -> anyhow::Result<Option<String>> {
        let Some((s3, ttl)) = &self.signer else {
            return Ok(None);
        };
        let url = s3.signed_url(Method::GET, &Path::from(key), *ttl).await?;
        Ok(Some(url.into()))
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}
