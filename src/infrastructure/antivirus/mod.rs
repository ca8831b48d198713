//! Virus scanning through clamd's INSTREAM command, over TCP or a Unix socket.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use crate::application::attachments::{ScanStream, Verdict, VirusScanner};

/// Largest piece sent at once; clamd counts the whole stream against its StreamMaxLength.
const MAX_CHUNK: usize = 64 * 1024;
/// clamd's reply is one short line.
const MAX_REPLY: u64 = 4096;

enum Addr {
    Tcp(String),
    Unix(PathBuf),
}

pub struct Clamd {
    addr: Addr,
    timeout: Duration,
}

impl Clamd {
    /// `addr`: `host:port`, or a path (starting with `/`, or `unix:`) of clamd's local socket.
    pub fn new(addr: &str, timeout: Duration) -> Self {
        let addr = match addr.strip_prefix("unix:") {
            Some(path) => Addr::Unix(path.into()),
            None if addr.starts_with('/') => Addr::Unix(addr.into()),
            None => Addr::Tcp(addr.to_owned()),
        };
        Self { addr, timeout }
    }

    async fn connect(&self) -> anyhow::Result<Box<dyn Conn>> {
        Ok(match &self.addr {
            Addr::Tcp(addr) => Box::new(tokio::net::TcpStream::connect(addr).await?),
            #[cfg(unix)]
            Addr::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
            #[cfg(not(unix))]
            Addr::Unix(_) => bail!("Unix sockets are not supported here"),
        })
    }
}

trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

#[async_trait]
impl VirusScanner for Clamd {
    async fn start(&self) -> anyhow::Result<Box<dyn ScanStream>> {
        let mut conn = timeout(self.timeout, self.connect())
            .await
            .context("clamd: connect timed out")?
            .context("clamd: cannot connect")?;
        timeout(self.timeout, conn.write_all(b"zINSTREAM\0"))
            .await
            .context("clamd: timed out")??;
        Ok(Box::new(Instream {
            conn,
            timeout: self.timeout,
        }))
    }
}

struct Instream {
    conn: Box<dyn Conn>,
    timeout: Duration,
}

#[async_trait]
impl ScanStream for Instream {
    async fn write(&mut self, chunk: &[u8]) -> anyhow::Result<()> {
        for piece in chunk.chunks(MAX_CHUNK) {
            let len = u32::try_from(piece.len())?.to_be_bytes();
            let send = async {
                self.conn.write_all(&len).await?;
                self.conn.write_all(piece).await
            };
            timeout(self.timeout, send)
                .await
                .context("clamd: timed out")?
                .context("clamd: the stream broke (is StreamMaxLength below the upload limit?)")?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> anyhow::Result<Verdict> {
        let mut reply = Vec::new();
        let exchange = async {
            self.conn.write_all(&0u32.to_be_bytes()).await?;
            self.conn.flush().await?;
            (&mut self.conn)
                .take(MAX_REPLY)
                .read_to_end(&mut reply)
                .await
        };
        timeout(self.timeout, exchange)
            .await
            .context("clamd: no verdict in time")??;
        parse(&reply)
    }
}

/// `stream: OK`, `stream: <signature> FOUND`, or an error line.
fn parse(reply: &[u8]) -> anyhow::Result<Verdict> {
    let text = String::from_utf8_lossy(reply);
    let line = text.trim_end_matches(['\0', '\n', ' ']);
    let verdict = line.strip_prefix("stream: ").unwrap_or(line);
    if verdict == "OK" {
        return Ok(Verdict::Clean);
    }
    if let Some(signature) = verdict.strip_suffix(" FOUND") {
        return Ok(Verdict::Infected(signature.to_owned()));
    }
    bail!("clamd answered {line:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_as_verdicts() {
        assert_eq!(parse(b"stream: OK\0").unwrap(), Verdict::Clean);
        assert_eq!(
            parse(b"stream: Win.Test.EICAR_HDB-1 FOUND\0").unwrap(),
            Verdict::Infected("Win.Test.EICAR_HDB-1".into())
        );
        let error = parse(b"INSTREAM size limit exceeded. ERROR\0").unwrap_err();
        assert!(error.to_string().contains("size limit"));
        assert!(parse(b"").is_err());
    }
}
