//! Storage: one small SQL interface over the embedded SQLite store and PostgreSQL, the same
//! schema in both (migrations below), and the writer thread that owns the connection.
//!
//! Every request runs as a closure on that one thread. The thread takes whatever requests
//! are queued (up to `GROUP`), runs each inside its own savepoint of one transaction and
//! commits once: group commit, so a durable (fsynced) commit is shared by many deductions
//! and nobody is told "done" before the commit that makes it so has returned.

use std::sync::mpsc;

/// A column value: everything the schema stores is text or a 64-bit integer.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
}

impl Val {
    pub fn text(&self) -> Option<&str> {
        match self {
            Val::Text(s) => Some(s),
            _ => None,
        }
    }
    pub fn int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_string())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}
impl From<i64> for Val {
    fn from(i: i64) -> Val {
        Val::Int(i)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}

pub type Row = Vec<Val>;

/// The statements the server needs, written once with `$1, $2, ...` placeholders.
pub trait Sql {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, String>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, String>;
    /// `FOR UPDATE` where the database has row locks (PostgreSQL); SQLite has one writer.
    fn for_update(&self) -> &'static str;
}

// The schema, one step per migration, identical in meaning for both databases. Columns are
// TEXT (ids, instants, decimal strings, JSON) and BIGINT only, so the two stay in step.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE accounts (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, rate_card TEXT NOT NULL, snapshot TEXT NOT NULL,
        webhook_url TEXT, webhook_secret TEXT NOT NULL, created_at TEXT NOT NULL,
        seq BIGINT NOT NULL);
     CREATE TABLE credentials (
        hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, kind TEXT NOT NULL,
        scopes TEXT NOT NULL, created_at TEXT NOT NULL);
     CREATE TABLE ledger (
        account_id TEXT NOT NULL, seq BIGINT NOT NULL, at TEXT NOT NULL, recorded_at TEXT NOT NULL,
        kind TEXT NOT NULL, reference TEXT, grant_id TEXT, credits TEXT NOT NULL,
        balance_before TEXT NOT NULL, balance_after TEXT NOT NULL, detail TEXT,
        PRIMARY KEY (account_id, seq));
     CREATE TABLE idempotency (
        account_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
        status BIGINT NOT NULL, response TEXT NOT NULL, PRIMARY KEY (account_id, key));
     CREATE TABLE usage_lines (
        account_id TEXT NOT NULL, usage_id TEXT NOT NULL, line BIGINT NOT NULL, at TEXT NOT NULL,
        day TEXT NOT NULL, agent_id TEXT, channel TEXT NOT NULL, code TEXT NOT NULL,
        quantity TEXT NOT NULL, unit TEXT NOT NULL, credits TEXT NOT NULL,
        PRIMARY KEY (account_id, usage_id, line));
     CREATE TABLE usage_ids (account_id TEXT NOT NULL, usage_id TEXT NOT NULL, seq BIGINT NOT NULL,
        PRIMARY KEY (account_id, usage_id));
     CREATE TABLE payments (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL, purpose TEXT NOT NULL, amount TEXT NOT NULL,
        currency TEXT NOT NULL, credits TEXT NOT NULL, status TEXT NOT NULL, grant_id TEXT NOT NULL,
        client_secret TEXT NOT NULL, created_at TEXT NOT NULL, settled_at TEXT);
     CREATE TABLE invoices (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL, payment_id TEXT NOT NULL,
        amount TEXT NOT NULL, currency TEXT NOT NULL, credits TEXT NOT NULL, created_at TEXT NOT NULL);
     CREATE TABLE outbox (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL,
        attempts BIGINT NOT NULL, next_attempt_ms BIGINT NOT NULL, status TEXT NOT NULL,
        last_error TEXT, delivered_at TEXT);
     CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);
     CREATE INDEX usage_lines_day ON usage_lines (account_id, day);",
    // Expiries are booked once per grant (SEMANTICS 14); existing books carry theirs over.
    "CREATE TABLE grant_expiries (account_id TEXT NOT NULL, grant_id TEXT NOT NULL,
        PRIMARY KEY (account_id, grant_id));
     INSERT INTO grant_expiries (account_id, grant_id)
        SELECT DISTINCT account_id, grant_id FROM ledger WHERE kind = 'expiry' AND grant_id IS NOT NULL",
];

