//! The PostgreSQL connection, spending as few round trips and statements as it can.
//!
//! Statements that answer nothing (INSERT/UPDATE/DELETE inside a transaction) wait in
//! `pending` and travel with the next statement that must answer, or with the commit, in
//! one simple-protocol message. Plain INSERTs into the same table wait as one multi-row
//! INSERT: PostgreSQL parses and plans a statement once however many rows it carries, and
//! that planning, not the rows, was most of a deduction's cost (BENCHMARKS.md).
//!
//! A job's savepoint costs nothing unless it is needed: the job's writes wait in a buffer of
//! their own, so a job that fails before any of them was sent is undone by dropping the
//! buffer. Only a job that reads after writing sends a real `SAVEPOINT` first (PostgreSQL
//! keeps subtransactions in a small per-backend cache; a group of 256 savepoints overflows
//! it). Values are written as literals (`literal`), with `standard_conforming_strings` on.

use super::memo::{Db, Memo};
use super::sql::{Row, Sql, Val};

/// The most rows one multi-row INSERT carries, to bound a message's size.
const ROWS_PER_INSERT: usize = 1000;

pub struct Postgres {
    client: postgres::Client,
    /// Statements waiting for the next message; each answers one CommandComplete.
    pending: Vec<Stmt>,
    /// The running job's writes, while it has its savepoint.
    job: Option<JobWrites>,
    /// The running job's savepoint was rolled back without ever being sent: its release is
    /// a no-op too.
    undone: bool,
    in_transaction: bool,
    /// A deferred write failed after its job was answered: the group must not commit.
    poisoned: bool,
    /// `pending` holds the writes of a job that ended well.
    released: bool,
    memo: Memo,
}

/// A statement waiting to be sent.
enum Stmt {
    Text(String),
    /// `INSERT INTO table (columns)` and the `(values)` of each row.
    Insert {
        head: String,
        rows: Vec<String>,
    },
}

impl Stmt {
    fn render(&self, out: &mut String) {
        match self {
            Stmt::Text(s) => out.push_str(s),
            Stmt::Insert { head, rows } => {
                out.push_str(head);
                out.push_str(" VALUES ");
                out.push_str(&rows.join(", "));
            }
        }
        out.push_str(";\n");
    }
}

#[derive(Default)]
struct JobWrites {
    writes: Vec<Stmt>,
    /// A real `SAVEPOINT` was sent (the job read after writing).
    sent: bool,
}

/// A plain `INSERT INTO t (cols) VALUES (...)` split into its head and its row, so rows
/// into one table can share a statement; anything else (ON CONFLICT, RETURNING) stays whole.
fn split_insert(sql: &str) -> Option<(&str, &str)> {
    if !sql.starts_with("INSERT INTO ") {
        return None;
    }
    let at = sql.find(" VALUES (")?;
    let row = &sql[at + " VALUES ".len()..];
    (row.ends_with(')') && !row.contains(" ON CONFLICT") && !row.contains(" RETURNING"))
        .then(|| (&sql[..at], row))
}

/// Add `stmt` to `list`, as rows of an earlier INSERT into the same table when only other
/// plain INSERTs lie between (the schema has no foreign keys or triggers, so the order of
/// rows between tables does not matter).
fn push(list: &mut Vec<Stmt>, stmt: Stmt) {
    if let Stmt::Insert { head, rows } = &stmt {
        for earlier in list.iter_mut().rev() {
            match earlier {
                Stmt::Insert { head: h, rows: r } if h == head => {
                    if r.len() + rows.len() <= ROWS_PER_INSERT {
                        r.extend(rows.iter().cloned());
                        return;
                    }
                    break;
                }
                Stmt::Insert { .. } => continue,
                Stmt::Text(_) => break,
            }
        }
    }
    list.push(stmt);
}

impl Postgres {
    pub fn connect(url: &str) -> Result<Postgres, String> {
        let mut client =
            postgres::Client::connect(url, postgres::NoTls).map_err(|e| e.to_string())?;
        client
            .batch_execute("SET standard_conforming_strings = on")
            .map_err(|e| e.to_string())?;
        Ok(Postgres {
            client,
            pending: vec![],
            job: None,
            undone: false,
            in_transaction: false,
            poisoned: false,
            released: false,
            memo: Memo::default(),
        })
    }

