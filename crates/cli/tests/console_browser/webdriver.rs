//! A small WebDriver client (the W3C protocol over HTTP and JSON) for the console's browser
//! tests: chromedriver started on a port of its own, one headless Chromium session, and the
//! few commands the tests use. Blocking on purpose: the tests call it from their own thread
//! while the server runs on a Tokio runtime, and `Drop` can end the session and the driver.
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The ports this test may use (its range on the shared machine).
const PORTS: std::ops::RangeInclusive<u16> = 9700..=9749;

/// chromedriver, and one browser session in it.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

/// Why the browser could not start: not installed, or failed.
#[derive(Debug)]
pub enum Unavailable {
    /// `chromedriver` or `chromium` is not on this machine.
    Missing(String),
}

fn find(binary: &str) -> Option<String> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(binary))
        .find(|p| p.is_file())
        .map(|p| p.to_string_lossy().into_owned())
}

impl Browser {
    /// Starts chromedriver on a free port of [`PORTS`] and opens a headless Chromium of
    /// `width`×`height`.
    pub fn start(width: u32, height: u32) -> Result<Browser, Unavailable> {
        let driver =
            find("chromedriver").ok_or_else(|| Unavailable::Missing("chromedriver".into()))?;
        let chromium = ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|b| find(b))
            .ok_or_else(|| Unavailable::Missing("chromium".into()))?;
        // Tests run in parallel: each start looks from a different place in the range.
        static STARTS: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
        let span = PORTS.end() - PORTS.start() + 1;
        let offset = STARTS.fetch_add(7, std::sync::atomic::Ordering::Relaxed)
            + (std::process::id() % u32::from(span)) as u16;
        let port = (0..span)
            .map(|i| PORTS.start() + (offset + i) % span)
            .find(|p| TcpListener::bind(("127.0.0.1", *p)).is_ok())
            .expect("a free port in 9700-9749");
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut browser = Browser { driver: child, port, session: String::new() };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = browser.request("GET", "/status", None);
            if status.as_ref().is_ok_and(|v| v["value"]["ready"] == true) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready on port {port}: {status:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-extensions", format!("--window-size={width},{height}")]
            }
        }}});
        let created = browser.request("POST", "/session", Some(capabilities)).expect("a session");
        browser.session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Ok(browser)
    }

    /// Sends one command; the answer's JSON, or the WebDriver error as text.
    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{body}",
            port = self.port,
            len = body.len()
        );
        stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        // chromedriver may keep the connection open despite `Connection: close`: read the
        // head, then as many bytes as it announces.
        let mut raw = Vec::new();
        let mut chunk = [0u8; 65536];
        let (head, mut payload) = loop {
            let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the connection closed before the answer's head".into());
            }
            raw.extend_from_slice(&chunk[..n]);
            if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break (String::from_utf8_lossy(&raw[..at]).into_owned(), raw[at + 4..].to_vec());
            }
        };
        let lower = head.to_ascii_lowercase();
        let length = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        match length {
            Some(length) => {
                while payload.len() < length {
                    let n = stream.read(&mut chunk).map_err(|e| e.to_string())?;
                    if n == 0 {
                        break;
                    }
                    payload.extend_from_slice(&chunk[..n]);
                }
            }
            None => {
                stream.read_to_end(&mut payload).map_err(|e| e.to_string())?;
            }
        }
        let payload = String::from_utf8_lossy(&payload).into_owned();
        let payload =
            if lower.contains("transfer-encoding: chunked") { dechunk(&payload) } else { payload };
        let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let value: Value = serde_json::from_str(&payload).map_err(|e| format!("{e}: {payload}"))?;
        if status != 200 {
            return Err(format!("{method} {path}: {status} {}", value["value"]));
        }
        Ok(value)
    }

    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        match self.request(method, &path, body) {
            Ok(v) => v["value"].clone(),
            Err(e) => panic!("WebDriver: {e}"),
        }
    }

    /// Opens `url` and waits for its load.
    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its value.
    pub fn run(&self, script: &str, args: Value) -> Value {
        self.command("POST", "/execute/sync", Some(json!({ "script": script, "args": args })))
    }

    /// Clicks the first element matching `css`, as a user would (at its centre).
    pub fn click(&self, css: &str) {
        let found =
            self.command("POST", "/element", Some(json!({"using": "css selector", "value": css})));
        let id = found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned();
        self.command("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// Types `text` into the first element matching `css` (after clearing it).
    pub fn type_into(&self, css: &str, text: &str) {
        let found =
            self.command("POST", "/element", Some(json!({"using": "css selector", "value": css})));
        let id = found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned();
        self.command("POST", &format!("/element/{id}/clear"), Some(json!({})));
        self.command("POST", &format!("/element/{id}/value"), Some(json!({ "text": text })));
    }

    /// Presses keys on the element focused now (WebDriver's key codes, e.g. `\u{E007}` Enter).
    pub fn keys(&self, keys: &str) {
        let active = self.command("GET", "/element/active", None);
        let id = active[ELEMENT].as_str().expect("a focused element").to_owned();
        self.command("POST", &format!("/element/{id}/value"), Some(json!({ "text": keys })));
    }

    /// The window's size.
    pub fn resize(&self, width: u32, height: u32) {
        self.command("POST", "/window/rect", Some(json!({"width": width, "height": height})));
    }

    /// Emulates `prefers-color-scheme` (Chromium's DevTools command through chromedriver).
    pub fn color_scheme(&self, scheme: &str) {
        self.command(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.setEmulatedMedia", "params": {"features": [{"name": "prefers-color-scheme", "value": scheme}]}})),
        );
    }

    /// A PNG of the viewport, saved at `path`.
    pub fn screenshot(&self, path: &std::path::Path) {
        let data = self.command("GET", "/screenshot", None);
        let png = base64_decode(data.as_str().expect("base64 PNG"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot directory");
        }
        std::fs::write(path, png).expect("screenshot written");
    }

    /// Waits (bounded) until `script` returns true; panics with `what` otherwise.
    pub fn wait_until(&self, what: &str, limit: Duration, script: &str) {
        let deadline = Instant::now() + limit;
        loop {
            if self.run(script, json!([])) == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.request("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
