//! Storage: one small SQL interface over the embedded SQLite store and PostgreSQL, the same
//! schema in both (migrations below), and the workers that own the connections.
//!
//! Every write runs as a closure on the one writer thread. It takes whatever requests are
//! queued (up to `GROUP`), locks their accounts in one order while it reads what the jobs
//! announced they need (`memo::Needs`), runs each inside its own savepoint of one
//! transaction and commits once: group commit, so a durable (fsynced)
//! commit is shared by many deductions and nobody is told "done" before the commit that
//! makes it so has returned. Reads run on `READERS` threads with connections of their own.
//! A lost connection is reopened with backoff; meanwhile jobs fail with
//! `StoreError::Unavailable`, and a job that panics fails alone (`StoreError::Panicked`).

use std::sync::mpsc;

use super::memo::{Db, Memo, Needs};
use super::sql::{Sql, Val, IDLE_PING};
use super::sqlite::Sqlite;

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
    // Usage by day as running totals (`rollup`); the lines recorded so far are summed in
    // `BACKFILLS` within the same transaction.
    "CREATE TABLE usage_days (
        account_id TEXT NOT NULL, day TEXT NOT NULL, channel TEXT NOT NULL, code TEXT NOT NULL,
        unit TEXT NOT NULL, quantity TEXT NOT NULL, credits TEXT NOT NULL, lines BIGINT NOT NULL,
        PRIMARY KEY (account_id, day, channel, code, unit))",
    // Live calls (SEMANTICS 11): the holds are in the snapshot; this keeps each call's
    // state and the answers a retried start or end replays.
    "CREATE TABLE calls (
        account_id TEXT NOT NULL, call_id TEXT NOT NULL, state TEXT NOT NULL, started_at TEXT,
        start_answer TEXT, end_answer TEXT, ended_at TEXT, PRIMARY KEY (account_id, call_id))",
    // Tax and invoices (SEMANTICS 13): billing profiles, every VAT ID check, a counter per
    // invoice series (gapless numbers), each invoice's issued document, each payment's quote.
    "CREATE TABLE billing_profiles (
        account_id TEXT PRIMARY KEY, name TEXT, address TEXT NOT NULL, country TEXT, vat_id TEXT,
        vat_status TEXT NOT NULL, vat_checked_at TEXT, updated_at TEXT NOT NULL);
     CREATE TABLE vat_checks (
        id TEXT PRIMARY KEY, account_id TEXT NOT NULL, vat_id TEXT NOT NULL, checked_at TEXT NOT NULL,
        provider TEXT NOT NULL, result TEXT NOT NULL, consultation TEXT, detail TEXT);
     CREATE INDEX vat_checks_account ON vat_checks (account_id, checked_at);
     CREATE TABLE invoice_series (series TEXT PRIMARY KEY, last BIGINT NOT NULL);
     ALTER TABLE invoices ADD COLUMN number TEXT;
     ALTER TABLE invoices ADD COLUMN kind TEXT;
     ALTER TABLE invoices ADD COLUMN document TEXT;
     CREATE UNIQUE INDEX invoices_number ON invoices (number);
     CREATE INDEX invoices_payment ON invoices (payment_id);
     ALTER TABLE payments ADD COLUMN gross TEXT;
     ALTER TABLE payments ADD COLUMN quote TEXT;
     ALTER TABLE payments ADD COLUMN refunded_at TEXT",
    // A lapsed call's hold leaves the account's snapshot for its row (`calls::lapse_holds`).
    "ALTER TABLE calls ADD COLUMN lapsed_hold TEXT",
    // SEMANTICS 15 "The ledger chains": ledger numbers are for money entries alone, so
    // webhook and payment ids take theirs from `ids` (started past every number used so
    // far), and `ledger_balance` is the last entry's `balanceAfter`, where the next begins
    // (left empty here: the first job works it out from the books, `accounts::opening`).
    // "On time": `due_ms` is the next instant time alone changes the account (every account
    // is visited once after this step), `due_through_ms` how far the scheduler has been,
    // `expiring_days` the account's `grant.expiring` warnings (`books::schedule`).
    "ALTER TABLE accounts ADD COLUMN ids BIGINT NOT NULL DEFAULT 0;
     UPDATE accounts SET ids = seq;
     ALTER TABLE accounts ADD COLUMN ledger_balance TEXT;
     ALTER TABLE accounts ADD COLUMN due_ms BIGINT;
     ALTER TABLE accounts ADD COLUMN due_through_ms BIGINT;
     ALTER TABLE accounts ADD COLUMN expiring_days TEXT;
     UPDATE accounts SET due_ms = 0;
     CREATE INDEX accounts_due ON accounts (due_ms)",
    // SEMANTICS 16 plan fees: one row per fee charged (its cycle, payment, invoice lines and
    // the allowances held back while it is unpaid; `n` orders two plans started in one
    // second); `fee_cycle` is the cycle start whose fee is dealt with (empty: the current
    // cycle is taken as paid, as for books from before).
    // SEMANTICS 17 at the server: each account's `balance.runway_low` threshold and when its
    // runway last fell under it and was last forecast (`books::runway_low`).
    "CREATE TABLE plan_fees (
        account_id TEXT NOT NULL, cycle_start TEXT NOT NULL, plan_id TEXT NOT NULL,
        payment_id TEXT NOT NULL, status TEXT NOT NULL, net TEXT NOT NULL, gross TEXT NOT NULL,
        lines TEXT NOT NULL, withheld TEXT, created_at TEXT NOT NULL, n BIGINT NOT NULL,
        PRIMARY KEY (account_id, payment_id));
     CREATE INDEX plan_fees_cycle ON plan_fees (account_id, cycle_start, n);
     ALTER TABLE accounts ADD COLUMN fee_cycle TEXT;
     ALTER TABLE accounts ADD COLUMN runway_low_days BIGINT;
     ALTER TABLE accounts ADD COLUMN runway_low_since TEXT;
     ALTER TABLE accounts ADD COLUMN runway_checked_ms BIGINT",
    // Price versions (issue 28): the rate card's later versions, each with its
    // `effectiveFrom`, kept with the account so every job prices by them (`books::prices`).
    "ALTER TABLE accounts ADD COLUMN rate_card_versions TEXT",
    // Plan versions (issue 28): the built-in catalogue is version 1 of each plan; later
    // versions, scheduled by the platform, are kept here (`books::plans`).
    "CREATE TABLE plan_versions (
        plan_id TEXT NOT NULL, version BIGINT NOT NULL, effective_from TEXT NOT NULL,
        plan TEXT NOT NULL, created_at TEXT NOT NULL, cancelled_at TEXT,
        PRIMARY KEY (plan_id, version))",
    // SEMANTICS 18: the calls an inbound toll-free limit refused, each with the window it
    // fell in (`traffic.limited` is sent at the first of each window; `books::inbound`).
    "CREATE TABLE inbound_refusals (
        account_id TEXT NOT NULL, n BIGINT NOT NULL, call_id TEXT NOT NULL, at TEXT NOT NULL,
        number_id TEXT, limit_name TEXT NOT NULL, window_start TEXT NOT NULL,
        PRIMARY KEY (account_id, n));
     CREATE INDEX inbound_refusals_window ON inbound_refusals (account_id, limit_name, window_start)",
    // SEMANTICS 15 late usage: the steps each account's books took (usage drawn, credits
    // landed, reloads paid) and checkpoints of the account between them (`books::steps`).
    "CREATE TABLE redraw_steps (
        account_id TEXT NOT NULL, n BIGINT NOT NULL, at_ns BIGINT NOT NULL, kind TEXT NOT NULL,
        body TEXT NOT NULL, drawn TEXT, PRIMARY KEY (account_id, n));
     CREATE INDEX redraw_steps_at ON redraw_steps (account_id, at_ns);
     CREATE TABLE redraw_checkpoints (
        account_id TEXT NOT NULL, n BIGINT NOT NULL, at_ns BIGINT NOT NULL,
        barrier BIGINT NOT NULL, snapshot TEXT NOT NULL, PRIMARY KEY (account_id, n))",
    // A checkpoint is named by its instant and step number together: the opening one and
    // the one before the first step share a number (`books::steps`).
    "DROP TABLE redraw_checkpoints;
     CREATE TABLE redraw_checkpoints (
        account_id TEXT NOT NULL, n BIGINT NOT NULL, at_ns BIGINT NOT NULL,
        barrier BIGINT NOT NULL, snapshot TEXT NOT NULL, PRIMARY KEY (account_id, at_ns, n))",
    // Saved payment methods (seed 002: auto-recharge needs one) and the provider's card
    // setups they are saved through (a client secret each, used once).
    "CREATE TABLE payment_methods (
        account_id TEXT NOT NULL, id TEXT NOT NULL, brand TEXT NOT NULL, last4 TEXT NOT NULL,
        exp_month BIGINT NOT NULL, exp_year BIGINT NOT NULL, is_default BIGINT NOT NULL,
        created_at TEXT NOT NULL, PRIMARY KEY (account_id, id));
     CREATE TABLE payment_method_setups (
        account_id TEXT NOT NULL, id TEXT NOT NULL, client_secret TEXT NOT NULL,
        created_at TEXT NOT NULL, used BIGINT NOT NULL, PRIMARY KEY (account_id, id))",
];