    /// A write inside the transaction: into the job's buffer while a job runs.
    fn defer(&mut self, stmt: Stmt) {
        match self.job.as_mut() {
            Some(j) => push(&mut j.writes, stmt),
            None => push(&mut self.pending, stmt),
        }
    }

    /// The running job is about to read: what it wrote must be visible, so its savepoint
    /// becomes real and its writes go out with the read.
    fn expose_job(&mut self) {
        let Some(j) = self.job.as_mut() else { return };
        if j.writes.is_empty() {
            return;
        }
        if !j.sent {
            self.pending.push(Stmt::Text("SAVEPOINT job".into()));
            j.sent = true;
        }
        for w in std::mem::take(&mut j.writes) {
            push(&mut self.pending, w);
        }
    }

    /// Send what waits plus `sql` in one message; answer each of `sql`'s statements' rows
    /// (each statement ends with its CommandComplete).
    fn send(&mut self, sql: &str) -> Result<Vec<Vec<Row>>, String> {
        self.expose_job();
        let pending = std::mem::take(&mut self.pending);
        let skip = pending.len();
        let mut batch = String::new();
        pending.iter().for_each(|s| s.render(&mut batch));
        batch.push_str(sql);
        let released = std::mem::take(&mut self.released);
        let msgs = self.client.simple_query(&batch).map_err(|e| {
            // Writes of a job already answered (released) did not land: nothing of this
            // group may commit.
            self.poisoned |= released;
            e.to_string()
        })?;
        let (mut done, mut out, mut rows) = (0usize, vec![], vec![]);
        for m in msgs {
            match m {
                postgres::SimpleQueryMessage::Row(r) => rows.push(
                    (0..r.len())
                        .map(|i| r.get(i).map_or(Val::Null, |v| Val::Text(v.to_string())))
                        .collect(),
                ),
                postgres::SimpleQueryMessage::CommandComplete(_) => {
                    done += 1;
                    if done > skip {
                        out.push(std::mem::take(&mut rows));
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The job's savepoint statements: a job that never read after writing has none on the
    /// server, so its release moves its writes to the group and its rollback drops them.
    fn savepoint(&mut self, head: &str) -> Option<Result<u64, String>> {
        match head {
            "SAVEPOINT" => {
                self.job = Some(JobWrites::default());
                self.undone = false;
            }
            "RELEASE" => match self.job.take() {
                Some(j) => {
                    j.writes
                        .into_iter()
                        .for_each(|w| push(&mut self.pending, w));
                    if j.sent {
                        self.pending
                            .push(Stmt::Text("RELEASE SAVEPOINT job".into()));
                    }
                    self.released = true;
                }
                None if std::mem::take(&mut self.undone) => {}
                None => self
                    .pending
                    .push(Stmt::Text("RELEASE SAVEPOINT job".into())),
            },
            "ROLLBACK TO" => match self.job.take() {
                Some(j) if !j.sent => self.undone = true,
                _ => return Some(self.send("ROLLBACK TO SAVEPOINT job").map(|_| 0)),
            },
            _ => return None,
        }
        Some(Ok(0))
    }
}

/// `sql` with `$n` replaced by the literal of `params[n-1]`: integers as digits, text in
/// single quotes with quotes doubled (safe with `standard_conforming_strings` on, where a
/// backslash is an ordinary character), NULL. Text with NUL cannot be stored and is refused.
pub(super) fn literal(sql: &str, params: &[Val]) -> Result<String, String> {
    let mut out = String::with_capacity(sql.len() + 16 * params.len());
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '$' || !chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) {
            out.push(c);
            continue;
        }
        let mut n = 0usize;
        while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
            n = n * 10 + (*d as usize - '0' as usize);
            chars.next();
        }
        match params.get(n.wrapping_sub(1)) {
            Some(Val::Null) => out.push_str("NULL"),
            Some(Val::Int(i)) => out.push_str(&i.to_string()),
            Some(Val::Text(t)) if t.contains('\0') => {
                return Err("text with a NUL character".into())
            }
            Some(Val::Text(t)) => {
                out.push('\'');
                out.push_str(&t.replace('\'', "''"));
                out.push('\'');
            }
            None => return Err(format!("no parameter ${n}")),
        }
    }
    Ok(out)
}

/// The statement's first word(s), as the deferral rules need them.
fn head_of(sql: &str) -> String {
    let mut words = sql.split_whitespace();
    let first = words.next().unwrap_or("").to_ascii_uppercase();
    let second = words.next().unwrap_or("").to_ascii_uppercase();
    if first == "ROLLBACK" && second == "TO" {
        return "ROLLBACK TO".into();
    }
    first
}

impl Sql for Postgres {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, String> {
        let text = literal(sql, params)?;
        let head = head_of(sql);
        if self.in_transaction {
            if let Some(r) = self.savepoint(&head) {
                return r;
            }
            if matches!(head.as_str(), "INSERT" | "UPDATE" | "DELETE") {
                let stmt = match split_insert(&text) {
                    Some((h, row)) => Stmt::Insert {
                        head: h.to_string(),
                        rows: vec![row.to_string()],
                    },
                    None => Stmt::Text(text),
                };
                self.defer(stmt);
                return Ok(0);
            }
        }
        match head.as_str() {
            "BEGIN" => {
                self.poisoned = false;
                self.in_transaction = true;
                self.pending.push(Stmt::Text(text));
                return Ok(0);
            }
            "COMMIT" => {
                self.in_transaction = false;
                self.job = None;
            }
            "ROLLBACK" => {
                // Writes that wait would only run into an aborted transaction.
                self.in_transaction = false;
                self.job = None;
                self.pending.clear();
            }
            _ => {}
        }
        if head == "COMMIT" && self.poisoned {
            self.pending.clear();
            let _ = self.client.batch_execute("ROLLBACK");
            return Err("a write of this group failed; nothing of it was committed".into());
        }
        self.send(&text).map(|_| 0)
    }
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, String> {
        let sql = literal(sql, params)?;
        Ok(self.send(&sql)?.pop().unwrap_or_default())
    }
    fn query_many(&mut self, queries: &[(&str, Vec<Val>)]) -> Result<Vec<Vec<Row>>, String> {
        let mut batch = String::new();
        for (sql, params) in queries {
            batch.push_str(&literal(sql, params)?);
            batch.push_str(";\n");
        }
        self.send(&batch)
    }
    fn for_update(&self) -> &'static str {
        " FOR UPDATE"
    }
    fn skip_locked(&self) -> &'static str {
        " FOR UPDATE SKIP LOCKED"
    }
    fn alive(&mut self) -> bool {
        !self.client.is_closed()
    }
    fn ping(&mut self) -> bool {
        self.client.is_valid(super::sql::IDLE_PING).is_ok()
    }
}

