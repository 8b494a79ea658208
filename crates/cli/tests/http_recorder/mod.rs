//! An HTTP/1.1 endpoint for HTTP Task tests: it records every request it is sent and
//! answers by path, with fixed headers (no `date`), so a task's output can be compared
//! exactly. It also plays an OAuth token endpoint.
//!
//! | path          | answer                                                           |
//! |---------------|------------------------------------------------------------------|
//! | `/token`      | 200 `{"access_token":"token-<n>","token_type":"Bearer","expires_in":3600}`, n counting from 1 |
//! | `/missing`    | 404 `{"message":"no such item"}`                                 |
//! | `/stale-once` | 401 the first time, then as any other path                       |
//! | anything else | 200 `{"received":true}`                                          |
//!
//! It parses just what the HTTP Task sends (a request line, headers, a body of
//! `content-length` bytes) and closes each connection after its answer.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the endpoint saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// `(lowercase name, value)`, sorted.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A running endpoint; stopped when dropped.
pub struct Recorder {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    tokens: AtomicU32,
    stale_answered: AtomicU32,
}

impl Recorder {
    /// Listens on a free port of 127.0.0.1.
    pub async fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the recorder");
        let addr = listener.local_addr().expect("address");
        let state = Arc::new(State::default());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let state = state.clone();
                let shared = shared.clone();
                tokio::spawn(async move {
                    let exchange = serve(stream, &state, &shared);
                    if tokio::time::timeout(Duration::from_secs(10), exchange).await.is_err() {
                        eprintln!("http recorder: a connection took longer than 10 s");
                    }
                });
            }
        });
        Recorder { addr, seen, task }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(mut stream: TcpStream, state: &State, seen: &Mutex<Vec<Seen>>) {
    let Some(request) = read_request(&mut stream).await else { return };
    let path = request.target.split('?').next().unwrap_or_default().to_owned();
    seen.lock().unwrap().push(request);
    let (status, body) = match path.as_str() {
        "/token" => {
            let n = state.tokens.fetch_add(1, Ordering::SeqCst) + 1;
            (
                "200 OK",
                format!(
                    r#"{{"access_token":"token-{n}","token_type":"Bearer","expires_in":3600}}"#
                ),
            )
        }
        "/missing" => ("404 Not Found", r#"{"message":"no such item"}"#.to_owned()),
        "/stale-once" if state.stale_answered.fetch_add(1, Ordering::SeqCst) == 0 => {
            ("401 Unauthorized", r#"{"message":"token expired"}"#.to_owned())
        }
        _ => ("200 OK", r#"{"received":true}"#.to_owned()),
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buffer[..head_end].to_vec()).expect("the head is text");
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let mut headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    headers.sort();
    assert!(
        !headers.iter().any(|(n, _)| n == "transfer-encoding"),
        "the recorder reads only content-length bodies: {headers:?}"
    );
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().expect("a numeric content-length"));
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen { method, target, headers, body: String::from_utf8(body).expect("a text body") })
}
