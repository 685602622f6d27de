//! The embedded store: SQLite in WAL mode, one writer per file.

use super::memo::{Db, Memo};
use super::sql::{Row, Sql, Val};

/// The SQLite store. `_owner` holds an exclusive lock on `PATH.lock` for the life of the
/// process: SQLite has one writer, so a second server on the same file would only answer
/// "database is locked"; it is refused at start instead.
pub struct Sqlite(
    pub(super) rusqlite::Connection,
    #[allow(dead_code)] pub(super) Option<std::fs::File>,
    pub(super) Memo,
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
        Ok(Sqlite(c, owner, Memo::default()))
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

impl Db for Sqlite {
    fn memo(&mut self) -> &mut Memo {
        &mut self.2
    }
}

fn to_sqlite(v: &Val) -> rusqlite::types::Value {
    match v {
        Val::Null => rusqlite::types::Value::Null,
        Val::Int(i) => rusqlite::types::Value::Integer(*i),
        Val::Text(s) => rusqlite::types::Value::Text(s.clone()),
    }
}
