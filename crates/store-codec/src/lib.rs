//! The binary row formats the durable stores share: execution rows and history chunks.
//!
//! SQLite's schema v2 introduced them (`stepwise-store-sqlite`), and the PostgreSQL store
//! (`stepwise-store-postgres`) writes the same bytes into `bytea` columns, so a row means
//! the same thing in both and the formats have one definition.
//!
//! JSON text (SQLite v1's format) made the store escape every payload a second time: events
//! carry their inputs and outputs as JSON text, full of quotes. v2 writes `bincode`
//! (length-prefixed strings, no escaping) behind a one-byte format tag, so a later format
//! can sit beside this one.
//!
//! History chunks of [`COMPRESS_FROM`] bytes or more (execution rows: of
//! [`COMPRESS_EXECUTION_FROM`]) are LZ4-compressed: a history repeats itself
//! (each state's input is the previous one's output), so a ten-state chunk shrinks about
//! fourfold, and every byte not written is a byte the database does not log, fsync,
//! and copy again.
//!
//! An execution row leaves out the definition: executions of one state machine share
//! it, so a store keeps it once and references it.
use std::sync::Arc;

use bincode::Options;
use serde::{Deserialize, Serialize};
use stepwise_engine::history::HistoryEvent;
use stepwise_engine::model::{ExecutionRecord, ExecutionStatus, Redrive, BEFORE_REDRIVE_REASON};
use stepwise_engine::{Error, Result};

/// The first byte of every v2 blob: the format it is in. Plain bincode…
const FORMAT_BINCODE_1: u8 = 1;
/// …or bincode in an LZ4 block, after the bincode's length (u32, little-endian).
const FORMAT_BINCODE_LZ4: u8 = 2;

/// Smaller history chunks are not worth compressing.
const COMPRESS_FROM: usize = 256;

/// An execution row is compressed from this size only: a typical row (an ARN, a small
/// input and output) shrinks by half at best, and every compression first zeroes an
/// 8 KiB table; large inputs and outputs still shrink.
const COMPRESS_EXECUTION_FROM: usize = 1024;

/// An execution row without its definition (borrowed for writing).
#[derive(Serialize)]
struct ExecutionOut<'a> {
    arn: &'a str,
    state_machine_arn: &'a str,
    name: &'a str,
    status: ExecutionStatus,
    start_ms: i64,
    stop_ms: Option<i64>,
    input: &'a str,
    output: Option<&'a str>,
    error: Option<&'a str>,
    cause: Option<&'a str>,
    role_arn: &'a str,
    /// Since schema v4: the version and alias started on (see [`ExecutionTail`]).
    tail: ExecutionTail<'a>,
    /// Since schema v5: its redrives (read back the same way: a v4 row lacks it).
    redrive: &'a Redrive,
}

/// What a v4 row adds after v2's fields. bincode writes fields one after the other, so a
/// row without it (written before v4) is a prefix of one with it, and reads as having no
/// version and no alias.
#[derive(Serialize)]
struct ExecutionTail<'a> {
    version_arn: Option<&'a str>,
    alias_arn: Option<&'a str>,
}

/// The same tail, read back.
#[derive(Deserialize, Default)]
struct ExecutionTailIn {
    version_arn: Option<String>,
    alias_arn: Option<String>,
}

/// The same row, read back.
#[derive(Deserialize)]
struct ExecutionIn {
    arn: String,
    state_machine_arn: String,
    name: String,
    status: ExecutionStatus,
    start_ms: i64,
    stop_ms: Option<i64>,
    input: String,
    output: Option<String>,
    error: Option<String>,
    cause: Option<String>,
    role_arn: String,
}

/// Encodes an execution row (everything but the definition).
pub fn encode_execution(record: &ExecutionRecord) -> Result<Vec<u8>> {
    let row = ExecutionOut {
        arn: &record.arn,
        state_machine_arn: &record.state_machine_arn,
        name: &record.name,
        status: record.status,
        start_ms: record.start_ms,
        stop_ms: record.stop_ms,
        input: &record.input,
        output: record.output.as_deref(),
        error: record.error.as_deref(),
        cause: record.cause.as_deref(),
        role_arn: &record.role_arn,
        tail: ExecutionTail {
            version_arn: record.state_machine_version_arn.as_deref(),
            alias_arn: record.state_machine_alias_arn.as_deref(),
        },
        redrive: &record.redrive,
    };
    encode(&row, COMPRESS_EXECUTION_FROM)
}

