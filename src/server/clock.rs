//! The server's clock: the system clock, moved ahead by the test clock. The engine never
//! reads one; handlers read it here and hand the instant to the books.

use std::sync::atomic::{AtomicI64, Ordering};

/// How far `drawdown serve --test-clock` has been moved ahead (`POST /admin/clock`), in
/// milliseconds; 0 without the flag, so a production server reads the system clock alone.
static CLOCK_AHEAD_MS: AtomicI64 = AtomicI64::new(0);

/// The most one `POST /admin/clock` moves the test clock (a year).
pub const MAX_CLOCK_STEP_SECONDS: i64 = 366 * 86_400;

/// The current instant, from the system clock (the core never reads one), moved ahead by
/// the test clock.
pub fn now() -> crate::engine::calendar::Instant {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let t =
        chrono::DateTime::from_timestamp(d.as_secs() as i64, d.subsec_nanos()).unwrap_or_default();
    let ahead = chrono::Duration::milliseconds(CLOCK_AHEAD_MS.load(Ordering::Relaxed));
    crate::engine::calendar::Instant(t + ahead)
}

/// Move the server's clock ahead (Stripe's test clocks: time is an input of the tests, and
/// it only moves forward, as a real clock does). Answers the new now.
pub(crate) fn advance_clock(seconds: i64) -> crate::engine::calendar::Instant {
    CLOCK_AHEAD_MS.fetch_add(seconds.saturating_mul(1000), Ordering::Relaxed);
    now()
}
