//! WebSocket framing over the socket itself, once the HTTP server has handed it over (see
//! `presentation/upgrade.rs`). Buffers exist only while a frame is on its way in or out, so an
//! idle connection holds none: the HTTP/1 dispatcher kept 16 KiB per connection for its life.

use std::io;

use actix_codec::{Decoder, Encoder};
use actix_http::ws::{Codec, Frame, Item, Message, ProtocolError};
use actix_web::web::{Bytes, BytesMut};
use bytes::Buf;
use bytestring::ByteString;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub use actix_http::ws::{CloseCode, CloseReason};

/// Largest frame a client may send.
const MAX_FRAME: usize = 64 * 1024;

/// Largest message a client may send in continuation frames.
const MAX_MESSAGE: usize = 256 * 1024;

/// Most bytes taken from the socket per read.
const READ_CHUNK: usize = 4096;

/// A message from the client, continuations joined.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Text(ByteString),
    Binary(Bytes),
    Ping(Bytes),
    Pong(Bytes),
    Close(Option<CloseReason>),
}

/// The connection is gone, or closed by this side.
#[derive(Debug)]
pub struct Closed;

/// Splits an upgraded connection into its two directions; `read` is what the client sent
/// right after its handshake, before the hand-over (copied: it sits in a larger buffer).
pub fn split(io: TcpStream, read: &[u8]) -> (Session, Frames) {
    let (reader, writer) = io.into_split();
    let session = Session {
        io: writer,
        pending: BytesMut::new(),
        codec: Codec::new(),
        closed: false,
    };
    let frames = Frames {
        io: reader,
        read: BytesMut::from(read),
        codec: Codec::new().max_size(MAX_FRAME),
        joining: None,
        ended: false,
    };
    (session, frames)
}

/// The writing half.
pub struct Session {
    io: OwnedWriteHalf,
    /// Frames encoded and not yet taken by the kernel. Kept across a cancelled write, so a
    /// frame is never cut: what a timeout left here goes out before the close frame.
    pending: BytesMut,
    codec: Codec,
    closed: bool,
}

impl Session {
    pub async fn text(&mut self, text: impl Into<ByteString>) -> Result<(), Closed> {
        self.send(Message::Text(text.into())).await
    }

    pub async fn ping(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        self.send(Message::Ping(Bytes::copy_from_slice(bytes)))
            .await
    }

    pub async fn pong(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        self.send(Message::Pong(Bytes::copy_from_slice(bytes)))
            .await
    }

    /// Sends the close frame after anything still pending, then ends the writing direction.
    pub async fn close(mut self, reason: Option<CloseReason>) -> Result<(), Closed> {
        self.send(Message::Close(reason)).await?;
        self.closed = true;
        let _ = self.io.shutdown().await;
        Ok(())
    }

    async fn send(&mut self, message: Message) -> Result<(), Closed> {
        if self.closed {
            return Err(Closed);
        }
        if self.codec.encode(message, &mut self.pending).is_err() {
            return Err(Closed);
        }
        self.flush().await
    }

    /// Cancel-safe: each write either took bytes, which leave `pending`, or took none.
    async fn flush(&mut self) -> Result<(), Closed> {
        while !self.pending.is_empty() {
            match self.io.write(&self.pending).await {
                Ok(0) | Err(_) => {
                    self.closed = true;
                    return Err(Closed);
                }
                Ok(written) => self.pending.advance(written),
            }
        }
        // Nothing held between frames.
        self.pending = BytesMut::new();
        Ok(())
    }
}

/// The reading half.
pub struct Frames {
    io: OwnedReadHalf,
    read: BytesMut,
    codec: Codec,
    /// A message arriving in continuation frames: whether it is text, and its parts so far.
    joining: Option<(bool, BytesMut)>,
    ended: bool,
}

impl Frames {
    /// The next message; `None` once the connection has ended. Cancel-safe: what was read
    /// stays buffered for the next call.
    pub async fn recv(&mut self) -> Option<Result<Incoming, ProtocolError>> {
        loop {
            if self.ended {
                return None;
            }
            match self.codec.decode(&mut self.read) {
                Ok(Some(frame)) => {
                    if self.read.is_empty() {
                        // Nothing held while idle.
                        self.read = BytesMut::new();
                    }
                    match self.join(frame) {
                        Ok(Some(message)) => return Some(Ok(message)),
                        Ok(None) => continue,
                        Err(error) => return Some(Err(self.end(error))),
                    }
                }
                Ok(None) => {}
                Err(error) => return Some(Err(self.end(error))),
            }
            if let Err(error) = self.io.readable().await {
                return Some(Err(self.end(error.into())));
            }
            // Read on the stack and keep only what came: a wake-up with nothing to read, or a
            // pong, must not leave a buffer behind.
            let mut chunk = [0u8; READ_CHUNK];
            match self.io.try_read(&mut chunk) {
                Ok(0) => {
                    self.ended = true;
                    return None;
                }
                Ok(read) => self.read.extend_from_slice(&chunk[..read]),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Some(Err(self.end(error.into()))),
            }
        }
    }

    fn end(&mut self, error: ProtocolError) -> ProtocolError {
        self.ended = true;
        error
    }

    /// A whole message, `None` while one is still arriving in parts.
    fn join(&mut self, frame: Frame) -> Result<Option<Incoming>, ProtocolError> {
        let (starts, part, last) = match frame {
            Frame::Text(bytes) => return text(bytes).map(Some),
            Frame::Binary(bytes) => return Ok(Some(Incoming::Binary(bytes))),
            Frame::Ping(bytes) => return Ok(Some(Incoming::Ping(bytes))),
            Frame::Pong(bytes) => return Ok(Some(Incoming::Pong(bytes))),
            Frame::Close(reason) => return Ok(Some(Incoming::Close(reason))),
            Frame::Continuation(Item::FirstText(bytes)) => (Some(true), bytes, false),
            Frame::Continuation(Item::FirstBinary(bytes)) => (Some(false), bytes, false),
            Frame::Continuation(Item::Continue(bytes)) => (None, bytes, false),
            Frame::Continuation(Item::Last(bytes)) => (None, bytes, true),
        };
        if let Some(is_text) = starts {
            self.joining = Some((is_text, BytesMut::new()));
        }
        let Some((is_text, parts)) = self.joining.as_mut() else {
            return Err(ProtocolError::ContinuationNotStarted);
        };
        if parts.len() + part.len() > MAX_MESSAGE {
            return Err(ProtocolError::Overflow);
        }
        parts.extend_from_slice(&part);
        if !last {
            return Ok(None);
        }
        let is_text = *is_text;
        let whole = self.joining.take().map(|(_, parts)| parts.freeze());
        let whole = whole.unwrap_or_default();
        if is_text {
            text(whole).map(Some)
        } else {
            Ok(Some(Incoming::Binary(whole)))
        }
    }
}

fn text(bytes: Bytes) -> Result<Incoming, ProtocolError> {
    ByteString::try_from(bytes)
        .map(Incoming::Text)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()).into())
}
