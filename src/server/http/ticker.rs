//! The scheduler's clock (SEMANTICS 15 "On time"): every `TICK` it claims the accounts due
//! at the server's now and runs each in a write job of its own (`books::schedule`), so a
//! request waits at most for one account's booking, never for a whole tick.

use super::jobs::job;
use super::state::Shared;
use crate::server::books::schedule::{self, MAX_DUE_PER_TICK};
use crate::server::clock::now;
use std::time::Duration;

/// How often the scheduler looks for due accounts: well inside the 5 s SEMANTICS 15 allows.
pub const TICK: Duration = Duration::from_millis(1000);

/// Book what is due until the process ends.
pub async fn run(st: Shared) {
    loop {
        let t = now();
        // A store that cannot be reached claims nothing: the tick waits and tries again.
        let due = job(&st, None, move |db| schedule::claim_due(db, t))
            .await
            .unwrap_or_default();
        let full = due.len() >= MAX_DUE_PER_TICK;
        // Queued together, the accounts' jobs share the writer's group commits.
        let mut running = tokio::task::JoinSet::new();
        for id in due {
            running.spawn(run_one(st.clone(), id, t));
        }
        while running.join_next().await.is_some() {}
        if !full {
            tokio::time::sleep(TICK).await;
        }
    }
}

async fn run_one(st: Shared, id: String, t: crate::engine::calendar::Instant) {
    let account = id.clone();
    let provider = st.config.provider.clone();
    let ran = job(&st, Some(id.clone()), move |db| {
        schedule::run_due(db, provider.as_ref(), &account, t)
    })
    .await;
    if let Err(f) = ran {
        eprintln!(
            "scheduler: account {id}: {} (tried again later)",
            f.message()
        );
        let _ = job(&st, None, move |db| schedule::postpone(db, &id, t)).await;
    }
}
