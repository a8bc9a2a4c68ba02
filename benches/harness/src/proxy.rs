//! A proxy on loopback in front of moto: TLS terminated with a certificate of a bench CA (or plain
//! HTTP on a second port), every AWS call lasting a fixed delay (moto's time inside it), each call's
//! start and end recorded, so a
//! bootstrap pays what an in-region call costs it (handshake, latency) and its chain of calls can
//! be read back.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One AWS call as the proxy saw it: from its request's arrival to its answer's departure.
#[derive(Clone, Debug)]
pub struct Call {
    pub name: String,
    pub start: Instant,
    pub end: Instant,
}

struct Shared {
    upstream: String,
    delay: Duration,
    client: Client<HttpConnector, Full<Bytes>>,
    calls: Mutex<Vec<Call>>,
    handshakes: AtomicUsize,
}

/// The proxy serving; dropping it stops it.
pub struct Proxy {
    /// The TLS port of each name asked for: one host per AWS service, as in a region, so each
    /// service's connection is opened (and its handshake paid) on its own.
    pub tls_ports: BTreeMap<String, u16>,
    pub plain_port: u16,
    shared: Arc<Shared>,
    servers: Vec<JoinHandle<()>>,
}

impl Proxy {
    /// Serves TLS with `cert` (PEM chain) and `key` (PEM) on one port per name in `names`, and
    /// plain HTTP on one more, forwarding to `upstream` (`http://host:port`) and answering `delay` after the request came
    /// (later only when moto took longer).
    pub async fn start(
        names: &[String],
        cert: &Path,
        key: &Path,
        upstream: &str,
        delay: Duration,
    ) -> Result<Proxy, Error> {
        let chain = CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?;
        let key = PrivateKeyDer::from_pem_file(key)?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        // HTTP/1.1 only: one call per request on a connection, as the SDK's default client uses.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            delay,
            client: Client::builder(TokioExecutor::new()).build_http(),
            calls: Mutex::new(Vec::new()),
            handshakes: AtomicUsize::new(0),
        });
        let mut tls_ports = BTreeMap::new();
        let mut servers = Vec::new();
        for name in names {
            let tls = TcpListener::bind("127.0.0.1:0").await?;
            tls_ports.insert(name.clone(), tls.local_addr()?.port());
            servers.push(tokio::spawn(serve(
                tls,
                Some(acceptor.clone()),
                shared.clone(),
            )));
        }
        let plain = TcpListener::bind("127.0.0.1:0").await?;
        let plain_port = plain.local_addr()?.port();
        servers.push(tokio::spawn(serve(plain, None, shared.clone())));
        Ok(Proxy {
            tls_ports,
            plain_port,
            shared,
            servers,
        })
    }

    /// TLS handshakes completed since the last call.
    pub fn take_handshakes(&self) -> usize {
        self.shared.handshakes.swap(0, Ordering::Relaxed)
    }

    /// The calls recorded since the last `take`.
    pub fn take(&self) -> Vec<Call> {
        match self.shared.calls.lock() {
            Ok(mut calls) => std::mem::take(&mut *calls),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for server in &self.servers {
            server.abort();
        }
    }
}

async fn serve(listener: TcpListener, tls: Option<TlsAcceptor>, shared: Arc<Shared>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let tls = tls.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let for_service = shared.clone();
            let service = hyper::service::service_fn(move |req| forward(req, for_service.clone()));
            let http = hyper::server::conn::http1::Builder::new();
            match tls {
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        shared.handshakes.fetch_add(1, Ordering::Relaxed);
                        let _ = http.serve_connection(TokioIo::new(stream), service).await;
                    }
                }
                None => {
                    let _ = http.serve_connection(TokioIo::new(tcp), service).await;
                }
            }
        });
    }
}

async fn forward(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let start = Instant::now();
    let name = call_name(&req);
    let answer = async {
        let (mut parts, body) = req.into_parts();
        let body = body.collect().await?.to_bytes();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        parts.uri = format!("{}{path}", shared.upstream).parse()?;
        let response = shared
            .client
            .request(Request::from_parts(parts, Full::new(body)))
            .await?;
        let (mut parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        // The call takes the delay in all, moto's own time inside it (as a regional call's server
        // time is inside its round trip); only a slower moto makes it longer.
        tokio::time::sleep_until((start + shared.delay).into()).await;
        // Hop-by-hop: moto's server closes each connection; a regional endpoint keeps it open.
        for hop in ["connection", "keep-alive", "transfer-encoding"] {
            parts.headers.remove(hop);
        }
        Ok::<_, Error>(Response::from_parts(parts, Full::new(body)))
    }
    .await;
    let response = answer.unwrap_or_else(|e| {
        let mut r = Response::new(Full::new(Bytes::from(format!("proxy: {e}"))));
        *r.status_mut() = StatusCode::BAD_GATEWAY;
        r
    });
    let call = Call {
        name,
        start,
        end: Instant::now(),
    };
    match shared.calls.lock() {
        Ok(mut calls) => calls.push(call),
        Err(poisoned) => poisoned.into_inner().push(call),
    }
    Ok(response)
}

/// "service Operation": the JSON protocols' X-Amz-Target, SES v2's REST paths by name.
fn call_name<B>(req: &Request<B>) -> String {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    // Credential=AKID/date/region/SERVICE/aws4_request
    let service = header("authorization")
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("?")
        .to_string();
    let target = header("x-amz-target");
    let op = if let Some((_, op)) = target.rsplit_once('.') {
        op.to_string()
    } else {
        let path = req.uri().path();
        match (req.method().as_str(), path) {
            (_, p) if p.starts_with("/v2/email/identities/") => "GetEmailIdentity".into(),
            (_, "/v2/email/account") => "GetAccount".into(),
            (_, "/v2/email/outbound-emails") => "SendEmail".into(),
            (m, p) => format!("{m} {p}"),
        }
    };
    format!("{service} {op}")
}

/// The longest chain of calls each of which starts after the one before it ended: how many
/// round trips the caller waited for one after the other.
pub fn depth(calls: &[Call]) -> usize {
    let mut sorted: Vec<&Call> = calls.iter().collect();
    sorted.sort_by_key(|c| c.start);
    let mut chain = vec![0usize; sorted.len()];
    for i in 0..sorted.len() {
        let before = (0..i)
            .filter(|&j| sorted[j].end <= sorted[i].start)
            .map(|j| chain[j])
            .max()
            .unwrap_or(0);
        chain[i] = before + 1;
    }
    chain.into_iter().max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(start: u64, end: u64) -> Call {
        let t0 = Instant::now();
        Call {
            name: String::new(),
            start: t0 + Duration::from_millis(start),
            end: t0 + Duration::from_millis(end),
        }
    }

    #[test]
    fn depth_counts_calls_waited_for_in_turn() {
        assert_eq!(depth(&[]), 0);
        // a, then b and c together, then d: three round trips in turn.
        let calls = [call(0, 10), call(11, 20), call(12, 30), call(31, 40)];
        assert_eq!(depth(&calls), 3);
        // All four at once: one.
        let calls = [call(0, 10), call(1, 10), call(2, 12), call(3, 9)];
        assert_eq!(depth(&calls), 1);
    }
}
