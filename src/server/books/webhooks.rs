//! Balance-alert webhooks, delivered from the outbox (written in the same transaction as
//! the deduction that changed the alert state, so no event is lost or invented). Each
//! delivery is an HTTP POST signed with HMAC-SHA256 of `timestamp.body` under the
//! account's webhook secret (header `Drawdown-Signature: t=...,v1=...`, as Stripe signs).
//! Failures retry with exponential backoff (2 s, 4 s, ... capped at 10 min) up to
//! `MAX_ATTEMPTS`, then the event is marked `dead`.
//!
//! A webhook URL names a host the server will connect to, so it is checked when it is set
//! (`check_url`) and its resolved addresses again at every delivery (`Guard`, against DNS
//! rebinding): loopback, private, link-local and metadata addresses are refused unless the
//! server runs with `--allow-private-webhooks`. Several servers on one PostgreSQL claim due
//! events with `FOR UPDATE SKIP LOCKED`, so each is delivered once.

use crate::engine::calendar::Instant;
use crate::server::clock::now;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Failure, R};
use crate::server::storage::memo::Db;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

pub const MAX_ATTEMPTS: i64 = 12;
/// Events claimed per round, delivered concurrently.
pub(crate) const CLAIM: i64 = 32;
/// A delivery's whole time, connection included.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// A claim keeps other servers off an event this long (well past `DELIVERY_TIMEOUT`); a
/// server that dies mid-delivery leaves it to the others after that.
pub(crate) const CLAIM_MS: i64 = 60_000;
/// The longest webhook URL accepted.
pub const MAX_URL: usize = 2048;

/// An event due for delivery, with where it goes.
pub struct Due {
    pub id: String,
    pub payload: String,
    pub attempts: i64,
    pub url: Option<String>,
    pub secret: String,
}

/// Take up to `CLAIM` events due at `t` (unix ms): skip those another server holds, and
/// push each taken one's next attempt past the claim, in the writer's transaction.
pub fn claim(db: &mut dyn Db, t: i64) -> R<Vec<Due>> {
    let sql = format!(
        "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_ms <= $1 \
         ORDER BY next_attempt_ms LIMIT {CLAIM}{}",
        db.skip_locked()
    );
    let mut out = vec![];
    for row in store(db.query(&sql, &[t.into()]))? {
        let id = row[0].text().unwrap_or("").to_string();
        store(db.exec(
            "UPDATE outbox SET next_attempt_ms = $1 WHERE id = $2",
            &[(t + CLAIM_MS).into(), id.as_str().into()],
        ))?;
        let r = store(db.query(
            "SELECT o.payload, o.attempts, a.webhook_url, a.webhook_secret FROM outbox o \
             JOIN accounts a ON a.id = o.account_id WHERE o.id = $1",
            &[id.as_str().into()],
        ))?;
        if let Some(r) = r.first() {
            out.push(Due {
                id,
                payload: r[0].text().unwrap_or("").into(),
                attempts: r[1].int().unwrap_or(0),
                url: r[2].text().map(str::to_string),
                secret: r[3].text().unwrap_or("").into(),
            });
        }
    }
    Ok(out)
}

