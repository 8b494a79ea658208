//! Paging of ListStateMachines, ListActivities, ListExecutions and GetExecutionHistory:
//! the tokens the server mints lead through every item, and a token it did not mint
//! (garbage, signs, leading zeros, offsets near 2^64, past the end) answers `InvalidToken`,
//! never a panic nor a wrong page. Run on both stores, since ListExecutions pages in SQL.
mod common;

use common::*;
use serde_json::{json, Value};
use stepwise::serve::{ServeOptions, StoreKind};

/// Three of each: state machines, activities, executions of the first machine.
struct Listings {
    t: TestServer,
    sm: String,
    execution: String,
}

async fn listings(t: TestServer) -> Listings {
    let mut machines = Vec::new();
    for _ in 0..3 {
        machines.push(t.create_state_machine(&unique("sm"), BASE_PASS_RESULT).await);
        t.create_activity(&unique("activity")).await;
    }
    let sm = machines.swap_remove(0);
    let mut execution = String::new();
    for _ in 0..3 {
        execution = t.start_exec(&sm, None, None).await;
        t.wait_for_status(&execution, "SUCCEEDED").await;
    }
    Listings { t, sm, execution }
}

/// The four listings: operation, the request without paging fields, the list's key.
fn operations(l: &Listings) -> [(&'static str, Value, &'static str); 4] {
    [
        ("ListStateMachines", json!({}), "stateMachines"),
        ("ListActivities", json!({}), "activities"),
        ("ListExecutions", json!({ "stateMachineArn": l.sm }), "executions"),
        ("GetExecutionHistory", json!({ "executionArn": l.execution }), "events"),
    ]
}

/// Every item of a listing, one per page, following the minted tokens.
async fn walk(t: &TestServer, op: &str, request: &Value, key: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let mut body = request.clone();
        body["maxResults"] = json!(1);
        if let Some(token) = &token {
            body["nextToken"] = json!(token);
        }
        let page = t.raw_ok(op, body).await;
        let list = page[key].as_array().unwrap_or_else(|| panic!("{op}: {page}"));
        assert_eq!(list.len(), 1, "{op}: a page of one, never empty: {page}");
        items.extend(list.iter().cloned());
        match page.get("nextToken") {
            Some(Value::String(next)) => token = Some(next.clone()),
            None => return items,
            Some(other) => panic!("{op}: nextToken {other}"),
        }
    }
    panic!("{op}: more than 100 pages")
}

/// Tokens no server of ours mints, for a listing of `len` items.
fn forged(len: usize) -> Vec<String> {
    let mut tokens: Vec<String> = [
        "garbage",
        "sw1-",
        "sw1-0",
        "sw1-01",
        "sw1--1",
        "sw1-+1",
        "sw1-A",
        "sw1- 1",
        "sw1-1 ",
        "sw2-1",
        // 2^64 - 1 and its neighbours: offset + maxResults would overflow.
        "sw1-ffffffffffffffff",
        "sw1-fffffffffffffffe",
        // Past i64::MAX: cast to an SQL OFFSET it would wrap negative (read as zero).
        "sw1-8000000000000000",
        "sw1-7fffffffffffffff",
        // Too many digits for 64 bits.
        "sw1-10000000000000000",
        "sw1-fffffffffffffffffffffffffffffffffffffffff",
    ]
    .map(str::to_owned)
    .to_vec();
    // At and past the end of the listing.
    tokens.push(format!("sw1-{len:x}"));
    tokens.push(format!("sw1-{:x}", len + 1000));
    tokens
}

async fn check(t: TestServer) {
    let l = listings(t).await;
    for (op, request, key) in operations(&l) {
        let all = l.t.raw_ok(op, request.clone()).await;
        let all = all[key].as_array().expect("a list").clone();
        assert!(all.len() >= 3, "{op}: {all:?}");
        assert_eq!(walk(&l.t, op, &request, key).await, all, "{op}: the pages make the list");

        for token in forged(all.len()) {
            for max in [None, Some(1), Some(1000)] {
                let mut body = request.clone();
                body["nextToken"] = json!(token);
                if let Some(max) = max {
                    body["maxResults"] = json!(max);
                }
                let answer = l.t.raw(op, body).await;
                l.t.assert_raw_error(&answer, "InvalidToken", "Invalid Token: 'Invalid token'");
            }
        }

        for (max, rule) in
            [(-1, "greater than or equal to 0"), (1001, "less than or equal to 1000")]
        {
            let mut body = request.clone();
            body["maxResults"] = json!(max);
            let answer = l.t.raw(op, body).await;
            l.t.assert_raw_error(
                &answer,
                "ValidationException",
                &format!("1 validation error detected: Value '{max}' at 'maxResults' failed to satisfy constraint: Member must have value {rule}"),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tokens_are_invalid_in_memory() {
    check(TestServer::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tokens_are_invalid_in_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let options = ServeOptions {
        store: StoreKind::Sqlite,
        data_dir: dir.path().to_owned(),
        ..ServeOptions::default()
    };
    check(TestServer::start_with(options).await).await;
}