/// Migration steps that need exact decimal arithmetic (done in Rust), by version.
type Backfill = fn(&mut dyn Sql) -> Result<(), String>;
const BACKFILLS: &[(i64, Backfill)] = &[(3, super::rollup::backfill)];

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
        for (_, backfill) in BACKFILLS.iter().filter(|(version, _)| *version == v) {
            backfill(db)?;
        }
        db.exec(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[Val::Int(v)],
        )?;
        db.exec("COMMIT", &[])?;
    }
    Ok(())
}

/// Where the store is, as `--database-url` names it: `sqlite:PATH` (or a bare path) or
/// `postgres://...`. Opens the writer's connection (once, migrating the schema) and as many
/// more as the readers and reconnects need.
#[derive(Debug, Clone)]
pub enum Location {
    Sqlite(String),
    Postgres(String),
}

impl Location {
    pub fn parse(url: &str) -> Location {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Location::Postgres(url.to_string());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or(url.strip_prefix("sqlite:"));
        Location::Sqlite(path.unwrap_or(url).to_string())
    }

    /// The writer's connection, with the schema brought up to date. On SQLite it owns the
    /// file (one server per file); on PostgreSQL migrations run under an advisory lock, so
    /// servers started together on an empty database all come up.
    pub fn open_writer(&self) -> Result<Box<dyn Db + Send>, String> {
        let mut db: Box<dyn Db + Send> = match self {
            Location::Sqlite(path) => Box::new(Sqlite::open(path)?),
            Location::Postgres(url) => Box::new(super::postgres::Postgres::connect(url)?),
        };
        let serialized = matches!(self, Location::Postgres(_));
        if serialized {
            db.exec(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"), &[])?;
        }
        let r = migrate(db.as_mut());
        if serialized {
            db.exec(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"), &[])?;
        }
        r.map(|_| db)
    }

    /// A connection for the readers, or for the writer after its connection was lost.
    pub fn reconnect(&self, reader: bool) -> Result<Box<dyn Db + Send>, String> {
        match self {
            Location::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
                c.execute_batch(&format!(
                    "PRAGMA busy_timeout=5000; PRAGMA query_only={};",
                    if reader { 1 } else { 0 }
                ))
                .map_err(|e| e.to_string())?;
                Ok(Box::new(Sqlite(c, None, Memo::default())))
            }
            Location::Postgres(url) => Ok(Box::new(super::postgres::Postgres::connect(url)?)),
        }
    }
}

/// The advisory-lock key migrations run under (any constant shared by every server).
const MIGRATION_LOCK: i64 = 0x6472_6177_646f_776e; // "drawdown"

// ---- Workers: the writer thread and the readers ----------------------------------------

/// How many queued requests one transaction takes at most.
const GROUP: usize = 256;
/// Reader threads, each with its own connection (SQLite WAL readers run beside the writer).
pub const READERS: usize = 2;
/// Reconnect backoff after a lost connection: from the first to the last delay, doubling.
const RECONNECT_FIRST: std::time::Duration = std::time::Duration::from_millis(100);
const RECONNECT_LAST: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a job did not run to an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// The database cannot be reached now (lost connection, failed commit); retry later.
    Unavailable(String),
    /// The job panicked: its own request fails, its writes are rolled back.
    Panicked,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Unavailable(e) => write!(f, "the store is unavailable: {e}"),
            StoreError::Panicked => write!(f, "the request failed inside the server"),
        }
    }
}

