//! Verifik's front end served behind a real reverse proxy (Debian's nginx
//! on loopback, its default `proxy_pass` that sends the upstream's `Host`)
//! in front of `cargo lambda watch`: docs/verifik.md "Using Verifik's front end".
//! An origin the stack does not list is refused with a 403 that names it
//! and the setting to change; once listed, a sign-in goes through.

use gatehouse_tests::{stack_var, unique_email, Moto, Tenant};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

/// nginx on two loopback ports, both proxying `/v2/` to the API: the first
/// port's origin is in the stack's list (scripts/test.sh adds it), the
/// second's is not.
struct Proxy {
    child: Child,
    dir: PathBuf,
    listed: u16,
    unlisted: u16,
}

impl Proxy {
    fn start() -> Self {
        let listed: u16 = stack_var("GATEHOUSE_PROXY_PORT").parse().expect("a port");
        let unlisted = free_port();
        let upstream = stack_var("GATEHOUSE_E2E_URL");
        let dir = std::env::temp_dir().join(format!("gatehouse-proxy-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&dir).unwrap();
        let server = |port: u16| {
            format!(
                "server {{ listen 127.0.0.1:{port}; \
                 location /v2/ {{ proxy_pass {upstream}; proxy_read_timeout 300s; }} \
                 location / {{ return 200 'the front end'; }} }}"
            )
        };
        let config = format!(
            "daemon off; master_process off; pid {dir}/nginx.pid; error_log {dir}/error.log; \
             events {{}} http {{ access_log off; client_body_temp_path {dir}/body; \
             proxy_temp_path {dir}/proxy; {} {} }}",
            server(listed),
            server(unlisted),
            dir = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), config).unwrap();
        let child = Command::new(nginx())
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .spawn()
            .expect("nginx starts (scripts/bootstrap.sh installs it)");
        Self {
            child,
            dir,
            listed,
            unlisted,
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nginx() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("nginx"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What the front end's page sends through the proxy: its own origin.
async fn call(port: u16, path: &str, body: Value) -> (u16, Value) {
    let origin = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    // nginx may take a moment to listen.
    for _ in 0..50 {
        let sent = client
            .post(format!("{origin}{path}"))
            .header("origin", &origin)
            .header("timeout", "20")
            .json(&body)
            .send()
            .await;
        if let Ok(response) = sent {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            return (status, serde_json::from_str(&text).unwrap_or(Value::Null));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nginx did not answer on {port}");
}

#[tokio::test]
async fn behind_a_reverse_proxy_the_front_ends_origin_must_be_listed() {
    let tenant = Tenant::create().await;
    let proxy = Proxy::start();
    let email = unique_email();
    let sign_in = json!({"type": "login", "project": tenant.project, "projectFlow": tenant.flow, "email": email});

    // nginx sends the upstream's Host: the page's origin is not the API's.
    let (status, body) = call(proxy.unlisted, "/v2/email-validations", sign_in.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "origin_not_allowed");
    let message = body["message"].as_str().unwrap_or_default();
    let origin = format!("http://127.0.0.1:{}", proxy.unlisted);
    assert!(message.contains(&origin), "names the origin: {message}");
    assert!(
        message.contains("CorsAllowedOrigins"),
        "names the setting: {message}"
    );

    // Listed, the same request through the same kind of proxy signs in.
    let (status, body) = call(proxy.listed, "/v2/email-validations", sign_in).await;
    assert_eq!(status, 200, "{body}");
    let code = Moto::new().latest_email_code(&email).await;
    let (status, body) = call(
        proxy.listed,
        "/v2/email-validations/validate",
        json!({"email": email, "otp": code, "projectFlow": tenant.flow}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["token"].is_string(), "{body}");
}
