//! Storage: the SQL interface (`sql`), usage by day (`rollup`), what a writer's group holds
//! (`memo`), the two databases (`sqlite`, `postgres`) and the store itself (`store`: the
//! schema, where it is, the writer and the readers). Listed from the bottom layer up.

pub mod memo;
pub mod postgres;
pub mod rollup;
pub mod sql;
pub mod sqlite;
pub mod store;
