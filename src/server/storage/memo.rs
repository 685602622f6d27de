//! What the writer's current group knows without asking the database again.
//!
//! A group holds its accounts' locks from its first statement to its commit, so nobody else
//! can change what it read of them. It therefore reads, in one message before its first job,
//! everything its jobs announced they need (`Needs`: the accounts, their idempotency keys,
//! usage ids, booked expiries and day totals), and each job then reads that here and writes
//! both to the database and here, so the next job of the group sees it. Account rows and day
//! totals are written to the database once, before the commit. A job's changes are undone
//! with its savepoint (`mark`, `undo`). With every read done up front a group costs
//! PostgreSQL two round trips whatever its size (BENCHMARKS.md).

use super::rollup::{self, Days, Key, Totals};
use super::sql::{placeholders, Row, Sql, Val};
use crate::engine::calendar::Instant;
use std::collections::{BTreeSet, HashMap};

/// The most usage ids a group reads ahead; a group past it reads the rest per job.
const AHEAD_IDS: usize = 4096;

/// A connection with the memo of the group it serves: what every job runs on.
pub trait Db: Sql {
    /// What the writer's current group holds of its accounts (`Memo`).
    fn memo(&mut self) -> &mut Memo;
}

/// What a write job will read, announced when it is queued.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    /// Its idempotency key.
    pub key: Option<String>,
    /// The usage ids it records.
    pub usage_ids: Vec<String>,
    /// The local dates (inclusive) of the day totals it updates.
    pub days: Option<(String, String)>,
    /// The live calls whose rows it reads (`calls`: state and recorded answers).
    pub calls: Vec<String>,
}

impl Needs {
    /// The UTC dates from `days` before `first` to `days` after `last` (inclusive), a span
    /// that holds the local dates of both in every zone when `days` is at least 1.
    pub fn dates_around(first: Instant, last: Instant, days: i64) -> (String, String) {
        let day = |t: Instant, d: i64| (t.0.date_naive() + chrono::Duration::days(d)).to_string();
        (day(first, -days), day(last, days))
    }
}

/// An account row: its rate card and snapshot (JSON text), its ledger sequence, the counter
/// of its webhook and payment ids, and its ledger's running balance (`None`: no entry yet).
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub rate_card: String,
    pub snapshot: String,
    pub seq: i64,
    pub ids: i64,
    pub balance: Option<String>,
    pub due_ms: Option<i64>,
    pub through_ms: Option<i64>,
    pub expiring_days: Option<String>,
    /// The cycle start whose plan fee has been charged or taken as paid (`books::fees`).
    pub fee_cycle: Option<String>,
    /// The account's `balance.runway_low` threshold in days (`None`: the default) and the
    /// instant its runway last fell under it (`None`: not under it now).
    pub runway_low_days: Option<i64>,
    pub runway_low_since: Option<String>,
    pub runway_checked_ms: Option<i64>,
    /// The rate card's later versions, JSON (`books::card_versions`).
    pub rate_card_versions: Option<String>,
}

impl AccountRow {
    /// The columns `from_row` reads, in its order.
    pub const COLUMNS: &'static str =
        "rate_card, snapshot, seq, ids, ledger_balance, due_ms, due_through_ms, expiring_days, \
         fee_cycle, runway_low_days, runway_low_since, runway_checked_ms, rate_card_versions";

    /// The row from `COLUMNS` starting at `r[i]`.
    pub fn from_row(r: &[Val], i: usize) -> AccountRow {
        AccountRow {
            rate_card: r[i].text().unwrap_or("").to_string(),
            snapshot: r[i + 1].text().unwrap_or("").to_string(),
            seq: r[i + 2].int().unwrap_or(0),
            ids: r[i + 3].int().unwrap_or(0),
            balance: r[i + 4].text().map(str::to_string),
            due_ms: r[i + 5].int(),
            through_ms: r[i + 6].int(),
            expiring_days: r[i + 7].text().map(str::to_string),
            fee_cycle: r[i + 8].text().map(str::to_string),
            runway_low_days: r[i + 9].int(),
            runway_low_since: r[i + 10].text().map(str::to_string),
            runway_checked_ms: r[i + 11].int(),
            rate_card_versions: r[i + 12].text().map(str::to_string),
        }
    }

