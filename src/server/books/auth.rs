//! Credentials (seed 000): API keys carry scopes `billing:read` / `billing:write`; top-up,
//! auto-reload and plan changes need a dashboard session instead. Both are random tokens
//! stored only as SHA-256 hashes, each bound to one account.

use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Failure, R};
use crate::server::storage::memo::Db;
use sha2::{Digest, Sha256};

pub const READ: &str = "billing:read";
pub const WRITE: &str = "billing:write";
/// Minting credits (`POST /billing/wallet/credit`) is its own scope: a key that records
/// usage must not be able to create money.
pub const CREDIT: &str = "billing:credit";
/// Edge credentials (SEMANTICS 12): take, renew and release leases and report the calls
/// granted under them; nothing else.
pub const LEASE: &str = "billing:lease";

/// Who is calling: the account the credential belongs to and what it may do.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: String,
    pub scopes: Vec<String>,
    pub session: bool,
}

impl Caller {
    /// API keys need the scope; a dashboard session may do everything for its account.
    pub fn require(&self, scope: &str) -> R<()> {
        if self.session || self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(Failure::new(
                ServerCode::InsufficientScope,
                None,
                format!("this key lacks the `{scope}` scope"),
            ))
        }
    }
    pub fn require_session(&self) -> R<()> {
        if self.session {
            Ok(())
        } else {
            Err(Failure::new(
                ServerCode::DashboardSessionRequired,
                None,
                "top-up, auto-reload and plan changes are completed through a dashboard session, not an API key",
            ))
        }
    }
}

/// A fresh random token (32 bytes from the OS, hex) with a prefix naming its kind.
pub fn token(prefix: &str) -> R<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| {
        Failure::new(
            ServerCode::NoRandomness,
            None,
            format!("the OS gave no randomness: {e}"),
        )
    })?;
    Ok(format!("{prefix}{}", hex(&b)))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn issue(db: &mut dyn Db, account: &str, kind: &str, scopes: &str, now: &str) -> R<String> {
    let t = token(if kind == "session" {
        "dd_sess_"
    } else {
        "dd_sk_"
    })?;
    store(db.exec(
        "INSERT INTO credentials (hash, account_id, kind, scopes, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[hash(&t).into(), account.into(), kind.into(), scopes.into(), now.into()],
    ))?;
    Ok(t)
}

pub fn lookup(db: &mut dyn Db, token: &str) -> R<Caller> {
    let rows = store(db.query(
        "SELECT account_id, kind, scopes FROM credentials WHERE hash = $1",
        &[hash(token).into()],
    ))?;
    let Some(r) = rows.first() else {
        return Err(Failure::new(
            ServerCode::Unauthorized,
            None,
            "unknown API key or session",
        ));
    };
    Ok(Caller {
        account: r[0].text().unwrap_or("").to_string(),
        session: r[1].text() == Some("session"),
        scopes: r[2]
            .text()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    })
}

/// The shortest admin token `drawdown serve` accepts (a guessable token guards every account).
pub const MIN_ADMIN_TOKEN: usize = 32;
/// Failed admin attempts allowed per client address in one `THROTTLE_WINDOW_SECS`.
pub const MAX_ADMIN_FAILURES: u32 = 5;
pub const THROTTLE_WINDOW_SECS: i64 = 60;
/// Addresses remembered at most; past it the oldest windows are dropped first.
pub(crate) const MAX_THROTTLED: usize = 10_000;

/// Failed admin attempts per client address in fixed windows: past the limit the address
/// gets `429 too_many_attempts` with `Retry-After` until its window ends.
#[derive(Default)]
pub struct Throttle {
    pub(crate) failures: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, (u32, i64)>>,
}

impl Throttle {
    pub fn check(&self, from: std::net::IpAddr, now: crate::engine::calendar::Instant) -> R<()> {
        let t = now.0.timestamp();
        let m = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match m.get(&from) {
            Some(&(n, start)) if n >= MAX_ADMIN_FAILURES && t < start + THROTTLE_WINDOW_SECS => {
                let wait = (start + THROTTLE_WINDOW_SECS - t).max(1) as u64;
                Err(Failure::new(
                    ServerCode::TooManyAttempts,
                    None,
                    format!("too many failed admin attempts; try again in {wait} s"),
                )
                .retry_after(wait))
            }
            _ => Ok(()),
        }
    }
    pub fn failed(&self, from: std::net::IpAddr, now: crate::engine::calendar::Instant) {
        let t = now.0.timestamp();
        let mut m = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= MAX_THROTTLED {
            m.retain(|_, (_, start)| t < *start + THROTTLE_WINDOW_SECS);
        }
        let e = m.entry(from).or_insert((0, t));
        if t >= e.1 + THROTTLE_WINDOW_SECS {
            *e = (0, t);
        }
        e.0 += 1;
    }
}