pub type Job<R> = Box<dyn FnOnce(&mut dyn Db) -> R + Send>;

struct Task<R> {
    /// The account the job writes, if any: a group locks its accounts in this order first,
    /// so two servers' groups on one PostgreSQL can never wait on each other in a cycle.
    account: Option<String>,
    /// What the job will read, so the group reads it ahead for all its jobs at once.
    needs: Option<Needs>,
    job: Job<R>,
    reply: tokio::sync::oneshot::Sender<Result<R, StoreError>>,
}

/// A handle to a worker: the writer (one thread, group commit) or the readers.
pub struct Workers<R> {
    tx: mpsc::Sender<Task<R>>,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<R> Clone for Workers<R> {
    fn clone(&self) -> Self {
        Workers {
            tx: self.tx.clone(),
            up: self.up.clone(),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// One transaction per group, a savepoint per job, commit before any answer.
    Write,
    /// A read-only transaction per job (a consistent snapshot), rolled back.
    Read,
}

impl<R: Send + 'static> Workers<R> {
    /// The writer: owns `db`, reopens it through `at` when it is lost. `ok(&R)` says
    /// whether a job's writes stay (else its savepoint is rolled back).
    pub fn writer(db: Box<dyn Db + Send>, at: Location, ok: fn(&R) -> bool) -> Workers<R> {
        Self::spawn("drawdown-writer", vec![Some(db)], at, Mode::Write, ok)
    }

    /// `n` reader threads with their own connections, for jobs that only read.
    pub fn readers(n: usize, at: Location, ok: fn(&R) -> bool) -> Workers<R> {
        let first = (0..n).map(|_| at.reconnect(true).ok()).collect();
        Self::spawn("drawdown-reader", first, at, Mode::Read, ok)
    }

    fn spawn(
        name: &str,
        dbs: Vec<Option<Box<dyn Db + Send>>>,
        at: Location,
        mode: Mode,
        ok: fn(&R) -> bool,
    ) -> Workers<R> {
        let (tx, rx) = mpsc::channel::<Task<R>>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(
            dbs.iter().all(Option::is_some),
        ));
        for db in dbs {
            let w = Worker {
                db,
                at: at.clone(),
                mode,
                ok,
                up: up.clone(),
                delay: RECONNECT_FIRST,
            };
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(name.into())
                .spawn(move || w.run(&rx));
            if let Err(e) = spawned {
                eprintln!("drawdown: cannot start {name}: {e}");
            }
        }
        Workers { tx, up }
    }

    /// Run `job` (in the writer: in the next group; the answer arrives after its commit).
    pub async fn run(
        &self,
        account: Option<String>,
        needs: Option<Needs>,
        job: Job<R>,
    ) -> Result<R, StoreError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Task {
                account,
                needs,
                job,
                reply,
            })
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the store stopped".into()))?
    }

    /// Whether every connection of these workers was working at its last use.
    pub fn is_up(&self) -> bool {
        self.up.load(std::sync::atomic::Ordering::Relaxed)
    }
}

