//! Who is calling.

use crate::server::books::auth::Caller;
use crate::server::outcome::{Done, R};
use serde_json::json;

/// `GET /auth/whoami`: the account and scopes of the credential presented (an edge checks a
/// platform's key here once and caches the answer).
pub(crate) async fn whoami(c: Caller) -> R<Done> {
    Ok(Done::ok(json!({
        "accountId": c.account, "scopes": c.scopes, "session": c.session,
    })))
}
