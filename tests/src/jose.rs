//! Relying parties' own JOSE libraries, run as a customer would run them:
//! PyJWT (`PyJWKClient`) and Node's `jose` (`createRemoteJWKSet`), each
//! fetching the JWKS by URL (scripts in tests/jose/).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

/// A relying party's library.
#[derive(Clone, Copy, Debug)]
pub enum Library {
    PyJwt,
    NodeJose,
}

pub const LIBRARIES: [Library; 2] = [Library::PyJwt, Library::NodeJose];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The subject if `library` accepts `token` with the keys at `jwks_url`,
/// else its refusal.
pub fn verify(
    library: Library,
    jwks_url: &str,
    token: &str,
    audience: &str,
    issuer: &str,
) -> Result<String, String> {
    let root = root();
    let mut command = match library {
        Library::PyJwt => {
            let mut c = Command::new(root.join(".venv/bin/python"));
            c.arg(root.join("tests/jose/verify.py"));
            c
        }
        Library::NodeJose => {
            let script = std::fs::read_to_string(root.join("tests/jose/verify.mjs"))
                .expect("tests/jose/verify.mjs");
            let mut c = Command::new("node");
            // `jose` is installed there by scripts/bootstrap.sh.
            c.current_dir(root.join(".local/tools"))
                .args(["--input-type=module", "-e", &script]);
            c
        }
    };
    let out = command
        .env("JWKS_URL", jwks_url)
        .env("TOKEN", token)
        .env("AUDIENCE", audience)
        .env("ISSUER", issuer)
        .output()
        .unwrap_or_else(|e| panic!("{library:?} could not start: {e}"));
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Serves one JSON document on loopback, replaceable at any time: a JWKS
/// endpoint whose keys a test rotates.
pub struct JwksServer {
    pub url: String,
    document: Arc<Mutex<String>>,
}

impl JwksServer {
    pub fn start(document: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        let document = Arc::new(Mutex::new(document));
        let serving = document.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                // The request line and headers; these clients send no body.
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let body = serving.lock().unwrap().clone();
                let _ = (&stream).write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            }
        });
        Self { url, document }
    }

    pub fn replace(&self, document: String) {
        *self.document.lock().unwrap() = document;
    }
}

/// A fresh Ed25519 key pair as PEM: PKCS#8 private, SPKI public.
pub fn key_pair() -> (String, String) {
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let mut spki = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    spki.extend_from_slice(pair.public_key().as_ref());
    (
        pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec())),
        pem::encode(&pem::Pem::new("PUBLIC KEY", spki)),
    )
}