/// Bring the schema up to date; safe to run on every start and from several servers.
pub fn migrate(db: &mut dyn Sql) -> Result<(), String> {
    db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)",
        &[],
    )?;
    let done = db.query("SELECT version FROM schema_migrations", &[])?;
    for (i, step) in MIGRATIONS.iter().enumerate() {
        let v = i as i64 + 1;
        if done.iter().any(|r| r[0].int() == Some(v)) {
            continue;
        }
        db.exec("BEGIN", &[])?;
        for stmt in step.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            db.exec(stmt, &[])?;
        }
        db.exec(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[Val::Int(v)],
        )?;
        db.exec("COMMIT", &[])?;
    }
    Ok(())
}

// ---- SQLite -------------------------------------------------------------------------

/// The SQLite store. `_owner` holds an exclusive lock on `PATH.lock` for the life of the
/// process: SQLite has one writer, so a second server on the same file would only answer
/// "database is locked"; it is refused at start instead.
pub struct Sqlite(
    rusqlite::Connection,
    #[allow(dead_code)] Option<std::fs::File>,
);

impl Sqlite {
    pub fn open(path: &str) -> Result<Sqlite, String> {
        let owner = if path == ":memory:" {
            None
        } else {
            Some(lock_owner(path)?)
        };
        let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        // WAL with synchronous=FULL: a commit is on disk when it returns (kill -9 safe);
        // busy_timeout lets a second process (a test reading the file) wait its turn.
        c.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;",
        )
        .map_err(|e| e.to_string())?;
        Ok(Sqlite(c, owner))
    }
}

fn lock_owner(path: &str) -> Result<std::fs::File, String> {
    let lock = format!("{path}.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|e| format!("cannot open {lock}: {e}"))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another drawdown serve is using {path} (it holds {lock}); SQLite has one \
             writer, so run one server per file, or several on PostgreSQL"
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {lock}: {e}")),
    }
}

fn sqlite_sql(sql: &str) -> String {
    // `$n` -> `?n`: SQLite's numbered parameters.
    sql.replace('$', "?")
}

impl Sql for Sqlite {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, String> {
        let mut st = self
            .0
            .prepare_cached(&sqlite_sql(sql))
            .map_err(|e| e.to_string())?;
        let n = st
            .execute(rusqlite::params_from_iter(params.iter().map(to_sqlite)))
            .map_err(|e| e.to_string())?;
        Ok(n as u64)
    }
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, String> {
        let mut st = self
            .0
            .prepare_cached(&sqlite_sql(sql))
            .map_err(|e| e.to_string())?;
        let cols = st.column_count();
        let mut rows = st
            .query(rusqlite::params_from_iter(params.iter().map(to_sqlite)))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| e.to_string())? {
            let mut row = Vec::with_capacity(cols);
            for i in 0..cols {
                row.push(match r.get_ref(i).map_err(|e| e.to_string())? {
                    rusqlite::types::ValueRef::Integer(i) => Val::Int(i),
                    rusqlite::types::ValueRef::Text(t) => {
                        Val::Text(String::from_utf8_lossy(t).into_owned())
                    }
                    _ => Val::Null,
                });
            }
            out.push(row);
        }
        Ok(out)
    }
    fn for_update(&self) -> &'static str {
        ""
    }
}

fn to_sqlite(v: &Val) -> rusqlite::types::Value {
    match v {
        Val::Null => rusqlite::types::Value::Null,
        Val::Int(i) => rusqlite::types::Value::Integer(*i),
        Val::Text(s) => rusqlite::types::Value::Text(s.clone()),
    }
}

// ---- PostgreSQL ---------------------------------------------------------------------

/// A PostgreSQL connection with its prepared statements kept (one round trip per
/// statement instead of two).
pub struct Postgres {
    client: postgres::Client,
    prepared: std::collections::HashMap<String, postgres::Statement>,
}

impl Postgres {
    pub fn connect(url: &str) -> Result<Postgres, String> {
        let client = postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
        Ok(Postgres {
            client,
            prepared: Default::default(),
        })
    }
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, String> {
        if let Some(st) = self.prepared.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql).map_err(|e| e.to_string())?;
        self.prepared.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

fn pg_params(params: &[Val]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
            match v {
                Val::Null => Box::new(None::<String>),
                Val::Int(i) => Box::new(*i),
                Val::Text(s) => Box::new(s.clone()),
            }
        })
        .collect()
}

