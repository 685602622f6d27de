//! The webhook sender: claims due events from the outbox on the writer, delivers them
//! concurrently, and records each outcome (`books::webhooks`).

use super::jobs::job;
use super::state::Shared;
use crate::server::books::webhooks::{self, Due};
use crate::server::clock::now;
use std::time::Duration;

/// Deliver due events until the process ends.
pub async fn run(st: Shared, client: reqwest::Client) {
    loop {
        let t = now().0.timestamp_millis();
        // A store that cannot be reached claims nothing: the round waits and tries again.
        let due = job(&st, None, move |db| webhooks::claim(db, t))
            .await
            .unwrap_or_default();
        let idle = due.is_empty();
        let mut sending = tokio::task::JoinSet::new();
        for d in due {
            let client = client.clone();
            let allow_private = st.config.allow_private_webhooks;
            sending.spawn(async move {
                let result = match &d.url {
                    Some(url) => {
                        webhooks::deliver(&client, url, &d.secret, &d.payload, allow_private).await
                    }
                    None => Err("the account has no webhook URL".to_string()),
                };
                (d, result)
            });
        }
        while let Some(Ok((d, result))) = sending.join_next().await {
            mark(&st, d, result).await;
        }
        if idle {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A failed claim or mark is retried by the next round: the claim lapses after its
/// `CLAIM_MS`, so the event is delivered again rather than lost.
async fn mark(st: &Shared, d: Due, result: Result<(), String>) {
    let t = now();
    let _ = job(st, None, move |db| webhooks::mark(db, &d, result, t)).await;
}
