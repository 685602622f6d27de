//! Balance-alert webhooks, delivered from the outbox (written in the same transaction as
//! the deduction that changed the alert state, so no event is lost or invented). Each
//! delivery is an HTTP POST signed with HMAC-SHA256 of `timestamp.body` under the
//! account's webhook secret (header `Drawdown-Signature: t=...,v1=...`, as Stripe signs).
//! Failures retry with exponential backoff (2 s, 4 s, ... capped at 10 min) up to
//! `MAX_ATTEMPTS`, then the event is marked `dead`.

use super::billing::{store, Reply};
use super::{now, Shared};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const MAX_ATTEMPTS: i64 = 12;

struct Due {
    id: String,
    payload: String,
    attempts: i64,
    url: Option<String>,
    secret: String,
}

pub async fn run(st: Shared) {
    loop {
        let due = fetch(&st).await;
        let idle = due.is_empty();
        for d in due {
            let result = match &d.url {
                Some(url) => deliver(url, &d.secret, &d.payload).await,
                None => Err("the account has no webhook URL".to_string()),
            };
            mark(&st, &d, result).await;
        }
        if idle {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn fetch(st: &Shared) -> Vec<Due> {
    let t = now().0.timestamp_millis();
    let r = st
        .writer
        .run(Box::new(move |db| {
            match store(db.query(
                "SELECT o.id, o.payload, o.attempts, a.webhook_url, a.webhook_secret FROM outbox o \
                 JOIN accounts a ON a.id = o.account_id \
                 WHERE o.status = 'pending' AND o.next_attempt_ms <= $1 ORDER BY o.next_attempt_ms LIMIT 32",
                &[t.into()],
            )) {
                Ok(rows) => Reply::ok(json!(rows
                    .iter()
                    .map(|r| json!([r[0].text(), r[1].text(), r[2].int(), r[3].text(), r[4].text()]))
                    .collect::<Vec<_>>())),
                Err(e) => e,
            }
        }))
        .await;
    let Ok(r) = r else { return vec![] };
    r.body
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| Due {
                    id: r[0].as_str().unwrap_or("").into(),
                    payload: r[1].as_str().unwrap_or("").into(),
                    attempts: r[2].as_i64().unwrap_or(0),
                    url: r[3].as_str().map(str::to_string),
                    secret: r[4].as_str().unwrap_or("").into(),
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn mark(st: &Shared, d: &Due, result: Result<(), String>) {
    let attempts = d.attempts + 1;
    let id = d.id.clone();
    let t = now();
    let _ = st
        .writer
        .run(Box::new(move |db| {
            let r = match result {
                Ok(()) => db.exec(
                    "UPDATE outbox SET status = 'delivered', attempts = $1, delivered_at = $2, last_error = NULL WHERE id = $3",
                    &[attempts.into(), t.to_string().into(), id.as_str().into()],
                ),
                Err(e) => {
                    let backoff = 1000i64 << attempts.min(9);
                    let status = if attempts >= MAX_ATTEMPTS { "dead" } else { "pending" };
                    db.exec(
                        "UPDATE outbox SET status = $1, attempts = $2, next_attempt_ms = $3, last_error = $4 WHERE id = $5",
                        &[status.into(), attempts.into(), (t.0.timestamp_millis() + backoff.min(600_000)).into(), e.into(), id.as_str().into()],
                    )
                }
            };
            match r {
                Ok(_) => Reply::ok(json!(null)),
                Err(e) => Reply::error(503, "store_unavailable", None, e),
            }
        }))
        .await;
}

/// The signature header value for a payload sent at unix time `t`.
pub fn sign(secret: &str, t: i64, payload: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{t}.{payload}").as_bytes());
    format!(
        "t={t},v1={}",
        super::auth::hex(&mac.finalize().into_bytes())
    )
}

/// POST over plain HTTP/1.1 (webhook receivers behind TLS sit behind a local proxy); a 2xx
/// answer within 10 s is a delivery.
async fn deliver(url: &str, secret: &str, payload: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "only http:// webhook URLs are supported".to_string())?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let sig = sign(secret, now().0.timestamp(), payload);
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Drawdown-Signature: {sig}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    let io = async {
        let mut s = tokio::net::TcpStream::connect(host)
            .await
            .map_err(|e| e.to_string())?;
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut head = vec![0u8; 64];
        let n = s.read(&mut head).await.map_err(|e| e.to_string())?;
        let line = String::from_utf8_lossy(&head[..n]);
        let code: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if (200..300).contains(&code) {
            Ok(())
        } else {
            Err(format!("the receiver answered {code}"))
        }
    };
    tokio::time::timeout(Duration::from_secs(10), io)
        .await
        .map_err(|_| "timed out".to_string())?
}
