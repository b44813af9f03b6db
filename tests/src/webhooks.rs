//! A local webhook receiver, a queue of each test's own in moto, and the
//! docs/webhooks.md's verification snippet, run as a customer would run it.

use gatehouse::adapters::sqs::SqsQueue;
use gatehouse::domain::ids::new_id;
use gatehouse::wiring::{self, Aws};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct Hit {
    /// Lowercased names.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
}

/// An HTTP receiver on 127.0.0.1 answering every POST with one status;
/// a held receiver answers only after `release`.
pub struct Receiver {
    pub url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    release: watch::Sender<bool>,
}

impl Receiver {
    pub async fn answering(status: u16) -> Self {
        Self::start(status, false).await
    }

    /// Holds every request open until `release`.
    pub async fn held(status: u16) -> Self {
        Self::start(status, true).await
    }

    async fn start(status: u16, held: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hooks/gatehouse", listener.local_addr().unwrap());
        let hits = Arc::new(Mutex::new(Vec::new()));
        let (release, released) = watch::channel(!held);
        let recorded = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let recorded = recorded.clone();
                let mut released = released.clone();
                tokio::spawn(async move {
                    let Some(hit) = read_request(&mut socket).await else {
                        return;
                    };
                    recorded.lock().unwrap().push(hit);
                    let _ = released.wait_for(|open| *open).await;
                    let reply = format!(
                        "HTTP/1.1 {status} Test\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        Self { url, hits, release }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    pub fn release(&self) {
        let _ = self.release.send(true);
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Hit> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Hit {
        headers,
        body,
        at: Instant::now(),
    })
}

/// A webhook queue of this test's own, with its dead-letter queue after
/// `max_attempts` receives: (queue URL, dead-letter queue URL).
pub async fn own_queue(max_attempts: u32) -> (String, String) {
    let aws = Aws::load().await.expect("AWS config");
    let url = format!(
        "{}/123456789012/webhooks-{}",
        crate::stack_var("GATEHOUSE_MOTO_URL"),
        new_id()
    );
    let dlq = SqsQueue::new(wiring::sqs_client(&aws), url.clone())
        .create_with_dead_letter(max_attempts)
        .await
        .expect("queues");
    (url, dlq)
}

/// The messages on a queue now (the dead-letter queue, say).
pub async fn messages_on(queue_url: &str) -> Vec<String> {
    let aws = Aws::load().await.expect("AWS config");
    SqsQueue::new(wiring::sqs_client(&aws), queue_url)
        .receive(std::time::Duration::ZERO)
        .await
        .expect("receive")
        .into_iter()
        .filter_map(|m| m.body)
        .collect()
}

/// The Python block of docs/webhooks.md "Verifying a webhook", exactly as written.
pub fn readme_snippet() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/webhooks.md"))
            .expect("docs/webhooks.md");
    let start = readme
        .find("<!-- webhook-verify:start -->")
        .expect("docs/webhooks.md has the webhook snippet");
    let block = &readme[start..];
    let code = &block[block.find("```python\n").expect("a python block") + 10..];
    code[..code.find("```").expect("the block ends")].to_string()
}

/// Whether docs/webhooks.md's `verify(secret, header, body)` accepts this
/// delivery, run by python3 as a receiver would.
pub fn readme_verifies(secret: &str, signature: &str, body: &[u8]) -> bool {
    let dir = std::env::temp_dir().join(format!("webhook-{}", new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("verify.py"), readme_snippet()).unwrap();
    std::fs::write(dir.join("body"), body).unwrap();
    let program = "import sys\nsys.path.insert(0, sys.argv[1])\nfrom verify import verify\n\
                   body = open(sys.argv[1] + '/body', 'rb').read()\n\
                   sys.exit(0 if verify(sys.argv[2], sys.argv[3], body) is True else 1)\n";
    let status = std::process::Command::new("python3")
        .args(["-c", program, dir.to_str().unwrap(), secret, signature])
        .status()
        .expect("python3 runs");
    let _ = std::fs::remove_dir_all(&dir);
    status.success()
}