struct Worker<R> {
    db: Option<Box<dyn Db + Send>>,
    at: Location,
    mode: Mode,
    ok: fn(&R) -> bool,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    delay: std::time::Duration,
}

impl<R> Worker<R> {
    fn run(mut self, rx: &std::sync::Mutex<mpsc::Receiver<Task<R>>>) {
        loop {
            let batch = match self.take(rx) {
                Some(b) => b,
                None => return,
            };
            if self.db.is_none() {
                self.reconnect();
            }
            let Some(db) = self.db.as_mut() else {
                let why =
                    StoreError::Unavailable("the database connection is being reopened".into());
                for t in batch {
                    let _ = t.reply.send(Err(why.clone()));
                }
                continue;
            };
            match self.mode {
                Mode::Write => run_group(db.as_mut(), batch, self.ok),
                Mode::Read => batch.into_iter().for_each(|t| run_read(db.as_mut(), t)),
            }
            if !db.alive() {
                self.lost();
            }
        }
    }

    /// The next tasks (up to a group for the writer). While the connection is down, wake
    /// up at the backoff delay even without tasks, so the store comes back by itself.
    fn take(&mut self, rx: &std::sync::Mutex<mpsc::Receiver<Task<R>>>) -> Option<Vec<Task<R>>> {
        let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
        let first = loop {
            let wait = if self.db.is_some() {
                IDLE_PING
            } else {
                self.delay
            };
            match rx.recv_timeout(wait) {
                Ok(t) => break t,
                Err(mpsc::RecvTimeoutError::Timeout) => self.idle(),
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        };
        let mut batch = vec![first];
        let max = if self.mode == Mode::Write { GROUP } else { 1 };
        while batch.len() < max {
            match rx.try_recv() {
                Ok(t) => batch.push(t),
                Err(_) => break,
            }
        }
        Some(batch)
    }

    /// Nothing to do: check the connection, or try to reopen it.
    fn idle(&mut self) {
        match self.db.as_mut().map(|db| db.ping()) {
            Some(true) => {}
            Some(false) => self.lost(),
            None => self.reconnect(),
        }
    }

    fn lost(&mut self) {
        self.db = None;
        self.up.store(false, std::sync::atomic::Ordering::Relaxed);
    }

    fn reconnect(&mut self) {
        match self.at.reconnect(self.mode == Mode::Read) {
            Ok(db) => {
                self.db = Some(db);
                self.delay = RECONNECT_FIRST;
                self.up.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            Err(_) => self.delay = (self.delay * 2).min(RECONNECT_LAST),
        }
    }
}

/// Run a job, containing a panic to the job itself.
fn guarded<R>(db: &mut dyn Db, job: Job<R>) -> Result<R, StoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(db)))
        .map_err(|_| StoreError::Panicked)
}