/// Record a delivery's outcome: delivered, or the next attempt after a backoff (2 s, 4 s,
/// ... 10 min), or `dead` after `MAX_ATTEMPTS`.
pub fn mark(db: &mut dyn Db, d: &Due, result: Result<(), String>, t: Instant) -> R<()> {
    let attempts = d.attempts + 1;
    let id = d.id.as_str();
    match result {
        Ok(()) => store(db.exec(
            "UPDATE outbox SET status = 'delivered', attempts = $1, delivered_at = $2, last_error = NULL WHERE id = $3",
            &[attempts.into(), t.to_string().into(), id.into()],
        ))?,
        Err(e) => {
            let backoff = (1000i64 << attempts.min(9)).min(600_000);
            let status = if attempts >= MAX_ATTEMPTS { "dead" } else { "pending" };
            store(db.exec(
                "UPDATE outbox SET status = $1, attempts = $2, next_attempt_ms = $3, last_error = $4 WHERE id = $5",
                &[status.into(), attempts.into(), (t.0.timestamp_millis() + backoff).into(), e.into(), id.into()],
            ))?
        }
    };
    Ok(())
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

/// The HTTP client: rustls for `https`, no redirects (a redirect could point anywhere), and
/// a resolver that drops forbidden addresses (`Guard`).
/// `--webhook-ca FILE` adds a root certificate (PEM) for receivers behind a private CA.
pub fn client(
    allow_private: bool,
    ca: Option<&std::path::Path>,
) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(DELIVERY_TIMEOUT)
        .connect_timeout(DELIVERY_TIMEOUT)
        .dns_resolver(std::sync::Arc::new(Guard { allow_private }))
        .user_agent(concat!("drawdown-webhooks/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = ca {
        let pem =
            std::fs::read(path).map_err(|e| format!("--webhook-ca {}: {e}", path.display()))?;
        let ca = reqwest::Certificate::from_pem(&pem).map_err(|e| {
            format!(
                "--webhook-ca {}: not a PEM certificate: {e}",
                path.display()
            )
        })?;
        b = b.add_root_certificate(ca);
    }
    b.build().map_err(|e| format!("the webhook client: {e}"))
}

/// A 2xx answer within `DELIVERY_TIMEOUT` is a delivery.
pub async fn deliver(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    payload: &str,
    allow_private: bool,
) -> Result<(), String> {
    // The URL was checked when it was set; check again (the rules may have tightened), and
    // an address literal here never reaches the resolver.
    let url = check_url(url, allow_private).map_err(|e| e.message())?;
    let sig = sign(secret, now().0.timestamp(), payload);
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header("drawdown-signature", sig)
        .body(payload.to_string())
        .send()
        .await
        .map_err(|e| {
            format!(
                "{e}: {}",
                std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            )
        })?;
    if res.status().is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {}", res.status().as_u16()))
    }
}

/// Resolves a webhook host and keeps only addresses a webhook may reach.
pub(crate) struct Guard {
    pub(crate) allow_private: bool,
}

impl reqwest::dns::Resolve for Guard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let ok = resolve(&host, allow_private).await?;
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The addresses `host` resolves to that a webhook may reach, at the moment of delivery
/// (a name that passed `check_url` may since point at the server's own network).
pub async fn resolve(host: &str, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let found = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| format!("{host}: {e}"))?;
    let ok: Vec<SocketAddr> = found.filter(|a| allow_private || public(a.ip())).collect();
    if ok.is_empty() {
        return Err(format!("{host} resolves to no address a webhook may reach"));
    }
    Ok(ok)
}

/// Whether a webhook may connect to `ip`: not loopback, private, link-local (the cloud
/// metadata service at 169.254.169.254 among them), shared (CGNAT), unspecified, multicast,
/// broadcast or documentation space, in IPv4 or IPv6 (mapped addresses included).
pub fn public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

/// Check a webhook URL as it is set: `http` or `https`, at most `MAX_URL` bytes, no
/// whitespace or control characters, no user name or password, a host, and (unless private
/// addresses are allowed) not `localhost` nor an address literal `public` refuses.
pub fn check_url(url: &str, allow_private: bool) -> R<reqwest::Url> {
    let bad = |m: &str| Failure::new(ServerCode::InvalidWebhookUrl, Some("webhookUrl"), m);
    if url.len() > MAX_URL || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(
            "a webhook URL has no spaces or control characters and at most 2048 bytes",
        ));
    }
    let u = reqwest::Url::parse(url).map_err(|e| bad(&format!("not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad("a webhook URL is http:// or https://"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("a webhook URL carries no user name or password"));
    }
    let host = u.host().ok_or_else(|| bad("a webhook URL names a host"))?;
    if !allow_private {
        let refused = match host {
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
            url::Host::Ipv4(ip) => !public(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => !public(IpAddr::V6(ip)),
        };
        if refused {
            return Err(bad("webhooks go to public addresses, not loopback, private, link-local or metadata ones"));
        }
    }
    Ok(u)
}
