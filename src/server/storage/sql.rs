//! The one small SQL interface the server writes its statements against: column values,
//! rows and the `Sql` trait, implemented by the embedded SQLite store (`sqlite`) and
//! PostgreSQL (`postgres`).

use crate::server::outcome::{Failure, R};

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
    /// An integer column (PostgreSQL's simple protocol answers every value as text).
    pub fn int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            Val::Text(t) => t.parse().ok(),
            Val::Null => None,
        }
    }
    /// A JSON column the books wrote, read back as `T` (`None` when NULL). One that does not
    /// read back is a store changed under the books: an internal failure naming `what`,
    /// never a default.
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> R<Option<T>> {
        self.text()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| Failure::internal(format!("stored {what} does not read back: {e}")))
    }
    /// A decimal column the books wrote (NULL or unreadable: an internal failure).
    pub fn decimal(&self, what: &str) -> R<rust_decimal::Decimal> {
        let text = self.text().unwrap_or_default();
        text.parse().map_err(|e| {
            Failure::internal(format!("stored {what} `{text}` does not read back: {e}"))
        })
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

/// `$first, $first+1, ...`: `n` numbered placeholders for an `IN (...)` list.
pub fn placeholders(first: usize, n: usize) -> String {
    let marks: Vec<String> = (first..first + n).map(|i| format!("${i}")).collect();
    marks.join(", ")
}

/// The statements the server needs, written once with `$1, $2, ...` placeholders.
pub trait Sql {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, String>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, String>;
    /// Several reads at once: one round trip on PostgreSQL.
    fn query_many(&mut self, queries: &[(&str, Vec<Val>)]) -> Result<Vec<Vec<Row>>, String> {
        queries.iter().map(|(sql, p)| self.query(sql, p)).collect()
    }
    /// `FOR UPDATE` where the database has row locks (PostgreSQL); SQLite has one writer.
    fn for_update(&self) -> &'static str;
    /// `FOR UPDATE SKIP LOCKED` where several servers may claim the same rows (PostgreSQL).
    fn skip_locked(&self) -> &'static str {
        ""
    }
    /// Whether the connection still works (PostgreSQL's can be lost; SQLite's cannot).
    fn alive(&mut self) -> bool {
        true
    }
    /// Ask the database whether the connection works (a round trip; used when idle).
    fn ping(&mut self) -> bool {
        true
    }
}

/// An idle connection is pinged this often, so a database restart is noticed before the
/// next request meets the dead connection.
pub const IDLE_PING: std::time::Duration = std::time::Duration::from_secs(1);
