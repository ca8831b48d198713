//! Virus scanning of uploads: the scanner port, and the rule for when it cannot answer.

use std::sync::Arc;

use async_trait::async_trait;

use crate::application::error::AppError;

/// What a scanner says of a whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// The signature's name.
    Infected(String),
}

/// Scans files as they stream in (clamd's INSTREAM, for one).
#[async_trait]
pub trait VirusScanner: Send + Sync {
    /// Opens the scan of one file; `Err` when the scanner cannot be reached.
    async fn start(&self) -> anyhow::Result<Box<dyn ScanStream>>;
}

/// One file on its way to the scanner.
#[async_trait]
pub trait ScanStream: Send {
    async fn write(&mut self, chunk: &[u8]) -> anyhow::Result<()>;
    async fn finish(self: Box<Self>) -> anyhow::Result<Verdict>;
}

/// What an upload gets while the scanner cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WhenScannerDown {
    /// 503 `scanner_unavailable`: nothing unscanned is ever stored.
    Refuse,
    /// Stored unscanned, logged and counted.
    Accept,
}

/// The scanner, if one is configured, and its fallback.
#[derive(Clone)]
pub struct Scanning {
    pub scanner: Option<Arc<dyn VirusScanner>>,
    pub when_down: WhenScannerDown,
}

impl Scanning {
    pub fn off() -> Self {
        Self {
            scanner: None,
            when_down: WhenScannerDown::Refuse,
        }
    }

    /// Starts the scan of one upload. Refused at once when the scanner is down and the rule
    /// says so, before a byte is stored.
    pub async fn begin(&self) -> Result<FileScan, AppError> {
        let Some(scanner) = &self.scanner else {
            return Ok(FileScan::new(None, self.when_down));
        };
        match scanner.start().await {
            Ok(stream) => Ok(FileScan::new(Some(stream), self.when_down)),
            Err(error) => {
                let mut scan = FileScan::new(None, self.when_down);
                scan.broken(&error)?;
                Ok(scan)
            }
        }
    }
}

/// The scan of one upload: fed every chunk, then asked for its verdict before the file is kept.
pub struct FileScan {
    stream: Option<Box<dyn ScanStream>>,
    when_down: WhenScannerDown,
    /// The scanner failed part-way (or could not be reached) and the rule let the file through.
    unscanned: bool,
}

impl FileScan {
    fn new(stream: Option<Box<dyn ScanStream>>, when_down: WhenScannerDown) -> Self {
        Self {
            stream,
            when_down,
            unscanned: false,
        }
    }

    pub async fn feed(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        let Some(stream) = &mut self.stream else {
            return Ok(());
        };
        if let Err(error) = stream.write(chunk).await {
            self.stream = None;
            self.broken(&error)?;
        }
        Ok(())
    }

    /// `Ok` when the file may be kept: clean, or unscanned by the rule.
    pub async fn verdict(mut self) -> Result<(), AppError> {
        let Some(stream) = self.stream.take() else {
            if self.unscanned {
                count("unscanned");
            }
            // Otherwise no scanner is configured.
            return Ok(());
        };
        match stream.finish().await {
            Ok(Verdict::Clean) => {
                count("clean");
                Ok(())
            }
            Ok(Verdict::Infected(signature)) => {
                tracing::warn!(%signature, "infected upload refused");
                count("infected");
                Err(AppError::Unprocessable("infected_file"))
            }
            Err(error) => {
                self.broken(&error)?;
                count("unscanned");
                Ok(())
            }
        }
    }

    fn broken(&mut self, error: &anyhow::Error) -> Result<(), AppError> {
        match self.when_down {
            WhenScannerDown::Refuse => {
                tracing::error!(error = %format!("{error:#}"), "virus scanner unavailable: upload refused");
                count("refused");
                Err(AppError::Unavailable("scanner_unavailable"))
            }
            WhenScannerDown::Accept => {
                tracing::warn!(error = %format!("{error:#}"), "virus scanner unavailable: upload kept unscanned");
                self.unscanned = true;
                Ok(())
            }
        }
    }
}

fn count(result: &'static str) {
    metrics::counter!("attachments_scanned_total", "result" => result).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Says `Infected` when the bytes hold `VIRUS`; fails when told to, at start or mid-file.
    struct Fake {
        down: bool,
        fail_after: Option<usize>,
    }

    struct FakeStream {
        seen: Vec<u8>,
        fail_after: Option<usize>,
    }

    #[async_trait]
    impl VirusScanner for Fake {
        async fn start(&self) -> anyhow::Result<Box<dyn ScanStream>> {
            anyhow::ensure!(!self.down, "connection refused");
            Ok(Box::new(FakeStream {
                seen: Vec::new(),
                fail_after: self.fail_after,
            }))
        }
    }

    #[async_trait]
    impl ScanStream for FakeStream {
        async fn write(&mut self, chunk: &[u8]) -> anyhow::Result<()> {
            self.seen.extend_from_slice(chunk);
            match self.fail_after {
                Some(limit) if self.seen.len() > limit => anyhow::bail!("broken pipe"),
                _ => Ok(()),
            }
        }
        async fn finish(self: Box<Self>) -> anyhow::Result<Verdict> {
            let found = self.seen.windows(5).any(|w| w == b"VIRUS");
            Ok(if found {
                Verdict::Infected("Test".into())
            } else {
                Verdict::Clean
            })
        }
    }

    fn scanning(down: bool, fail_after: Option<usize>, when_down: WhenScannerDown) -> Scanning {
        Scanning {
            scanner: Some(Arc::new(Fake { down, fail_after })),
            when_down,
        }
    }

    async fn scan(scanning: &Scanning, chunks: &[&[u8]]) -> Result<(), AppError> {
        let mut scan = scanning.begin().await?;
        for chunk in chunks {
            scan.feed(chunk).await?;
        }
        scan.verdict().await
    }

    #[tokio::test]
    async fn a_signature_split_across_chunks_is_found() {
        let scanning = scanning(false, None, WhenScannerDown::Refuse);
        assert!(scan(&scanning, &[b"clean ", b"bytes"]).await.is_ok());
        let refused = scan(&scanning, &[b"a VI", b"RUS inside"])
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "infected_file");
    }

    #[tokio::test]
    async fn a_scanner_that_cannot_answer_refuses_or_lets_through_by_the_rule() {
        for fail_after in [None, Some(3)] {
            let down = fail_after.is_none();
            let refuse = scanning(down, fail_after, WhenScannerDown::Refuse);
            let refused = scan(&refuse, &[b"VIRUS", b"more"]).await.unwrap_err();
            assert_eq!(refused.code(), "scanner_unavailable");
            let accept = scanning(down, fail_after, WhenScannerDown::Accept);
            assert!(scan(&accept, &[b"VIRUS", b"more"]).await.is_ok());
        }
    }

    #[tokio::test]
    async fn without_a_scanner_every_file_passes() {
        assert!(scan(&Scanning::off(), &[b"VIRUS"]).await.is_ok());
    }
}