/// Decodes an execution row, with the definition it references.
pub fn decode_execution(bytes: &[u8], definition: Arc<str>) -> Result<ExecutionRecord> {
    let body = unpack("executions", bytes)?;
    let corrupt = |e: bincode::Error| Error::Internal(format!("corrupt row in executions: {e}"));
    let mut rest: &[u8] = &body;
    let row: ExecutionIn =
        options().allow_trailing_bytes().deserialize_from(&mut rest).map_err(corrupt)?;
    let tail: ExecutionTailIn = if rest.is_empty() {
        ExecutionTailIn::default()
    } else {
        options().allow_trailing_bytes().deserialize_from(&mut rest).map_err(corrupt)?
    };
    let redrive = if rest.is_empty() {
        // Written before v5: an execution that ended unsuccessfully then has no redrive
        // point, so it cannot be redriven (AWS's reason for executions older than redrive).
        let ended_unsuccessfully =
            !matches!(row.status, ExecutionStatus::Running | ExecutionStatus::Succeeded);
        Redrive {
            refused: ended_unsuccessfully.then(|| BEFORE_REDRIVE_REASON.to_owned()),
            ..Redrive::default()
        }
    } else {
        options().deserialize(rest).map_err(corrupt)?
    };
    Ok(ExecutionRecord {
        arn: row.arn,
        state_machine_arn: row.state_machine_arn,
        name: row.name,
        status: row.status,
        start_ms: row.start_ms,
        stop_ms: row.stop_ms,
        input: row.input.into(),
        output: row.output,
        error: row.error,
        cause: row.cause,
        definition,
        role_arn: row.role_arn,
        state_machine_version_arn: tail.version_arn,
        state_machine_alias_arn: tail.alias_arn,
        redrive,
    })
}

/// Encodes a run of one execution's events (consecutive ids) as one chunk.
pub fn encode_events(events: &[&HistoryEvent]) -> Result<Vec<u8>> {
    encode(&events, COMPRESS_FROM)
}

/// Decodes a chunk.
pub fn decode_events(bytes: &[u8]) -> Result<Vec<HistoryEvent>> {
    decode("history", bytes)
}

/// A history chunk ready to write: the execution's ARN, its first and last event ids (as
/// the databases' signed integers), and the encoded events.
pub type Chunk = (String, i64, i64, Vec<u8>);

/// A batch's events as history chunks, one per run of consecutive ids of one execution, in
/// batch order.
pub fn encode_chunks(events: &[(Arc<str>, HistoryEvent)]) -> Result<Vec<Chunk>> {
    runs(events)
        .into_iter()
        .map(|(arn, run)| {
            let (first, last) = (event_id(run[0])?, event_id(run[run.len() - 1])?);
            Ok((arn.to_owned(), first, last, encode_events(&run)?))
        })
        .collect()
}

/// Event ids are `u64` in the engine and signed 64-bit integers in the databases.
fn event_id(event: &HistoryEvent) -> Result<i64> {
    i64::try_from(event.id)
        .map_err(|_| Error::Internal(format!("event id {} out of range", event.id)))
}

/// Splits a batch's events into runs of consecutive ids of one execution, in batch order.
fn runs(events: &[(Arc<str>, HistoryEvent)]) -> Vec<(&str, Vec<&HistoryEvent>)> {
    let mut runs: Vec<(&str, Vec<&HistoryEvent>)> = Vec::new();
    for (arn, event) in events {
        match runs.last_mut() {
            Some((run_arn, run)) if *run_arn == &**arn && run[run.len() - 1].id + 1 == event.id => {
                run.push(event)
            }
            _ => runs.push((arn, vec![event])),
        }
    }
    runs
}

/// bincode with variable-length integers (ids and times take a few bytes, not eight) and a
/// bound on what a corrupt length prefix could make the decoder allocate.
fn options() -> impl bincode::Options {
    bincode::DefaultOptions::new().with_limit(MAX_ROW_BYTES)
}

/// Far above any row the engine writes (payloads are capped at 256 KiB, histories at
/// 25,000 events, and a chunk holds one decision's events).
const MAX_ROW_BYTES: u64 = 1 << 30;

