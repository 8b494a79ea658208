//! Executions advance independently: one execution's slow JSONata expression holds up
//! no other execution.
mod common;

use std::time::{Duration, Instant};

use common::*;

/// A Pass state whose JSONata output takes seconds: it filters a range of millions.
const SLOW: &str = r#"{"QueryLanguage":"JSONata","StartAt":"Slow","States":{"Slow":{"Type":"Pass","Output":"{% $count($filter([1..$states.input.n], function($v){ $v % 7 = 0 })) %}","End":true}}}"#;

fn ten_passes() -> String {
    let states: Vec<String> = (0..10)
        .map(|i| {
            let next =
                if i == 9 { r#""End":true"#.to_owned() } else { format!(r#""Next":"P{}""#, i + 1) };
            format!(r#""P{i}":{{"Type":"Pass",{next}}}"#)
        })
        .collect();
    format!(r#"{{"StartAt":"P0","States":{{{}}}}}"#, states.join(","))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_jsonata_expression_holds_up_no_other_execution() {
    let t = TestServer::start().await;
    let slow_sm = t.create_state_machine(&unique("slow"), SLOW).await;
    let fast_sm = t.create_state_machine(&unique("fast"), &ten_passes()).await;

    // The slow execution decides inside StartExecution: its call answers once the
    // expression is done.
    let slow_client = t.client.clone();
    let slow_started = Instant::now();
    let slow = tokio::spawn(async move {
        slow_client
            .start_execution()
            .state_machine_arn(slow_sm)
            .input(r#"{"n":2500000}"#)
            .send()
            .await
            .expect("slow StartExecution")
            .execution_arn()
            .to_owned()
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut latencies = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let arn = t.start_exec(&fast_sm, None, None).await;
        t.wait_for_status(&arn, "SUCCEEDED").await;
        latencies.push(started.elapsed());
    }
    let fast_done = slow_started.elapsed();
    let still_deciding = !slow.is_finished();
    let slow_arn = slow.await.expect("slow task");
    let slow_took = slow_started.elapsed();
    let slowest = latencies.iter().max().expect("20 runs");
    println!(
        "20 ten-Pass executions finished {fast_done:?} after the slow one started; slowest {slowest:?}; the slow one took {slow_took:?}"
    );
    assert!(
        still_deciding,
        "the 20 fast executions should finish while the slow expression is still evaluating (they took {fast_done:?}, it {slow_took:?})"
    );
    let out = t.wait_for_status(&slow_arn, "SUCCEEDED").await;
    assert_eq!(out.output(), Some("357142"));
}