fn run_read<R>(db: &mut dyn Db, t: Task<R>) {
    let r = match db.exec("BEGIN", &[]) {
        Ok(_) => {
            let out = guarded(db, t.job);
            let _ = db.exec("ROLLBACK", &[]);
            db.memo().clear();
            out
        }
        Err(e) => Err(StoreError::Unavailable(e)),
    };
    let _ = t.reply.send(r);
}

/// End a job's savepoint: keep its writes when it succeeded, else undo them (rows, memo).
/// On PostgreSQL the release travels with the next statement; a write that fails there
/// poisons the group (`Postgres::poisoned`), so nothing of it commits.
fn end_job<R>(
    db: &mut dyn Db,
    out: Result<R, StoreError>,
    ok: fn(&R) -> bool,
) -> Result<R, StoreError> {
    let released = match &out {
        Ok(r) if ok(r) => db.exec("RELEASE SAVEPOINT job", &[]),
        _ => Err(String::new()),
    };
    let Err(why) = released else { return out };
    db.memo().undo();
    db.exec("ROLLBACK TO SAVEPOINT job", &[])
        .and_then(|_| db.exec("RELEASE SAVEPOINT job", &[]))
        .map_err(StoreError::Unavailable)?;
    if why.is_empty() {
        out
    } else {
        Err(StoreError::Unavailable(why))
    }
}

