//! Requests that ask to upgrade the connection. They go through the application like any
//! other (routes, middleware, problem responses); when the handler accepts a WebSocket (`accept`
//! leaves a `Takeover` in its 101 response), the socket leaves the HTTP/1 dispatcher, and the
//! dispatcher's two 8 KiB buffers with it, for the handler's own connection future. That
//! future runs in the upgrade's place, so a graceful stop still waits for it.

use std::future::{Future, poll_fn};
use std::pin::Pin;

use actix_codec::Framed;
use actix_http::body::{BodySize, MessageBody};
use actix_http::{ConnectionType, Request, Response, h1};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use tokio::net::TcpStream;

use crate::presentation::ws::socket::{self, Frames, Session};

type Connection = Pin<Box<dyn Future<Output = ()>>>;

/// What an accepted upgrade runs once it owns the socket.
struct Takeover(Box<dyn FnOnce(Session, Frames) -> Connection>);

/// Accepts `req`'s WebSocket handshake: the 101 to answer with; once it is written, the
/// connection is `serve`d.
pub fn accept<F>(
    req: &HttpRequest,
    serve: impl FnOnce(Session, Frames) -> F + 'static,
) -> Result<HttpResponse, actix_web::Error>
where
    F: Future<Output = ()> + 'static,
{
    actix_http::ws::verify_handshake(req.head())?;
    let key = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|key| actix_http::ws::hash_key(key.as_bytes()))
        .unwrap_or_default();
    let mut response = HttpResponse::SwitchingProtocols()
        .upgrade("websocket")
        .insert_header((header::SEC_WEBSOCKET_ACCEPT, key.as_slice()))
        .finish();
    response
        .extensions_mut()
        .insert(Takeover(Box::new(|session, frames| {
            Box::pin(serve(session, frames))
        })));
    Ok(response)
}

/// Answers one upgrade request with `app`. A refusal is written whole and ends the
/// connection: a client that asked to upgrade does not expect to go on speaking HTTP.
pub async fn serve<S, B>(
    app: &S,
    req: Request,
    mut framed: Framed<TcpStream, h1::Codec>,
) -> Result<(), actix_web::Error>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    // Boxed: this future lives as long as the connection, the application's only briefly.
    let response: Response<_> = match Box::pin(app.call(req)).await {
        Ok(response) => Response::from(response).map_into_boxed_body(),
        Err(error) => error.error_response().map_into_boxed_body().into(),
    };
    let (mut head, body) = response.into_parts();
    let takeover = head.extensions_mut().remove::<Takeover>();
    if let Some(Takeover(start)) = takeover.filter(|_| head.head().upgrade()) {
        write(&mut framed, h1::Message::Item((head, BodySize::None))).await?;
        let parts = framed.into_parts();
        let (session, frames) = socket::split(parts.io, &parts.read_buf);
        // The dispatcher's buffers go now, not when the connection ends.
        drop(parts.read_buf);
        drop(parts.write_buf);
        start(session, frames).await;
        return Ok(());
    }
    let body = actix_web::body::to_bytes(body).await.unwrap_or_default();
    head.head_mut().set_connection_type(ConnectionType::Close);
    let size = BodySize::Sized(body.len() as u64);
    write(&mut framed, h1::Message::Item((head, size))).await?;
    write(&mut framed, h1::Message::Chunk(Some(body))).await?;
    write(&mut framed, h1::Message::Chunk(None)).await?;
    poll_fn(|cx| Pin::new(&mut framed).close(cx)).await?;
    Ok(())
}

async fn write(
    framed: &mut Framed<TcpStream, h1::Codec>,
    message: h1::Message<(Response<()>, BodySize)>,
) -> Result<(), std::io::Error> {
    Pin::new(&mut *framed).write(message)?;
    poll_fn(|cx| Pin::new(&mut *framed).flush(cx)).await
}
