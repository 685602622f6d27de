//! Who is calling.

use crate::server::books::auth::Caller;
use crate::server::outcome::{Done, R};
use serde::Serialize;

/// `GET /auth/whoami`: the account and scopes of the credential presented (an edge checks a
/// platform's key here once and caches the answer).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WhoAmI {
    account_id: String,
    scopes: Vec<String>,
    session: bool,
}

pub(crate) async fn whoami(c: Caller) -> R<Done<WhoAmI>> {
    Ok(Done::ok(WhoAmI {
        account_id: c.account,
        scopes: c.scopes,
        session: c.session,
    }))
}