fn run_group<R>(db: &mut dyn Db, mut batch: Vec<Task<R>>, ok: fn(&R) -> bool) {
    batch.sort_by(|a, b| a.account.cmp(&b.account));
    let jobs: Vec<(Option<&str>, Option<&Needs>)> = batch
        .iter()
        .map(|t| (t.account.as_deref(), t.needs.as_ref()))
        .collect();
    let mut memo = Memo::default();
    let ready = db
        .exec("BEGIN", &[])
        .and_then(|_| memo.read_ahead(db, &jobs));
    *db.memo() = memo;
    if let Err(e) = ready {
        let _ = db.exec("ROLLBACK", &[]);
        for t in batch {
            let _ = t.reply.send(Err(StoreError::Unavailable(e.clone())));
        }
        return;
    }
    let mut done = Vec::with_capacity(batch.len());
    for t in batch {
        db.memo().mark();
        let r = match db.exec("SAVEPOINT job", &[]) {
            Err(e) => Err(StoreError::Unavailable(e)),
            Ok(_) => {
                let out = guarded(db, t.job);
                end_job(db, out, ok)
            }
        };
        done.push((t.reply, r));
    }
    // Nothing is acknowledged before the commit that makes it durable has returned.
    let memo = std::mem::take(db.memo());
    let committed = memo.flush(db).and_then(|_| db.exec("COMMIT", &[]));
    match committed {
        Ok(_) => {
            for (reply, r) in done {
                let _ = reply.send(r);
            }
        }
        Err(e) => {
            let _ = db.exec("ROLLBACK", &[]);
            for (reply, _) in done {
                let _ = reply.send(Err(StoreError::Unavailable(format!("commit failed: {e}"))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_totals_migration_sums_earlier_lines() {
        let mut db = Sqlite(
            rusqlite::Connection::open_in_memory().unwrap(),
            None,
            Memo::default(),
        );
        db.exec(
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY)",
            &[],
        )
        .unwrap();
        for (i, step) in MIGRATIONS[..2].iter().enumerate() {
            for stmt in step.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                db.exec(stmt, &[]).unwrap();
            }
            db.exec(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[(i as i64 + 1).into()],
            )
            .unwrap();
        }
        for (id, day, channel, code, unit, q, cr) in [
            (
                "u1",
                "2026-11-01",
                "voice",
                "voice.ai_minutes",
                "second",
                "60",
                "9.0000",
            ),
            (
                "u2",
                "2026-11-01",
                "voice",
                "voice.ai_minutes",
                "second",
                "120",
                "18",
            ),
            (
                "u3",
                "2026-11-02",
                "chat",
                "chat.message",
                "message",
                "3",
                "1.5",
            ),
        ] {
            db.exec(
                "INSERT INTO usage_lines (account_id, usage_id, line, at, day, agent_id, channel, code, quantity, unit, credits) \
                 VALUES ('a', $1, 1, 't', $2, NULL, $3, $4, $5, $6, $7)",
                &[id.into(), day.into(), channel.into(), code.into(), q.into(), unit.into(), cr.into()],
            )
            .unwrap();
        }
        migrate(&mut db).unwrap();
        let days = super::super::rollup::read(&mut db, "a", "2026-11-01", "2026-11-02").unwrap();
        let key = |d: &str, ch: &str, code: &str, unit: &str| {
            (d.into(), ch.into(), code.into(), unit.into())
        };
        let voice = days[&key("2026-11-01", "voice", "voice.ai_minutes", "second")];
        assert_eq!(
            (
                voice.quantity.to_string(),
                voice.credits.to_string(),
                voice.lines
            ),
            ("180".into(), "27.0000".into(), 2)
        );
        assert_eq!(
            days[&key("2026-11-02", "chat", "chat.message", "message")]
                .credits
                .to_string(),
            "1.5"
        );
        assert_eq!(days.len(), 2);
    }

    fn memory_writer() -> Workers<Result<i64, String>> {
        let mut db: Box<dyn Db + Send> = Box::new(Sqlite(
            rusqlite::Connection::open_in_memory().unwrap(),
            None,
            Memo::default(),
        ));
        db.exec("CREATE TABLE t (n BIGINT)", &[]).unwrap();
        Workers::writer(db, Location::Sqlite(":memory:".into()), Result::is_ok)
    }

    /// A job that panics fails its own request; the writer, its group and later jobs go on.
    #[test]
    fn a_panicking_job_fails_alone() {
        let w = memory_writer();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let insert = |n: i64| -> Job<Result<i64, String>> {
                Box::new(move |db| {
                    db.exec("INSERT INTO t (n) VALUES ($1)", &[n.into()])
                        .map(|_| n)
                })
            };
            let boom: Job<Result<i64, String>> = Box::new(|db| {
                let _ = db.exec("INSERT INTO t (n) VALUES (99)", &[]);
                panic!("a bug in one job")
            });
            let (a, b, c) = tokio::join!(
                w.run(None, None, insert(1)),
                w.run(None, None, boom),
                w.run(None, None, insert(2))
            );
            assert_eq!((a, b, c), (Ok(Ok(1)), Err(StoreError::Panicked), Ok(Ok(2))));
            let count: Job<Result<i64, String>> = Box::new(|db| {
                let rows = db.query("SELECT n FROM t ORDER BY n", &[])?;
                Ok(rows.iter().filter_map(|r| r[0].int()).sum())
            });
            assert_eq!(
                w.run(None, None, count).await,
                Ok(Ok(3)),
                "the panicking job's write is gone"
            );
        });
    }
}