/// Encodes `value`, in an LZ4 block if its bincode is `compress_from` bytes or more.
fn encode<T: Serialize>(value: &T, compress_from: usize) -> Result<Vec<u8>> {
    let failed = |e: bincode::Error| Error::Internal(format!("encoding a row: {e}"));
    let mut out = Vec::with_capacity(512);
    out.push(FORMAT_BINCODE_1);
    // One pass: with a size limit, bincode would first walk the value to measure it. The
    // limit guards decoding against corrupt lengths; what the engine writes is far below.
    bincode::DefaultOptions::new().serialize_into(&mut out, value).map_err(failed)?;
    let size = out.len() - 1;
    if size < compress_from {
        return Ok(out);
    }
    let size_prefix = u32::try_from(size)
        .map_err(|_| Error::Internal(format!("encoding a row: {size} bytes is too large")))?;
    let mut compressed = vec![0; 5 + lz4_flex::block::get_maximum_output_size(size)];
    compressed[0] = FORMAT_BINCODE_LZ4;
    compressed[1..5].copy_from_slice(&size_prefix.to_le_bytes());
    let packed = lz4_flex::block::compress_into(&out[1..], &mut compressed[5..])
        .map_err(|e| Error::Internal(format!("encoding a row: {e}")))?;
    compressed.truncate(5 + packed);
    Ok(compressed)
}

/// Decodes a tagged blob; an unknown tag or bad bytes are errors, never panics.
fn decode<T: for<'de> Deserialize<'de>>(table: &str, bytes: &[u8]) -> Result<T> {
    let body = unpack(table, bytes)?;
    options()
        .deserialize(&body)
        .map_err(|e| Error::Internal(format!("corrupt row in {table}: {e}")))
}

