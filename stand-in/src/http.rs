//! The HTTP/1.1 plumbing shared by the AWS stand-in and the Runtime API emulator.
//!
//! Handlers see a fully buffered request and return a [`Reply`]. Returning
//! `None` closes the connection without writing a response, which is how a
//! dropped connection is simulated.

use std::collections::hash_map::RandomState;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

pub(crate) type HttpResponse = Response<Full<Bytes>>;

/// `None` means "close the connection without answering".
pub(crate) type Reply = Option<HttpResponse>;

type BoxError = Box<dyn Error + Send + Sync>;

/// A listening server. Dropping it stops accepting and closes every open
/// connection, so a test that finishes early does not leave long-polls or
/// half-answered requests behind.
pub(crate) struct Server {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    pub(crate) async fn bind<H, F>(addr: SocketAddr, handler: H) -> io::Result<Self>
    where
        H: Fn(Parts, Bytes) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Reply> + Send + 'static,
    {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(accept_loop(listener, handler));
        Ok(Self { addr, task })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop<H, F>(listener: TcpListener, handler: H)
where
    H: Fn(Parts, Bytes) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    // Connections are owned by this task, so aborting it (see `Server::drop`)
    // tears them all down too.
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Accept errors (e.g. out of file descriptors) are usually
                // transient; back off briefly instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let handler = handler.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| serve_one(handler.clone(), request));
            // A failed connection is either a client that went away or a
            // deliberately dropped one; neither is worth reporting.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn serve_one<H, F>(handler: H, request: Request<Incoming>) -> Result<HttpResponse, BoxError>
where
    H: Fn(Parts, Bytes) -> F,
    F: Future<Output = Reply>,
{
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    // hyper closes the connection without writing anything when the service
    // fails, which is exactly what a dropped connection should look like.
    handler(parts, body)
        .await
        .ok_or_else(|| DroppedOnPurpose.into())
}

#[derive(Debug)]
struct DroppedOnPurpose;

impl fmt::Display for DroppedOnPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl Error for DroppedOnPurpose {}

/// Builds a response. Header values that are not valid HTTP (possible when a
/// test injects an odd error type) are skipped rather than failing the reply.
pub(crate) fn respond(
    status: u16,
    content_type: &'static str,
    headers: &[(&'static str, &str)],
    body: impl Into<Bytes>,
) -> HttpResponse {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    map.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            map.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

/// A fresh UUID-shaped identifier for request ids, message ids and the like.
///
/// Only uniqueness matters here, so std's randomly keyed hasher stands in for
/// a UUID library.
pub(crate) fn new_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let random = || {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.finish()
    };
    let (high, low) = (random(), random());
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xfff,
        low >> 52,
        low & 0xffff_ffff_ffff
    )
}

/// Seconds since the Unix epoch, the timestamp format of awsJson protocols.
pub(crate) fn epoch_seconds() -> f64 {
    since_epoch().as_secs_f64()
}

pub(crate) fn since_epoch() -> Duration {
    // A clock before 1970 is not worth failing a test over.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}