impl Sql for Postgres {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, String> {
        let p = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = p.iter().map(|b| &**b).collect();
        if params.is_empty() {
            // Simple protocol: lets BEGIN/COMMIT/SAVEPOINT and DDL run without preparing.
            return self
                .client
                .batch_execute(sql)
                .map(|_| 0)
                .map_err(|e| e.to_string());
        }
        let st = self.statement(sql)?;
        self.client.execute(&st, &refs).map_err(|e| e.to_string())
    }
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, String> {
        let p = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = p.iter().map(|b| &**b).collect();
        let st = self.statement(sql)?;
        let rows = self.client.query(&st, &refs).map_err(|e| e.to_string())?;
        Ok(rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        if let Ok(Some(v)) = r.try_get::<_, Option<i64>>(i) {
                            Val::Int(v)
                        } else if let Ok(Some(v)) = r.try_get::<_, Option<String>>(i) {
                            Val::Text(v)
                        } else {
                            Val::Null
                        }
                    })
                    .collect()
            })
            .collect())
    }
    fn for_update(&self) -> &'static str {
        " FOR UPDATE"
    }
}

/// Open the store a `--database-url` names: `sqlite:PATH` (or a bare path) or
/// `postgres://...`.
pub fn open(url: &str) -> Result<Box<dyn Sql + Send>, String> {
    let mut db: Box<dyn Sql + Send> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Box::new(Postgres::connect(url)?)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or(url.strip_prefix("sqlite:"));
            Box::new(Sqlite::open(path.unwrap_or(url))?)
        };
    migrate(db.as_mut())?;
    Ok(db)
}

// ---- The writer thread --------------------------------------------------------------

/// How many queued requests one transaction takes at most.
const GROUP: usize = 256;

pub type Job<R> = Box<dyn FnOnce(&mut dyn Sql) -> R + Send>;

struct Task<R> {
    job: Job<R>,
    reply: tokio::sync::oneshot::Sender<Result<R, String>>,
}

/// A handle to the writer thread. `R` is what a job answers (the server's HTTP reply);
/// `ok(&R)` says whether the job's writes should stay (else its savepoint is rolled back).
pub struct Writer<R> {
    tx: mpsc::Sender<Task<R>>,
}

impl<R> Clone for Writer<R> {
    fn clone(&self) -> Self {
        Writer {
            tx: self.tx.clone(),
        }
    }
}

impl<R: Send + 'static> Writer<R> {
    pub fn start(mut db: Box<dyn Sql + Send>, ok: fn(&R) -> bool) -> Writer<R> {
        let (tx, rx) = mpsc::channel::<Task<R>>();
        std::thread::Builder::new()
            .name("drawdown-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < GROUP {
                        match rx.try_recv() {
                            Ok(t) => batch.push(t),
                            Err(_) => break,
                        }
                    }
                    run_group(db.as_mut(), batch, ok);
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| eprintln!("drawdown: cannot start the writer thread: {e}"));
        Writer { tx }
    }

    /// Run `job` in the next group; the answer arrives after its commit.
    pub async fn run(&self, job: Job<R>) -> Result<R, String> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Task { job, reply })
            .map_err(|_| "the store is closed".to_string())?;
        rx.await.map_err(|_| "the store stopped".to_string())?
    }
}

fn run_group<R>(db: &mut dyn Sql, batch: Vec<Task<R>>, ok: fn(&R) -> bool) {
    if let Err(e) = db.exec("BEGIN", &[]) {
        for t in batch {
            let _ = t.reply.send(Err(e.clone()));
        }
        return;
    }
    let mut done = Vec::with_capacity(batch.len());
    for t in batch {
        let r = db.exec("SAVEPOINT job", &[]).and_then(|_| {
            let out = (t.job)(db);
            if ok(&out) {
                db.exec("RELEASE SAVEPOINT job", &[])?;
            } else {
                db.exec("ROLLBACK TO SAVEPOINT job", &[])?;
                db.exec("RELEASE SAVEPOINT job", &[])?;
            }
            Ok(out)
        });
        done.push((t.reply, r));
    }
    // Nothing is acknowledged before the commit that makes it durable has returned.
    match db.exec("COMMIT", &[]) {
        Ok(_) => {
            for (reply, r) in done {
                let _ = reply.send(r);
            }
        }
        Err(e) => {
            let _ = db.exec("ROLLBACK", &[]);
            for (reply, _) in done {
                let _ = reply.send(Err(format!("commit failed: {e}")));
            }
        }
    }
}
