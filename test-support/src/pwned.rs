//! A stand-in for Have I Been Pwned's range API (`GET /range/{prefix}`), owned by the tests: it
//! knows a few breached passwords (by their SHA-1's suffix, with a count), answers a range as the
//! API does (`SUFFIX:COUNT` lines, CRLF), adds padding lines with count 0 when `Add-Padding: true`
//! is sent, and records every request whole (method, path and query, headers, body).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sha1::{Digest, Sha1};

/// Breached, meets the demo pool's policy, and is on no embedded list (a random-looking one).
pub const BREACHED_PASSWORD: &str = "Vq8#tLr2!Wm9zKp4";
/// Another breached one, for a second range.
pub const ALSO_BREACHED: &str = "Hn3$Xy7&Bd5qRt2w";
/// Not breached, but its suffix comes back as a padding line (count 0) in its own range.
pub const PADDED_PASSWORD: &str = "Jc6@Fw1%Ps8nGe3u";

/// The password's SHA-1 in upper-case hex.
pub fn sha1_hex(password: &str) -> String {
    Sha1::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// One request, as the stand-in received it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl SeenRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Everything received, as text: for "never sent" checks.
    pub fn whole(&self) -> String {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        format!(
            "{} {}\n{}\n{}",
            self.method,
            self.target,
            headers.join("\n"),
            String::from_utf8_lossy(&self.body)
        )
    }
}

/// How the stand-in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Serving,
    /// Accepts the request and never answers (past any timeout).
    Stalled,
    /// Answers 200 with a body that is no range.
    Garbage,
}

struct State {
    /// (full hash, count): count 0 is padding.
    known: Vec<(String, u64)>,
    seen: Mutex<Vec<SeenRequest>>,
    mode: Mutex<Mode>,
}

pub struct PwnedStandIn {
    /// `http://127.0.0.1:PORT`, the base of `/range/{prefix}`.
    pub url: String,
    state: Arc<State>,
}

impl PwnedStandIn {
    /// Serves on a free loopback port from its own thread and runtime (a stall there holds no
    /// test's runtime), knowing [`BREACHED_PASSWORD`] and [`ALSO_BREACHED`] as breached and
    /// [`PADDED_PASSWORD`] as padding.
    pub fn start() -> Self {
        let state = Arc::new(State {
            known: vec![
                (sha1_hex(BREACHED_PASSWORD), 3_861_493),
                (sha1_hex(ALSO_BREACHED), 12),
                (sha1_hex(PADDED_PASSWORD), 0),
            ],
            seen: Mutex::new(Vec::new()),
            mode: Mutex::new(Mode::Serving),
        });
        let app = Router::new().fallback(handle).with_state(state.clone());
        Self {
            url: crate::loopback::serve(tokio::runtime::Builder::new_current_thread(), app),
            state,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state.seen.lock().unwrap().clone()
    }
}

/// A loopback URL nothing listens on: an API that cannot be reached.
pub fn unreachable_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

async fn handle(
    AxumState(state): AxumState<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.seen.lock().unwrap().push(SeenRequest {
        method: method.to_string(),
        target: uri.to_string(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect(),
        body: body.to_vec(),
    });
    let mode = *state.mode.lock().unwrap();
    match mode {
        Mode::Stalled => return std::future::pending::<Response>().await,
        Mode::Garbage => return (StatusCode::OK, "<html>gateway</html>").into_response(),
        Mode::Serving => {}
    }
    let Some(prefix) = uri.path().strip_prefix("/range/") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if prefix.len() != 5 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        return (
            StatusCode::BAD_REQUEST,
            "The hash prefix was not in a valid format",
        )
            .into_response();
    }
    let prefix = prefix.to_ascii_uppercase();
    let padded = headers
        .get("add-padding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
    let mut lines: Vec<String> = state
        .known
        .iter()
        .filter(|(hash, count)| hash.starts_with(&prefix) && (*count > 0 || padded))
        .map(|(hash, count)| format!("{}:{count}", &hash[5..]))
        .collect();
    if padded {
        // The API pads every range to between 800 and 1,000 lines; a few make the point here.
        for i in 0..8u32 {
            lines.push(format!("{:035X}:0", u128::from(i) * 0x1234_5678_9ABC_DEF1));
        }
    }
    (StatusCode::OK, lines.join("\r\n")).into_response()
}
