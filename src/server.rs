//! HTTP in front of the protocol: any path, POST, `X-Amz-Target` naming the operation.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use password_reset::ResetService;
use password_reset::domain::caller::Caller;
use password_reset::domain::time::UnixTime;
use password_reset::protocol::{self, CONTENT_TYPE};

async fn cognito(
    State(service): State<Arc<ResetService>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let mut rng = password_reset::request_rng();
    // The TCP peer is the caller: no forwarding header is believed (the runner is not behind a
    // proxy it could trust).
    let caller = Caller::peer(peer.ip());
    let reply = protocol::serve(&service, target, &body, &caller, UnixTime::now(), &mut rng).await;
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, reply.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Some(kind) = reply.error_type {
        headers.insert("x-amzn-errortype", HeaderValue::from_static(kind));
    }
    response
}

/// `GET /metrics`: the counts the functions publish to CloudWatch, in Prometheus text.
async fn metrics(State(handle): State<PrometheusHandle>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

/// Cognito's protocol on every path; `GET /metrics` too when a recorder is given.
pub fn router(service: ResetService, metrics_handle: Option<PrometheusHandle>) -> Router {
    let cognito = Router::new()
        .fallback(cognito)
        .with_state(Arc::new(service));
    match metrics_handle {
        Some(handle) => Router::new()
            .route("/metrics", get(metrics))
            .with_state(handle)
            .merge(cognito),
        None => cognito,
    }
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    service: ResetService,
    metrics_handle: Option<PrometheusHandle>,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(service, metrics_handle).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
