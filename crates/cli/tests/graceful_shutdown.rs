//! SIGTERM under load: the server stops within its bound, exits cleanly, and after a
//! restart on the same data directory every StartExecution it acknowledged exists and
//! finishes.
mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn start_server(data_dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(["serve", "--store", "sqlite", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--log-level", "warn", "--shutdown-timeout", "10"])
        .arg("--data-dir")
        .arg(data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("server starts")
}

async fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the server did not listen within 30 s");
}

/// A short Wait then a Pass: executions are still running when the signal comes.
const WAIT_THEN_PASS: &str = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","End":true}}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_no_acknowledged_start() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = start_server(dir.path(), port);
    wait_listening(port).await;
    let endpoint = format!("http://127.0.0.1:{port}");
    let client = sdk_client(&endpoint);
    let machine = client
        .create_state_machine()
        .name("shutdown")
        .definition(WAIT_THEN_PASS)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .expect("create")
        .state_machine_arn;
    let activity = client.create_activity().name("idle").send().await.unwrap().activity_arn;

    // A poller that waits through the signal: it must be answered, empty.
    let poller = {
        let client = client.clone();
        let activity = activity.clone();
        tokio::spawn(async move { client.get_activity_task().activity_arn(activity).send().await })
    };
    // Eight clients start executions as fast as they can.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut load = Vec::new();
    for worker in 0..8 {
        let client = client.clone();
        let machine = machine.clone();
        let acknowledged = Arc::clone(&acknowledged);
        load.push(tokio::spawn(async move {
            for n in 0.. {
                let name = format!("w{worker}-{n}");
                match client.start_execution().state_machine_arn(&machine).name(&name).send().await
                {
                    Ok(out) => acknowledged.lock().unwrap().push(out.execution_arn),
                    // Refused or cut off at shutdown: not acknowledged, so nothing is owed.
                    Err(_) => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let before = acknowledged.lock().unwrap().len();
    assert!(before > 0, "the load started nothing");

    let signalled = Instant::now();
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if signalled.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the server did not exit within 20 s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = signalled.elapsed();
    assert!(exit.success(), "exit status {exit:?}");
    for task in load {
        bounded("load task", task).await.unwrap();
    }
    let polled = bounded("poller", poller).await.unwrap().expect("the poll was answered");
    assert!(polled.task_token.is_none(), "{polled:?}");
    // The poll ended at the signal, not at its minute.
    assert!(took < Duration::from_secs(15), "{took:?}");

    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!("{} StartExecution acknowledged; exited {took:?} after SIGTERM", acknowledged.len());
    let mut child = start_server(dir.path(), port);
    wait_listening(port).await;
    let client = sdk_client(&endpoint);
    let deadline = Instant::now() + Duration::from_secs(60);
    for arn in &acknowledged {
        loop {
            let d = client.describe_execution().execution_arn(arn).send().await;
            let d = d.unwrap_or_else(|e| panic!("{arn} was acknowledged but is gone: {e:?}"));
            if d.status.as_str() == "SUCCEEDED" {
                break;
            }
            assert_eq!(d.status.as_str(), "RUNNING", "{arn}");
            assert!(Instant::now() < deadline, "{arn} did not finish");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
}
