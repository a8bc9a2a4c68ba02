//! HTTP in front of the protocol: any path, POST, `X-Amz-Target` naming the operation; `GET /` is
//! the reset page. CORS as the HTTP API declares it (`password_reset::entry::cors`), and an
//! `x-amzn-RequestId` on every answer, in the request's log lines too.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::PrometheusHandle;
use password_reset::ResetService;
use password_reset::domain::caller::Caller;
use password_reset::domain::time::UnixTime;
use password_reset::entry::cors::{self, AllowedOrigins};
use password_reset::entry::protocol::{self, ERROR_TYPE, REQUEST_ID};
use password_reset::entry::reset_page::{self, Page};
use rand::RngExt;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

struct App {
    service: ResetService,
    page: Page,
    /// The counts the functions publish to CloudWatch, at `GET /metrics` (Prometheus text).
    metrics: Option<PrometheusHandle>,
}

/// Every request: the reset page at `GET /`, the metrics at `GET /metrics`, Cognito's protocol anywhere else (any path, as the
/// SDKs' `--endpoint-url` may carry one).
async fn dispatch(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::GET || method == Method::HEAD {
        match (uri.path(), &app.metrics) {
            ("/", _) => return app.page.response().into_response(),
            ("/metrics", Some(metrics)) => {
                let text = [(header::CONTENT_TYPE, "text/plain; version=0.0.4")];
                return (text, metrics.render()).into_response();
            }
            _ => {}
        }
    }
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let mut rng = password_reset::request_rng();
    // The TCP peer is the caller: no forwarding header is believed (the runner is not behind a
    // proxy it could trust).
    let caller = Caller::peer(peer.ip());
    let reply = protocol::serve(
        &app.service,
        target,
        &body,
        &caller,
        UnixTime::now(),
        &mut rng,
    )
    .await;
    reply.into_response().into_response()
}

/// The CORS layer for `origins`, with the library's methods, headers and max-age.
pub fn cors_layer(origins: &AllowedOrigins) -> CorsLayer {
    let allow_origin = match origins {
        AllowedOrigins::Any => AllowOrigin::any(),
        AllowedOrigins::List(list) => {
            AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
        }
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods(
            cors::ALLOW_METHODS
                .iter()
                .filter_map(|m| Method::from_bytes(m.as_bytes()).ok())
                .collect::<Vec<_>>(),
        )
        .allow_headers(cors::ALLOW_HEADERS.map(HeaderName::from_static))
        .expose_headers(cors::EXPOSE_HEADERS.map(HeaderName::from_static))
        .max_age(Duration::from_secs(cors::MAX_AGE_SECONDS.into()))
}

/// A fresh id per request (a random UUID, as Cognito's), on the answer and on every log line of the
/// request; a preflight answers 204 No Content, as API Gateway's does.
async fn request_id(request: Request, next: Next) -> Response {
    let id = uuid::Builder::from_random_bytes(rand::rng().random()).into_uuid();
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let method = request.method().clone();
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span.clone()).await;
    if preflight && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let error = response
        .headers()
        .get(ERROR_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info!(parent: &span, %method, status = response.status().as_u16(), error, "answered");
    response
}

pub fn router(
    service: ResetService,
    origins: &AllowedOrigins,
    metrics: Option<PrometheusHandle>,
) -> Router {
    let page = reset_page::for_pool(&service.pool);
    Router::new()
        .fallback(dispatch)
        .with_state(Arc::new(App {
            service,
            page,
            metrics,
        }))
        .layer(cors_layer(origins))
        .layer(middleware::from_fn(request_id))
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    service: ResetService,
    origins: &AllowedOrigins,
    metrics: Option<PrometheusHandle>,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(service, origins, metrics).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