    /// Write the row's changing columns back (the rate card and the settings never change here).
    pub fn write(&self, db: &mut dyn Sql, id: &str) -> Result<(), String> {
        db.exec(
            "UPDATE accounts SET snapshot = $1, seq = $2, ids = $3, ledger_balance = $4, \
             due_ms = $5, due_through_ms = $6, fee_cycle = $7, runway_low_since = $8, \
             runway_checked_ms = $9 WHERE id = $10",
            &[
                self.snapshot.as_str().into(),
                self.seq.into(),
                self.ids.into(),
                self.balance.clone().into(),
                self.due_ms.into(),
                self.through_ms.into(),
                self.fee_cycle.clone().into(),
                self.runway_low_since.clone().into(),
                self.runway_checked_ms.into(),
                id.into(),
            ],
        )?;
        Ok(())
    }
}

/// What the group read of one account (ahead, or when a job first needed it), as its jobs
/// have since changed it.
#[derive(Default)]
struct Ahead {
    /// Idempotency rows by key (`None`: the key is unused).
    keys: HashMap<String, Option<Row>>,
    /// Usage ids, and whether each is recorded.
    ids: HashMap<String, bool>,
    /// The grants whose expiry is booked, once read.
    expired: Option<BTreeSet<String>>,
    /// Day totals of the dates in `ranges` (inclusive local dates), and those changed since.
    days: Days,
    ranges: Vec<(String, String)>,
    dirty_days: BTreeSet<Key>,
    /// Call rows by call id (state, start answer, end answer; `None`: no row).
    calls: HashMap<String, Option<Row>>,
}

/// Whether one of `ranges` holds every date of `span`.
fn covered(ranges: &[(String, String)], span: &(String, String)) -> bool {
    ranges.iter().any(|(f, t)| *f <= span.0 && span.1 <= *t)
}

/// One change of a job, with what to put back if its savepoint is rolled back.
enum Change {
    Row(String, Option<AccountRow>, bool),
    Key(String, String, Option<Option<Row>>),
    Id(String, String, Option<bool>),
    Expired(String, String),
    Day(String, Key, Option<Totals>, bool),
    Call(String, String, Option<Option<Row>>),
}

#[derive(Default)]
pub struct Memo {
    rows: HashMap<String, AccountRow>,
    dirty: BTreeSet<String>,
    ahead: HashMap<String, Ahead>,
    journal: Vec<Change>,
}

/// What a usage job reads before deciding, when the group read it ahead.
pub struct Known {
    pub replay: Option<Row>,
    pub seen: BTreeSet<String>,
    pub expired: BTreeSet<String>,
    pub days: Days,
}

impl Memo {
    pub fn get(&self, id: &str) -> Option<AccountRow> {
        self.rows.get(id).cloned()
    }
    /// A row as read from the table.
    pub fn remember(&mut self, id: &str, row: AccountRow) {
        let before = self.rows.insert(id.to_string(), row);
        let dirty = self.dirty.contains(id);
        self.journal
            .push(Change::Row(id.to_string(), before, dirty));
    }
    /// A row as the job changed it: written to the table before the commit.
    pub fn change(&mut self, id: &str, row: AccountRow) {
        self.remember(id, row);
        self.dirty.insert(id.to_string());
    }

