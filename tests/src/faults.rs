//! A fault-injecting HTTP proxy in front of DynamoDB Local: it forwards,
//! throttles (DynamoDB's own error body), or is down (connections close
//! without an answer, as when the server process is gone). The service
//! under test reaches DynamoDB only through it; everything else in the test
//! uses DynamoDB Local directly.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Forward,
    /// Answer every request with `ProvisionedThroughputExceededException`.
    Throttle,
    /// Throttle this many requests, then forward.
    ThrottleFirst(usize),
    /// Close every connection without an answer.
    Down,
}

#[derive(Clone)]
pub struct FaultProxy {
    pub url: String,
    mode: Arc<Mutex<Mode>>,
    requests: Arc<AtomicUsize>,
}

const THROTTLED: &str = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#;

impl FaultProxy {
    /// A proxy to the stack's DynamoDB Local, forwarding.
    pub async fn start() -> Self {
        let upstream = crate::stack_var("AWS_ENDPOINT_URL_DYNAMODB");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let proxy = Self {
            url,
            mode: Arc::new(Mutex::new(Mode::Forward)),
            requests: Arc::new(AtomicUsize::new(0)),
        };
        let state = proxy.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            while let Ok((socket, _)) = listener.accept().await {
                let (state, client, upstream) = (state.clone(), client.clone(), upstream.clone());
                tokio::spawn(async move { state.serve(socket, &client, &upstream).await });
            }
        });
        proxy
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Requests seen since the last call.
    pub fn take_requests(&self) -> usize {
        self.requests.swap(0, Ordering::SeqCst)
    }

    async fn serve(&self, mut socket: TcpStream, client: &reqwest::Client, upstream: &str) {
        loop {
            let Some((headers, body)) = read_request(&mut socket).await else {
                return;
            };
            self.requests.fetch_add(1, Ordering::SeqCst);
            let mode = {
                let mut mode = self.mode.lock().unwrap();
                let now = *mode;
                if let Mode::ThrottleFirst(n) = now {
                    *mode = if n <= 1 {
                        Mode::Forward
                    } else {
                        Mode::ThrottleFirst(n - 1)
                    };
                }
                now
            };
            let (status, reply) = match mode {
                Mode::Down => return,
                Mode::Throttle | Mode::ThrottleFirst(_) => (400, THROTTLED.to_string()),
                Mode::Forward => {
                    let mut request = client.post(upstream).body(body);
                    for (name, value) in &headers {
                        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
                            request = request.header(name.as_str(), value.as_str());
                        }
                    }
                    match request.send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            (status, response.text().await.unwrap_or_default())
                        }
                        Err(_) => return,
                    }
                }
            };
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n",
                reply.len()
            );
            if socket.write_all(head.as_bytes()).await.is_err()
                || socket.write_all(reply.as_bytes()).await.is_err()
            {
                return;
            }
        }
    }
}

/// One HTTP/1.1 request: lowercased headers and the body.
async fn read_request(socket: &mut TcpStream) -> Option<(Vec<(String, String)>, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((headers, body))
}
