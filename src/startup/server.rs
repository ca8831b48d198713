//! The HTTP server: the application on actix-http's HTTP/1 service, configured as actix-web's
//! `HttpServer` would, plus an upgrade path (`presentation/upgrade.rs`) that hands each
//! accepted WebSocket its socket.

use std::net::{SocketAddr, TcpListener};
use std::rc::Rc;
use std::time::Duration;

use actix_http::{HttpService, KeepAlive, Request};
use actix_service::IntoServiceFactory;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, ServiceFactory, ServiceResponse, fn_factory, fn_service};
use tokio::sync::OnceCell;

use crate::presentation::upgrade;

/// What `HttpServer` gives its application: the listening address, as host when a request
/// names none.
fn app_config(addr: SocketAddr) -> AppConfig {
    AppConfig::__priv_test_new(false, addr.to_string(), addr)
}

/// Serves `app` on `listener` with `workers` threads; `shutdown_timeout` bounds how long a
/// graceful stop waits for open connections.
pub fn serve<F, I, S, B>(
    listener: TcpListener,
    workers: usize,
    shutdown_timeout: u64,
    app: F,
) -> std::io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<
            Request,
            Config = AppConfig,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let addr = listener.local_addr()?;
    let builder = Server::build();
    let signal = builder.graceful_shutdown_signal();
    let server = builder
        .listen("chat-server", listener, move || {
            let signal = signal.clone();
            // One application per worker, for plain requests and upgrades alike.
            let shared = Rc::new(OnceCell::new());
            let app = app.clone();
            let instance = move || {
                let (shared, app) = (shared.clone(), app.clone());
                async move {
                    let built = shared.get_or_try_init(|| async {
                        let service = app().into_factory().new_service(app_config(addr));
                        service.await.map(Rc::new)
                    });
                    built.await.cloned()
                }
            };
            let requests = fn_factory(instance.clone());
            let upgrade = fn_factory(move || {
                let instance = instance();
                async move {
                    let service = instance.await?;
                    Ok::<_, ()>(fn_service(move |(req, framed)| {
                        let service = service.clone();
                        async move { upgrade::serve(service.as_ref(), req, framed).await }
                    }))
                }
            });
            HttpService::build()
                // Small frames (an ack, then its event) go out at once instead of waiting for
                // the peer's delayed ACK of the one before (up to 40 ms).
                .tcp_nodelay(true)
                .keep_alive(KeepAlive::Timeout(Duration::from_secs(5)))
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .h1_allow_half_closed(true)
                .local_addr(addr)
                .graceful_shutdown_signal(move || {
                    let signal = signal.clone();
                    async move { signal.notified().await }
                })
                .upgrade(upgrade)
                .finish(requests)
                .tcp()
        })?
        .workers(workers)
        .shutdown_timeout(shutdown_timeout)
        .disable_signals()
        .run();
    Ok(server)
}