/// The bincode of a tagged blob, decompressed if it was compressed.
fn unpack<'a>(table: &str, bytes: &'a [u8]) -> Result<std::borrow::Cow<'a, [u8]>> {
    let corrupt = |e: String| Error::Internal(format!("corrupt row in {table}: {e}"));
    match bytes.split_first() {
        Some((&FORMAT_BINCODE_1, body)) => Ok(body.into()),
        Some((&FORMAT_BINCODE_LZ4, rest)) => {
            let (size, packed) =
                rest.split_first_chunk::<4>().ok_or_else(|| corrupt("short".into()))?;
            let size = u32::from_le_bytes(*size) as usize;
            // A corrupt length must not make us allocate without bound.
            if size as u64 > MAX_ROW_BYTES {
                return Err(corrupt("length out of range".into()));
            }
            let mut body = vec![0; size];
            match lz4_flex::block::decompress_into(packed, &mut body) {
                Ok(n) if n == size => Ok(body.into()),
                Ok(_) => Err(corrupt("length mismatch".into())),
                Err(e) => Err(corrupt(e.to_string())),
            }
        }
        Some((tag, _)) => {
            Err(Error::Internal(format!("corrupt row in {table}: unknown format {tag}")))
        }
        None => Err(Error::Internal(format!("corrupt row in {table}: empty"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stepwise_engine::history::EventKind;

    fn record() -> ExecutionRecord {
        ExecutionRecord {
            arn: "arn:aws:states:us-east-1:1:execution:m:e".into(),
            state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:m".into(),
            name: "e".into(),
            status: ExecutionStatus::Failed,
            start_ms: 1,
            stop_ms: Some(2),
            input: r#"{"a":"\"quoted\""}"#.into(),
            output: None,
            error: Some("E".into()),
            cause: Some("c".into()),
            definition: r#"{"StartAt":"A"}"#.into(),
            role_arn: "r".into(),
            state_machine_version_arn: None,
            state_machine_alias_arn: None,
            redrive: Default::default(),
        }
    }

    #[test]
    fn execution_rows_round_trip_with_their_definition() {
        let r = record();
        let bytes = encode_execution(&r).unwrap();
        assert!(!bytes.windows(8).any(|w| w == b"StartAt\""), "the definition is not in the row");
        let back = decode_execution(&bytes, r.definition.clone()).unwrap();
        assert_eq!(format!("{back:?}"), format!("{r:?}"));
    }

    #[test]
    fn execution_rows_keep_their_version_and_alias() {
        let mut r = record();
        r.state_machine_version_arn = Some("arn:aws:states:us-east-1:1:stateMachine:m:2".into());
        r.state_machine_alias_arn = Some("arn:aws:states:us-east-1:1:stateMachine:m:prod".into());
        let back = decode_execution(&encode_execution(&r).unwrap(), r.definition.clone()).unwrap();
        assert_eq!(format!("{back:?}"), format!("{r:?}"));
    }

    #[test]
    fn execution_rows_keep_their_redrives() {
        let mut r = record();
        r.redrive.count = 2;
        r.redrive.last_ms = Some(5);
        r.redrive
            .tokens
            .push(stepwise_engine::model::RedriveToken { token: "t".into(), redrive_ms: 5 });
        let back = decode_execution(&encode_execution(&r).unwrap(), r.definition.clone()).unwrap();
        assert_eq!(format!("{back:?}"), format!("{r:?}"));
    }

    #[test]
    fn rows_written_before_v4_read_without_version() {
        /// A row as v2 and v3 wrote it: no tail.
        #[derive(Serialize)]
        struct Before<'a> {
            arn: &'a str,
            state_machine_arn: &'a str,
            name: &'a str,
            status: ExecutionStatus,
            start_ms: i64,
            stop_ms: Option<i64>,
            input: &'a str,
            output: Option<&'a str>,
            error: Option<&'a str>,
            cause: Option<&'a str>,
            role_arn: &'a str,
        }
        let r = record();
        let old = Before {
            arn: &r.arn,
            state_machine_arn: &r.state_machine_arn,
            name: &r.name,
            status: r.status,
            start_ms: r.start_ms,
            stop_ms: r.stop_ms,
            input: &r.input,
            output: r.output.as_deref(),
            error: r.error.as_deref(),
            cause: r.cause.as_deref(),
            role_arn: &r.role_arn,
        };
        let bytes = encode(&old, COMPRESS_EXECUTION_FROM).unwrap();
        let back = decode_execution(&bytes, r.definition.clone()).unwrap();
        // Its failure has no redrive point: it reads as not redrivable.
        let mut r = r;
        r.redrive.refused = Some(BEFORE_REDRIVE_REASON.to_owned());
        assert_eq!(format!("{back:?}"), format!("{r:?}"));
    }

    #[test]
    fn event_chunks_round_trip() {
        let events: Vec<HistoryEvent> = (1..=3)
            .map(|id| HistoryEvent {
                id,
                previous_event_id: id - 1,
                timestamp_ms: 7,
                kind: EventKind::ExecutionSucceeded { output: format!("{{\"n\":{id}}}") },
            })
            .collect();
        let bytes = encode_events(&events.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(decode_events(&bytes).unwrap(), events);
    }

    #[test]
    fn large_blobs_are_compressed() {
        let events: Vec<HistoryEvent> = (1..=20)
            .map(|id| HistoryEvent {
                id,
                previous_event_id: id - 1,
                timestamp_ms: 7,
                kind: EventKind::ExecutionSucceeded {
                    output: format!("{{\"step\":{id},\"same\":\"text\"}}"),
                },
            })
            .collect();
        let bytes = encode_events(&events.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(bytes[0], FORMAT_BINCODE_LZ4);
        let plain = options().serialized_size(&events).unwrap() as usize;
        assert!(bytes.len() * 2 < plain, "{} bytes for {plain}", bytes.len());
        assert_eq!(decode_events(&bytes).unwrap(), events);
        // Damaged: a length that disagrees, a huge length, a truncated block.
        let mut wrong = bytes.clone();
        wrong[1] ^= 1;
        assert!(decode_events(&wrong).is_err());
        let mut huge = bytes.clone();
        huge[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_events(&huge).is_err());
        assert!(decode_events(&bytes[..bytes.len() / 2]).is_err());
        assert!(decode_events(&bytes[..3]).is_err());
    }

    #[test]
    fn execution_rows_are_compressed_only_when_large() {
        let small = record();
        assert_eq!(encode_execution(&small).unwrap()[0], FORMAT_BINCODE_1);
        let mut large = record();
        large.input = format!("[{}0]", "1234567890,".repeat(200)).into();
        let bytes = encode_execution(&large).unwrap();
        assert_eq!(bytes[0], FORMAT_BINCODE_LZ4);
        assert!(bytes.len() < large.input.len() / 4, "{} bytes", bytes.len());
        let back = decode_execution(&bytes, large.definition.clone()).unwrap();
        assert_eq!(format!("{back:?}"), format!("{large:?}"));
    }

    #[test]
    fn bad_blobs_are_errors() {
        assert!(decode_events(&[]).is_err());
        assert!(decode_events(&[9, 1, 2]).is_err());
        assert!(decode_events(&[FORMAT_BINCODE_1, 0xff, 0xff]).is_err());
    }
}
