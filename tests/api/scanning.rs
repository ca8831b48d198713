//! Virus scanning of uploads against a real clamd (Debian's `clamav-daemon`) loaded with a
//! signature of the test's own, and what uploads get while clamd cannot answer.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;

use crate::attachments::{form, jpeg_with_exif, pdf, post_form, stored_files};
use crate::helpers::{ResponseExt, TestApp, eventually, spawn_app_with};
use chat_server::application::attachments::WhenScannerDown;

/// Bytes the test signature matches wherever they appear in a file.
const MARKER: &[u8] = b"CHAT-SERVER-TEST-MALWARE-7d3f9a";

/// A clamd of this test's own, on a free port, knowing only `MARKER`.
struct PrivateClamd {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl PrivateClamd {
    async fn start() -> PrivateClamd {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("db");
        std::fs::create_dir(&db).expect("database folder");
        let hex: String = MARKER.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(db.join("test.ndb"), format!("ChatTestMalware:0:*:{hex}\n"))
            .expect("signature written");
        let port = free_port();
        let config = dir.path().join("clamd.conf");
        std::fs::write(
            &config,
            format!(
                "Foreground yes\nTCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {}\nStreamMaxLength 30M\n",
                db.display()
            ),
        )
        .expect("config written");
        let child = Command::new(clamd_binary())
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("clamd runs (apt install clamav-daemon)");
        eventually("clamd answers PING", || async move {
            tokio::task::spawn_blocking(move || ping(port))
                .await
                .ok()
                .flatten()
        })
        .await;
        PrivateClamd {
            child,
            port,
            _dir: dir,
        }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for PrivateClamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clamd_binary() -> &'static str {
    if Path::new("/usr/sbin/clamd").exists() {
        "/usr/sbin/clamd"
    } else {
        "clamd"
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn ping(port: u16) -> Option<()> {
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    conn.write_all(b"zPING\0").ok()?;
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).ok()?;
    reply.starts_with(b"PONG").then_some(())
}

fn infected(mut bytes: Vec<u8>, at: usize) -> Vec<u8> {
    let tail = bytes.split_off(at);
    bytes.extend_from_slice(MARKER);
    bytes.extend_from_slice(&tail);
    bytes
}

#[tokio::test]
#[ignore = "needs clamd (Debian's clamav-daemon): run with --include-ignored (CI's second pass does)"]
async fn infected_uploads_are_refused_and_leave_nothing_behind() {
    let clamd = PrivateClamd::start().await;
    let app = spawn_app_with(|s| s.attachments.clamav_addr = clamd.addr()).await;
    let alice = app.register("alice").await;

    // The marker deep inside a streamed file (across many pieces), and after an image's end.
    let files = [
        ("report.pdf", infected(pdf(600_000), 400_001)),
        (
            "photo.jpg",
            infected(jpeg_with_exif(), jpeg_with_exif().len()),
        ),
    ];
    for (name, bytes) in files {
        let response = post_form(&app, &alice, form("file", name, "application/pdf", &bytes)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}"
        );
        assert_eq!(response.problem().await.code, "infected_file");
    }
    assert_eq!(stored_files(&app).await, 0);

    for (name, bytes) in [("clean.pdf", pdf(600_000)), ("clean.jpg", jpeg_with_exif())] {
        let response = post_form(&app, &alice, form("file", name, "application/pdf", &bytes)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
    }
    // A file and an image with its thumbnail.
    assert_eq!(stored_files(&app).await, 3);
}

async fn upload_status(app: &TestApp) -> (StatusCode, Option<String>) {
    let user = app.register("bob").await;
    let response = post_form(
        app,
        &user,
        form("file", "a.pdf", "application/pdf", &pdf(10_000)),
    )
    .await;
    let status = response.status();
    if status.is_success() {
        (status, None)
    } else {
        (status, Some(response.problem().await.code))
    }
}

#[tokio::test]
async fn while_the_scanner_is_down_uploads_are_refused_or_kept_unscanned_as_set() {
    // Nothing listens there: the port was free a moment ago and is not bound again.
    let nowhere = format!("127.0.0.1:{}", free_port());
    let refusing = spawn_app_with(|s| s.attachments.clamav_addr = nowhere.clone()).await;
    assert_eq!(
        upload_status(&refusing).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("scanner_unavailable".into())
        )
    );
    assert_eq!(stored_files(&refusing).await, 0);

    let accepting = spawn_app_with(|s| {
        s.attachments.clamav_addr = nowhere.clone();
        s.attachments.clamav_when_down = WhenScannerDown::Accept;
    })
    .await;
    assert_eq!(upload_status(&accepting).await, (StatusCode::CREATED, None));
    assert_eq!(stored_files(&accepting).await, 1);
    let metrics = accepting
        .get("/metrics", None)
        .await
        .text()
        .await
        .expect("metrics");
    assert!(
        metrics.contains("attachments_scanned_total{result=\"unscanned\"}"),
        "the unscanned upload is counted"
    );
}