    /// The idempotency row of `key`, when the group knows it (`Some(None)`: unused).
    pub fn key(&self, account: &str, key: &str) -> Option<Option<Row>> {
        self.ahead.get(account)?.keys.get(key).cloned()
    }
    pub fn remember_key(&mut self, account: &str, key: &str, row: Row) {
        let a = self.ahead.entry(account.to_string()).or_default();
        let before = a.keys.insert(key.to_string(), Some(row));
        self.journal
            .push(Change::Key(account.into(), key.into(), before));
    }
    pub fn record_id(&mut self, account: &str, id: &str) {
        let Some(a) = self.ahead.get_mut(account) else {
            return;
        };
        let before = a.ids.insert(id.to_string(), true);
        self.journal
            .push(Change::Id(account.into(), id.into(), before));
    }
    /// A call's row (state, start answer, end answer), when the group knows it
    /// (`Some(None)`: no row).
    pub fn call(&self, account: &str, id: &str) -> Option<Option<Row>> {
        self.ahead.get(account)?.calls.get(id).cloned()
    }
    /// Whether a usage id is recorded, when the group knows.
    pub fn usage_id(&self, account: &str, id: &str) -> Option<bool> {
        self.ahead.get(account)?.ids.get(id).copied()
    }
    /// The job wrote the call's row: the group no longer knows it (the next read asks).
    pub fn forget_call(&mut self, account: &str, id: &str) {
        let Some(a) = self.ahead.get_mut(account) else {
            return;
        };
        if let Some(before) = a.calls.remove(id) {
            self.journal
                .push(Change::Call(account.into(), id.into(), Some(before)));
        }
    }
    /// The grants whose expiry is booked, when the group read them.
    pub fn expired(&self, account: &str) -> Option<BTreeSet<String>> {
        self.ahead.get(account)?.expired.clone()
    }
    pub fn book_expiry(&mut self, account: &str, grant: &str) {
        let Some(set) = self.ahead.get_mut(account).and_then(|a| a.expired.as_mut()) else {
            return;
        };
        if set.insert(grant.to_string()) {
            self.journal
                .push(Change::Expired(account.into(), grant.into()));
        }
    }

    /// Everything a usage job on `account` reads (`needs`), from what the group holds.
    /// `None` when something is not held (`read` fills it in first).
    fn known(&self, account: &str, needs: &Needs) -> Option<Known> {
        let a = self.ahead.get(account)?;
        let span = needs.days.as_ref()?;
        if !covered(&a.ranges, span) {
            return None;
        }
        let mut seen = BTreeSet::new();
        for id in &needs.usage_ids {
            if *a.ids.get(id)? {
                seen.insert(id.clone());
            }
        }
        let days = a
            .days
            .range((span.0.clone(), String::new(), String::new(), String::new())..)
            .take_while(|(k, _)| k.0 <= span.1)
            .map(|(k, t)| (k.clone(), *t))
            .collect();
        Some(Known {
            replay: match needs.key.as_deref() {
                Some(k) => a.keys.get(k)?.clone(),
                None => None,
            },
            seen,
            expired: a.expired.clone()?,
            days,
        })
    }

