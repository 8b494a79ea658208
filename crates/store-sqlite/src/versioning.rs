//! State machine versions and aliases: one JSON record per machine in the `versioning`
//! table (schema v4), edited like state machines and activities (`SqliteStore::edit_record`),
//! and deleted with their machine.
use stepwise_engine::model::Versioning;

use crate::Record;

impl Record for Versioning {
    /// Keyed by the machine's ARN; the table's `name` and `creation_ms` are not used.
    fn columns(&self) -> (&str, &str, i64) {
        (&self.machine_arn, "", 0)
    }
}