impl Db for Postgres {
    fn memo(&mut self) -> &mut Memo {
        &mut self.memo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_quote_text_and_refuse_nul() {
        let sql = literal(
            "SELECT $1, $2, $3, $10",
            &[
                Val::Text("it's \\ $2".into()),
                Val::Int(-7),
                Val::Null,
                Val::Null,
                Val::Null,
                Val::Null,
                Val::Null,
                Val::Null,
                Val::Null,
                Val::Int(10),
            ],
        );
        assert_eq!(sql.unwrap(), "SELECT 'it''s \\ $2', -7, NULL, 10");
        assert!(literal("SELECT $1", &[Val::Text("a\0b".into())]).is_err());
        assert!(literal("SELECT $2", &[Val::Int(1)]).is_err());
    }

    #[test]
    fn inserts_into_one_table_share_a_statement_across_other_inserts() {
        let ins = |t: &str, v: &str| Stmt::Insert {
            head: format!("INSERT INTO {t} (a)"),
            rows: vec![format!("({v})")],
        };
        let mut list = vec![];
        push(&mut list, ins("ledger", "1"));
        push(&mut list, ins("usage_ids", "2"));
        push(&mut list, ins("ledger", "3"));
        push(&mut list, Stmt::Text("UPDATE ledger SET a = 0".into()));
        push(&mut list, ins("ledger", "4"));
        let mut out = String::new();
        list.iter().for_each(|s| s.render(&mut out));
        assert_eq!(
            out,
            "INSERT INTO ledger (a) VALUES (1), (3);\nINSERT INTO usage_ids (a) VALUES (2);\n\
             UPDATE ledger SET a = 0;\nINSERT INTO ledger (a) VALUES (4);\n"
        );
        assert_eq!(
            split_insert("INSERT INTO t (a) VALUES ('x)'), (1)"),
            Some(("INSERT INTO t (a)", "('x)'), (1)"))
        );
        assert_eq!(
            split_insert("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING"),
            None
        );
    }
}
