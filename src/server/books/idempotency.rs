//! Idempotency keys: a write answered once is answered the same way again (its recorded
//! document), and a key reused with another body is refused.

use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Done, Failure, Kind, R};
use crate::server::storage::memo::Db;
use crate::server::storage::sql::Row;
use serde_json::Value;

/// The stored answer for an idempotency key: `Some(reply)` to replay it, an error when the
/// key was used for a different request, `None` when the key is new.
pub fn idempotent(db: &mut dyn Db, account: &str, key: &str, hash: &str) -> R<Option<Done>> {
    if let Some(row) = db.memo().key(account, key) {
        return replay(row.as_ref(), hash);
    }
    let rows = store(db.query(IDEMPOTENCY, &[account.into(), key.into()]))?;
    replay(rows.first(), hash)
}

pub(crate) const IDEMPOTENCY: &str =
    "SELECT request_hash, status, response FROM idempotency WHERE account_id = $1 AND key = $2";

/// The recorded answer of an idempotency row, if the request is the same.
pub(crate) fn replay(row: Option<&Row>, hash: &str) -> R<Option<Done>> {
    let Some(row) = row else {
        return Ok(None);
    };
    if row[0].text() != Some(hash) {
        return Err(Failure::new(
            ServerCode::IdempotencyKeyReused,
            Some("Idempotency-Key"),
            "this idempotency key was used for a different request",
        ));
    }
    let status = row[1].int().unwrap_or(200);
    let body = row[2]
        .json::<Value>("recorded answer")?
        .unwrap_or(Value::Null);
    match status {
        200 | 201 => Ok(Some(Done {
            body,
            created: status == 201,
            replayed: true,
        })),
        // Answers recorded before jobs told failures apart kept their status.
        _ => Err(Failure {
            replayed: true,
            ..Failure::with_body(Kind::from_status(status as u16), body)
        }),
    }
}

/// Record a job's answer under its idempotency key (failures are not recorded: nothing of
/// them was kept, so the request may be tried again).
pub fn remember(db: &mut dyn Db, account: &str, key: &str, hash: &str, r: &Done) -> R<()> {
    let status: i64 = if r.created { 201 } else { 200 };
    let row: Row = vec![hash.into(), status.into(), r.body.to_string().into()];
    let params = [vec![account.into(), key.into()], row.clone()].concat();
    store(db.exec(
        "INSERT INTO idempotency (account_id, key, request_hash, status, response) VALUES ($1, $2, $3, $4, $5)",
        &params,
    ))?;
    db.memo().remember_key(account, key, row);
    Ok(())
}

/// Run a write once per idempotency key: replay the first answer, refuse a reused key.
pub fn once(
    db: &mut dyn Db,
    account: &str,
    key: &str,
    hash: &str,
    f: impl FnOnce(&mut dyn Db) -> R<Done>,
) -> R<Done> {
    if let Some(r) = idempotent(db, account, key, hash)? {
        return Ok(r);
    }
    let r = f(db)?;
    remember(db, account, key, hash, &r)?;
    Ok(r)
}