    /// Keep changed day totals here when the group holds the account's days (they are
    /// written once, before the commit); answers false when the caller must write them.
    pub fn change_days<'a>(
        &mut self,
        account: &str,
        days: &Days,
        keys: impl Iterator<Item = &'a Key>,
    ) -> bool {
        let Some(a) = self.ahead.get_mut(account) else {
            return false;
        };
        if a.ranges.is_empty() {
            return false;
        }
        for k in keys {
            let Some(t) = days.get(k) else { continue };
            let before = a.days.insert(k.clone(), *t);
            let dirty = !a.dirty_days.insert(k.clone());
            self.journal
                .push(Change::Day(account.into(), k.clone(), before, dirty));
        }
        true
    }

    pub(super) fn mark(&mut self) {
        self.journal.clear();
    }
    pub(super) fn clear(&mut self) {
        *self = Memo::default();
    }
    pub(super) fn undo(&mut self) {
        while let Some(c) = self.journal.pop() {
            self.put_back(c);
        }
    }

    fn put_back(&mut self, c: Change) {
        match c {
            Change::Row(id, row, dirty) => {
                match row {
                    Some(r) => self.rows.insert(id.clone(), r),
                    None => self.rows.remove(&id),
                };
                if !dirty {
                    self.dirty.remove(&id);
                }
            }
            Change::Key(acc, key, before) => {
                let keys = &mut self.ahead.entry(acc).or_default().keys;
                match before {
                    Some(b) => keys.insert(key, b),
                    None => keys.remove(&key),
                };
            }
            Change::Id(acc, id, before) => {
                let ids = &mut self.ahead.entry(acc).or_default().ids;
                match before {
                    Some(b) => ids.insert(id, b),
                    None => ids.remove(&id),
                };
            }
            Change::Expired(acc, grant) => {
                if let Some(set) = self.ahead.get_mut(&acc).and_then(|a| a.expired.as_mut()) {
                    set.remove(&grant);
                }
            }
            Change::Call(acc, id, before) => {
                let calls = &mut self.ahead.entry(acc).or_default().calls;
                match before {
                    Some(b) => calls.insert(id, b),
                    None => calls.remove(&id),
                };
            }
            Change::Day(acc, key, before, dirty) => {
                let a = self.ahead.entry(acc).or_default();
                match before {
                    Some(t) => a.days.insert(key.clone(), t),
                    None => a.days.remove(&key),
                };
                if !dirty {
                    a.dirty_days.remove(&key);
                }
            }
        }
    }

    /// Write the changed rows and day totals (before the commit); the memo is spent.
    pub(super) fn flush(self, db: &mut dyn Sql) -> Result<(), String> {
        for id in &self.dirty {
            if let Some(r) = self.rows.get(id) {
                r.write(db, id)?;
            }
        }
        for (account, a) in &self.ahead {
            rollup::write(db, account, &a.days, a.dirty_days.iter()).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Lock the group's accounts in one order (PostgreSQL; SQLite has one writer anyway)
    /// and read, in one message, their rows and everything the jobs announced they need.
    pub(super) fn read_ahead(
        &mut self,
        db: &mut dyn Sql,
        jobs: &[(Option<&str>, Option<&Needs>)],
    ) -> Result<(), String> {
        let accounts: BTreeSet<&str> = jobs.iter().filter_map(|(a, _)| *a).collect();
        if accounts.is_empty() {
            return Ok(());
        }
        let ids: Vec<Val> = accounts.iter().map(|a| Val::from(*a)).collect();
        let lock = (
            format!(
                "SELECT id, {} FROM accounts WHERE id IN ({}) ORDER BY id{}",
                AccountRow::COLUMNS,
                placeholders(1, ids.len()),
                db.for_update()
            ),
            ids,
        );
        let mut plan = Plan::new(AHEAD_IDS);
        for (account, needs) in jobs {
            if let (Some(a), Some(n)) = (account, needs) {
                plan.add(self, a, n);
            }
        }
        let mut queries = vec![lock];
        queries.extend(plan.queries());
        let refs: Vec<(&str, Vec<Val>)> = queries
            .iter()
            .map(|(s, p)| (s.as_str(), p.clone()))
            .collect();
        let mut answers = db.query_many(&refs)?.into_iter();
        for r in answers.next().unwrap_or_default() {
            let id = r[0].text().unwrap_or("").to_string();
            self.rows.insert(id, AccountRow::from_row(&r, 1));
        }
        plan.take(self, answers);
        Ok(())
    }
}

/// What a usage job on `account` reads before deciding (`Needs`): from the group's memo,
/// after one read of whatever it does not hold yet.
pub fn read_known(db: &mut dyn Db, account: &str, needs: &Needs) -> Result<Known, String> {
    if let Some(k) = db.memo().known(account, needs) {
        return Ok(k);
    }
    let mut plan = Plan::new(usize::MAX);
    plan.add(db.memo(), account, needs);
    let queries = plan.queries();
    let refs: Vec<(&str, Vec<Val>)> = queries
        .iter()
        .map(|(s, p)| (s.as_str(), p.clone()))
        .collect();
    let answers = db.query_many(&refs)?.into_iter();
    plan.take(db.memo(), answers);
    db.memo()
        .known(account, needs)
        .ok_or_else(|| "the group's memo lacks what it just read".to_string())
}

/// The reads that fill in what the memo lacks for some jobs' needs, and how their answers
/// go into it. Only what is missing is read, so nothing the group wrote is overwritten.
struct Plan {
    /// The most usage ids to read (a group reads at most `AHEAD_IDS` ahead; a job, all).
    id_room: usize,
    keys: Vec<(String, String)>,
    ids: Vec<(String, String)>,
    expired: BTreeSet<String>,
    spans: Vec<(String, (String, String))>,
    calls: Vec<(String, String)>,
}

impl Plan {
    fn new(id_room: usize) -> Plan {
        Plan {
            id_room,
            keys: vec![],
            ids: vec![],
            expired: BTreeSet::new(),
            spans: vec![],
            calls: vec![],
        }
    }

    fn add(&mut self, memo: &Memo, account: &str, n: &Needs) {
        // Text the database cannot hold is not read ahead: its job meets it alone.
        let nul = |s: &str| s.contains('\0');
        let ids = n.usage_ids.iter().chain(&n.calls);
        if nul(account) || n.key.as_deref().is_some_and(nul) || ids.clone().any(|i| nul(i)) {
            return;
        }
        let held = memo.ahead.get(account);
        let acc = || account.to_string();
        if let Some(k) = &n.key {
            if !held.is_some_and(|a| a.keys.contains_key(k)) {
                self.keys.push((acc(), k.clone()));
            }
        }
        let missing = n
            .usage_ids
            .iter()
            .filter(|i| !held.is_some_and(|a| a.ids.contains_key(*i)));
        let room = self.id_room.saturating_sub(self.ids.len());
        self.ids
            .extend(missing.take(room).map(|i| (acc(), i.clone())));
        if held.is_none_or(|a| a.expired.is_none()) {
            self.expired.insert(acc());
        }
        let calls = n
            .calls
            .iter()
            .filter(|c| !held.is_some_and(|a| a.calls.contains_key(*c)));
        self.calls.extend(calls.map(|c| (acc(), c.clone())));
        if let Some(span) = &n.days {
            if !held.is_some_and(|a| covered(&a.ranges, span)) {
                match self.spans.iter_mut().find(|(a, _)| a == account) {
                    Some((_, s)) => {
                        *s = (
                            s.0.clone().min(span.0.clone()),
                            s.1.clone().max(span.1.clone()),
                        )
                    }
                    None => self.spans.push((acc(), span.clone())),
                }
            }
        }
    }

    fn queries(&self) -> Vec<(String, Vec<Val>)> {
        let pairs = |list: &[(String, String)], cols: &str| -> (String, Vec<Val>) {
            if list.is_empty() {
                return ("FALSE".into(), vec![]);
            }
            let marks: Vec<String> = (0..list.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let params = list
                .iter()
                .flat_map(|(a, b)| [Val::from(a.as_str()), Val::from(b.as_str())])
                .collect();
            (format!("({cols}) IN (VALUES {})", marks.join(", ")), params)
        };
        let (keys, key_params) = pairs(&self.keys, "account_id, key");
        let (ids, id_params) = pairs(&self.ids, "account_id, usage_id");
        let (calls, call_params) = pairs(&self.calls, "account_id, call_id");
        let accounts: Vec<Val> = self.expired.iter().map(|a| Val::from(a.as_str())).collect();
        let expired = if accounts.is_empty() {
            "FALSE".to_string()
        } else {
            format!("account_id IN ({})", placeholders(1, accounts.len()))
        };
        let spans: Vec<String> = (0..self.spans.len())
            .map(|i| {
                let n = 3 * i;
                format!(
                    "(account_id = ${} AND day >= ${} AND day <= ${})",
                    n + 1,
                    n + 2,
                    n + 3
                )
            })
            .collect();
        let span_params = self
            .spans
            .iter()
            .flat_map(|(a, (f, t))| [a, f, t].map(|s| Val::from(s.as_str())))
            .collect();
        let days = if spans.is_empty() {
            "FALSE".into()
        } else {
            spans.join(" OR ")
        };
        vec![
            (format!("SELECT account_id, key, request_hash, status, response FROM idempotency WHERE {keys}"), key_params),
            (format!("SELECT account_id, usage_id FROM usage_ids WHERE {ids}"), id_params),
            (format!("SELECT account_id, grant_id FROM grant_expiries WHERE {expired}"), accounts),
            (format!("SELECT account_id, day, channel, code, unit, quantity, credits, lines FROM usage_days WHERE {days}"), span_params),
            (format!("SELECT account_id, call_id, state, start_answer, end_answer FROM calls WHERE {calls}"), call_params),
        ]
    }

    /// Put the answers of `queries` into the memo.
    fn take(self, memo: &mut Memo, mut answers: impl Iterator<Item = Vec<Row>>) {
        let text = |r: &Row, i: usize| r[i].text().unwrap_or("").to_string();
        for (acc, key) in &self.keys {
            memo.ahead
                .entry(acc.clone())
                .or_default()
                .keys
                .insert(key.clone(), None);
        }
        for (acc, id) in &self.ids {
            memo.ahead
                .entry(acc.clone())
                .or_default()
                .ids
                .insert(id.clone(), false);
        }
        for acc in &self.expired {
            memo.ahead.entry(acc.clone()).or_default().expired = Some(BTreeSet::new());
        }
        for r in answers.next().unwrap_or_default() {
            let a = memo.ahead.entry(text(&r, 0)).or_default();
            a.keys.insert(text(&r, 1), Some(r[2..].to_vec()));
        }
        for r in answers.next().unwrap_or_default() {
            let a = memo.ahead.entry(text(&r, 0)).or_default();
            a.ids.insert(text(&r, 1), true);
        }
        for r in answers.next().unwrap_or_default() {
            let a = memo.ahead.entry(text(&r, 0)).or_default();
            a.expired
                .get_or_insert_with(BTreeSet::new)
                .insert(text(&r, 1));
        }
        let rows = answers.next().unwrap_or_default();
        for (acc, span) in self.spans {
            let a = memo.ahead.entry(acc.clone()).or_default();
            let fresh: Vec<Row> = rows
                .iter()
                .filter(|r| r[0].text() == Some(acc.as_str()))
                .filter(|r| {
                    let d = text(r, 1);
                    !covered(&a.ranges, &(d.clone(), d))
                })
                .map(|r| r[1..].to_vec())
                .collect();
            // Totals that do not read back stay unread ahead: the job's own read then
            // fails with what is wrong.
            if let Ok(days) = rollup::parse(&fresh) {
                a.days.extend(days);
                a.ranges.push(span);
            }
        }
        for (acc, id) in &self.calls {
            memo.ahead
                .entry(acc.clone())
                .or_default()
                .calls
                .insert(id.clone(), None);
        }
        for r in answers.next().unwrap_or_default() {
            let a = memo.ahead.entry(text(&r, 0)).or_default();
            a.calls.insert(text(&r, 1), Some(r[2..].to_vec()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Val {
        Val::from(s)
    }

    fn needs(key: &str, ids: &[&str], span: (&str, &str)) -> Needs {
        Needs {
            key: Some(key.into()),
            usage_ids: ids.iter().map(|s| s.to_string()).collect(),
            days: Some((span.0.into(), span.1.into())),
            ..Needs::default()
        }
    }

    fn day_row(day: &str, credits: &str) -> Row {
        [
            text("a"),
            text(day),
            text("voice"),
            text("out"),
            text("minute"),
        ]
        .into_iter()
        .chain([text("1"), text(credits), Val::Int(1)])
        .collect()
    }

    /// Read ahead once, then every job of the group reads what earlier jobs wrote, and a
    /// job rolled back leaves the memo as it found it.
    #[test]
    fn a_group_reads_once_and_a_failed_job_leaves_no_trace() {
        let mut memo = Memo::default();
        let n = needs("k1", &["u1", "u2"], ("2026-01-01", "2026-01-03"));
        let mut plan = Plan::new(AHEAD_IDS);
        plan.add(&memo, "a", &n);
        assert_eq!(plan.queries().len(), 5);
        let answers = vec![
            vec![],
            vec![vec![text("a"), text("u1")]],
            vec![vec![text("a"), text("g1")]],
            vec![day_row("2026-01-02", "7")],
        ];
        plan.take(&mut memo, answers.into_iter());
        let k = memo.known("a", &n).expect("everything was read ahead");
        assert_eq!(k.replay, None);
        assert_eq!(k.seen, BTreeSet::from(["u1".to_string()]));
        assert_eq!(k.expired, BTreeSet::from(["g1".to_string()]));
        assert_eq!(
            k.days
                .values()
                .map(|t| t.credits)
                .sum::<rust_decimal::Decimal>(),
            7.into()
        );

        // A job writes everything it can, then is rolled back.
        memo.mark();
        let mut days = k.days.clone();
        let key = days.keys().next().unwrap().clone();
        days.get_mut(&key).unwrap().credits = 25.into();
        assert!(memo.change_days("a", &days, [key.clone()].iter()));
        memo.remember_key("a", "k1", vec![text("hash"), Val::Int(200), text("{}")]);
        memo.record_id("a", "u2");
        memo.book_expiry("a", "g2");
        let after = memo.known("a", &n).unwrap();
        assert_eq!(after.seen.len(), 2);
        assert!(after.replay.is_some());
        assert_eq!(after.days[&key].credits, 25.into());
        memo.undo();
        let back = memo.known("a", &n).unwrap();
        assert_eq!(
            (back.replay, back.seen, back.expired),
            (k.replay, k.seen, k.expired)
        );
        assert_eq!(back.days, k.days);
        assert!(memo.ahead["a"].dirty_days.is_empty());

        // A job kept: a wider span reads only dates not held, and the held date's totals
        // (written by the group, not yet in the table) win over the table's.
        memo.mark();
        assert!(memo.change_days("a", &days, [key.clone()].iter()));
        let wide = needs("k2", &["u1"], ("2025-12-30", "2026-01-03"));
        assert!(memo.known("a", &wide).is_none());
        let mut plan = Plan::new(usize::MAX);
        plan.add(&memo, "a", &wide);
        assert_eq!(
            (plan.keys.len(), plan.ids.len(), plan.expired.len()),
            (1, 0, 0)
        );
        let answers = vec![
            vec![],
            vec![],
            vec![],
            vec![day_row("2026-01-02", "7"), day_row("2025-12-31", "3")],
        ];
        plan.take(&mut memo, answers.into_iter());
        let k = memo.known("a", &wide).unwrap();
        let credits: Vec<String> = k.days.values().map(|t| t.credits.to_string()).collect();
        assert_eq!(credits, ["3", "25"]);
    }

    /// A live call's row is read ahead with the group; a job that writes it forgets it
    /// (the next read asks the table), and a job rolled back puts it back.
    #[test]
    fn call_rows_are_read_ahead_and_forgotten_when_written() {
        let mut memo = Memo::default();
        let n = Needs {
            calls: vec!["c1".into(), "c2".into()],
            ..Needs::default()
        };
        let mut plan = Plan::new(AHEAD_IDS);
        plan.add(&memo, "a", &n);
        assert!(plan.queries()[4]
            .0
            .contains("FROM calls WHERE (account_id, call_id) IN"));
        let row = vec![text("a"), text("c1"), text("live"), text("{}"), Val::Null];
        let answers = vec![vec![], vec![], vec![], vec![], vec![row]];
        plan.take(&mut memo, answers.into_iter());
        assert_eq!(
            memo.call("a", "c1"),
            Some(Some(vec![text("live"), text("{}"), Val::Null]))
        );
        assert_eq!(memo.call("a", "c2"), Some(None), "read, and no row");
        assert_eq!(memo.call("a", "c3"), None, "not read");
        let mut again = Plan::new(AHEAD_IDS);
        again.add(&memo, "a", &n);
        assert!(
            again.calls.is_empty(),
            "what the group holds is not read twice"
        );

        memo.mark();
        memo.forget_call("a", "c1");
        assert_eq!(memo.call("a", "c1"), None);
        memo.undo();
        assert!(memo.call("a", "c1").is_some_and(|r| r.is_some()));
    }
}
