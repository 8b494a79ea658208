//! The console in a real browser: headless Chromium driven through chromedriver (WebDriver)
//! against an in-process server. Workflows are created and started through `aws-sdk-sfn` (or
//! the console's own start form), and the pages are checked as a user sees them: the graph's
//! states and colours, the history, a state's input and output, the live update of a
//! running execution, and the time a 5,000-event execution takes to render.
//!
//! Needs `chromium` and `chromedriver` (Debian's `chromium`, `chromium-driver`; `.ci/run`
//! installs them). Without them the tests skip loudly, except under `CI=true`, where they
//! fail. Screenshots go to `target/console-screenshots/`.
mod common;
#[path = "console_browser/webdriver.rs"]
mod webdriver;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::TestServer;
use webdriver::{Browser, Unavailable};

/// A runtime for the server; the test's own thread drives the browser (blocking).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The browser, or `None` (after saying so) when it is not installed outside CI.
fn browser(width: u32, height: u32) -> Option<Browser> {
    match Browser::start(width, height) {
        Ok(b) => Some(b),
        Err(Unavailable::Missing(what)) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "{what} is not installed, and CI=true: install chromium and chromium-driver"
                );
            }
            eprintln!(
                "SKIPPED: {what} is not installed (apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("console-screenshots")
}

fn page_url(t: &TestServer, arn: &str) -> String {
    let arn: String = form_urlencoded::byte_serialize(arn.as_bytes()).collect();
    format!("{}/console/execution?arn={arn}", t.endpoint)
}

/// The `data-status` of each state in the graph.
fn graph_statuses(b: &Browser) -> Value {
    b.run(
        r#"const out = {};
           document.querySelectorAll("svg.graph .node[data-state]").forEach(n => { out[n.dataset.state] = n.dataset.status; });
           return out;"#,
        json!([]),
    )
}

/// The colour a state's box is drawn with, and the colour its outcome's variable names.
fn stroke_and_expected(b: &Browser, state: &str, variable: &str) -> (String, String) {
    let answer = b.run(
        r#"const rect = document.querySelector('svg.graph .node[data-state="' + arguments[0] + '"] > rect');
           const probe = document.createElement("span");
           probe.style.color = "var(" + arguments[1] + ")";
           document.body.append(probe);
           const expected = getComputedStyle(probe).color;
           probe.remove();
           return [getComputedStyle(rect).stroke, expected];"#,
        json!([state, variable]),
    );
    (answer[0].as_str().unwrap().to_owned(), answer[1].as_str().unwrap().to_owned())
}

const FAN_OUT: &str = r#"{
  "Comment": "A Choice, a Parallel holding a Map, and a failing Task that is caught",
  "StartAt": "Route",
  "States": {
    "Route": {"Type": "Choice", "Choices": [{"Variable": "$.mode", "StringEquals": "fan", "Next": "Fan"}], "Default": "Skipped"},
    "Skipped": {"Type": "Pass", "Next": "Fan"},
    "Fan": {"Type": "Parallel", "Next": "Done", "Branches": [
      {"StartAt": "Double", "States": {"Double": {"Type": "Map", "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Square", "States": {"Square": {"Type": "Pass", "End": true}}}}}},
      {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "ACTIVITY", "Retry": [{"ErrorEquals": ["Transient"], "MaxAttempts": 1}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}], "End": true},
        "Recover": {"Type": "Pass", "End": true}}}
    ]},
    "Done": {"Type": "Succeed"}
  }
}"#;

/// The workflow of the issue, run through the SDK (its activity task failed by the test as a
/// worker), then its execution page checked state by state.
#[test]
fn execution_page_shows_outcomes_history_and_state_io() {
    let Some(b) = browser(1280, 800) else { return };
    let rt = runtime();
    let t = rt.block_on(TestServer::start());
    let (execution, events) = rt.block_on(async {
        let activity = t.create_activity(&common::unique("console-work")).await;
        let machine =
            t.create_state_machine("order-pipeline", &FAN_OUT.replace("ACTIVITY", &activity)).await;
        let execution = t
            .start_exec(&machine, Some("order-42"), Some(r#"{"mode":"fan","items":[1,2,3]}"#))
            .await;
        let (token, _) = t.poll_task(&activity, Some("console-worker")).await;
        t.client
            .send_task_failure()
            .task_token(token)
            .error("Boom")
            .cause("the payment service said no")
            .send()
            .await
            .expect("SendTaskFailure");
        t.wait_for_status(&execution, "SUCCEEDED").await;
        let events = t.history_json(&execution).await;
        (execution, events)
    });

    // `GET /` in a browser leads to the console.
    b.goto(&format!("{}/", t.endpoint));
    let here = b.run("return location.pathname;", json!([]));
    assert_eq!(here, "/console/");
    let listed = b.run("return document.querySelector('table.list').innerText;", json!([]));
    assert!(listed.as_str().unwrap().contains("order-pipeline"), "{listed}");

    b.goto(&page_url(&t, &execution));
    let statuses = graph_statuses(&b);
    assert_eq!(
        statuses,
        json!({
            "Route": "succeeded", "Skipped": "not-reached", "Fan": "succeeded", "Double": "succeeded",
            "Square": "succeeded", "Work": "caught", "Recover": "succeeded", "Done": "succeeded"
        }),
    );
    // The colours are the outcomes' colours, and differ from each other.
    let (caught, want) = stroke_and_expected(&b, "Work", "--caught");
    assert_eq!(caught, want, "a caught state is drawn in the caught colour");
    let (ok, want) = stroke_and_expected(&b, "Done", "--ok");
    assert_eq!(ok, want, "a succeeded state is drawn in the succeeded colour");
    assert_ne!(caught, ok);
    // Edges: the Choice's rule, the Default dashed apart, the Catch in its own style.
    let edges = b.run(
        r#"return {
             choice: Array.from(document.querySelectorAll("svg.graph text.elabel")).map(t => t.textContent),
             dflt: document.querySelectorAll('svg.graph path.e-default[data-from="Route"][data-to="Skipped"]').length,
             catch: document.querySelectorAll('svg.graph path.e-catch[data-from="Work"][data-to="Recover"]').length,
             branches: document.querySelectorAll('svg.graph .node[data-state="Fan"] ~ .branch, svg.graph .branch').length
           };"#,
        json!([]),
    );
    assert!(edges["choice"].as_array().unwrap().contains(&json!("$.mode == \"fan\"")), "{edges}");
    assert_eq!(edges["dflt"], 1, "{edges}");
    assert_eq!(edges["catch"], 1, "{edges}");
    assert_eq!(edges["branches"], 3, "two Parallel branches and one Map processor: {edges}");

    // The history: every event, the failure among them, expandable.
    let shown = b.run("return document.querySelectorAll('#history > li').length;", json!([]));
    assert_eq!(shown, json!(events.len()));
    b.click("#history > li[data-type='ActivityFailed'] button");
    b.wait_until(
        "the event's details",
        Duration::from_secs(10),
        "return document.querySelector(\"#history > li[data-type='ActivityFailed'] pre\") !== null;",
    );
    let failure = b.run(
        "return document.querySelector(\"#history > li[data-type='ActivityFailed']\").innerText;",
        json!([]),
    );
    assert!(failure.as_str().unwrap().contains("the payment service said no"), "{failure}");
    // Filtered by type.
    b.run(
        r#"const s = document.getElementById("event-filter"); s.value = "ActivityFailed"; s.dispatchEvent(new Event("change", {bubbles: true}));"#,
        json!([]),
    );
    let visible = b.run("return Array.from(document.querySelectorAll('#history > li')).filter(li => !li.hidden).length;", json!([]));
    assert_eq!(visible, 1);

    // A state's input and output, side by side, chosen in the graph.
    b.click("svg.graph .node[data-state='Recover']");
    let io = b.run(
        "return [document.getElementById('io-name').textContent, document.getElementById('io-input').textContent, document.getElementById('io-output').textContent];",
        json!([]),
    );
    assert_eq!(io[0], "Recover");
    let input: Value = serde_json::from_str(io[1].as_str().unwrap()).expect("the input is JSON");
    assert_eq!(input["error"]["Error"], "Boom", "{input}");
    assert_eq!(input["items"], json!([1, 2, 3]));
    let output: Value = serde_json::from_str(io[2].as_str().unwrap()).expect("the output is JSON");
    assert_eq!(output["error"]["Cause"], "the payment service said no");
    // The caught state shows its error; reached with the keyboard.
    b.run("document.querySelector(\"svg.graph .node[data-state='Work']\").focus();", json!([]));
    b.keys("\u{E007}");
    let work = b.run(
        "return [document.getElementById('io-name').textContent, document.querySelector('#io-error code').textContent, document.querySelector('#io-status').innerText];",
        json!([]),
    );
    assert_eq!(work[0], "Work");
    assert_eq!(work[1], "Boom");
    assert!(work[2].as_str().unwrap().contains("CAUGHT"), "{work}");
    // The states table: a row per visit, and one per state inside Map iterations, counted.
    let squares = b.run(
        "return Array.from(document.querySelectorAll('#states tr[data-state=\"Square\"]')).map(r => r.cells[0].textContent);",
        json!([]),
    );
    assert_eq!(squares, json!(["Square ×3"]));

    b.run("document.getElementById('event-filter').value = ''; document.getElementById('event-filter').dispatchEvent(new Event('change', {bubbles: true}));", json!([]));
    b.run("window.scrollTo(0, 0);", json!([]));
    b.screenshot(&screenshots().join("execution-light.png"));
    b.resize(1280, 1100);
    b.screenshot(&screenshots().join("execution-tall.png"));
    b.resize(1280, 800);
    b.color_scheme("dark");
    b.screenshot(&screenshots().join("execution-dark.png"));
    b.color_scheme("light");
    b.resize(390, 844);
    b.goto(&page_url(&t, &execution));
    let overflow = b.run(
        r#"const wide = Array.from(document.querySelectorAll("body *"))
             .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.closest(".scroll, .graph-box, pre")))
             .map(e => e.tagName + "." + e.className).slice(0, 5);
           return [document.documentElement.scrollWidth - window.innerWidth, wide];"#,
        json!([]),
    );
    assert!(overflow[0].as_i64().unwrap() <= 0, "the page scrolls sideways on a phone: {overflow}");
    b.screenshot(&screenshots().join("execution-phone.png"));
    drop(b);
    t.server.shutdown();
}

/// An execution started from the console's form (its JSON checked first) shows its Wait
/// running, and then succeeded, without a reload.
#[test]
fn running_wait_turns_succeeded_without_reload() {
    let Some(b) = browser(1280, 800) else { return };
    let rt = runtime();
    let t = rt.block_on(TestServer::start());
    let machine = rt.block_on(t.create_state_machine(
        "pause-then-go",
        r#"{"StartAt":"Pause","States":{"Pause":{"Type":"Wait","Seconds":2,"Next":"Go"},"Go":{"Type":"Pass","End":true}}}"#,
    ));
    let arn: String = form_urlencoded::byte_serialize(machine.as_bytes()).collect();
    b.goto(&format!("{}/console/machine?arn={arn}", t.endpoint));
    // Not JSON: refused in the page, nothing sent.
    b.type_into("form.start textarea[name=input]", "{\"n\": oops}");
    b.click("form.start button[type=submit]");
    let refused = b.run(
        "const n = document.querySelector('form.start .json-error'); return [n.hidden, n.textContent, location.pathname];",
        json!([]),
    );
    assert_eq!(refused[0], false, "{refused}");
    assert!(refused[1].as_str().unwrap().contains("not valid JSON"), "{refused}");
    assert_eq!(refused[2], "/console/machine");
    let listed =
        rt.block_on(t.client.list_executions().state_machine_arn(&machine).send()).unwrap();
    assert!(listed.executions().is_empty());
    // JSON: the form posts (same origin, through the server's guard) and shows the execution.
    b.type_into("form.start input[name=name]", "live-one");
    b.type_into("form.start textarea[name=input]", "{\"n\": 1}");
    b.click("form.start button[type=submit]");
    let path = b.run("return location.pathname;", json!([]));
    assert_eq!(path, "/console/execution");
    let pause = b.run(
        "return document.querySelector(\"svg.graph .node[data-state='Pause']\").dataset.status;",
        json!([]),
    );
    assert_eq!(pause, "running");
    let go = b.run(
        "return document.querySelector(\"svg.graph .node[data-state='Go']\").dataset.status;",
        json!([]),
    );
    assert_eq!(go, "not-reached");
    b.screenshot(&screenshots().join("execution-running.png"));
    // A mark on the window: a reload would lose it.
    b.run("window.__stillHere = true;", json!([]));
    b.wait_until(
        "the Wait to turn succeeded on the page",
        Duration::from_secs(15),
        r#"const n = document.querySelector("svg.graph .node[data-state='Pause']");
           return n !== null && n.dataset.status === "succeeded"
             && document.getElementById("live").dataset.status === "SUCCEEDED";"#,
    );
    let kept = b.run("return window.__stillHere === true;", json!([]));
    assert_eq!(kept, true, "the page was reloaded");
    let go = b.run(
        "return document.querySelector(\"svg.graph .node[data-state='Go']\").dataset.status;",
        json!([]),
    );
    assert_eq!(go, "succeeded");
    let exec_arn = t.execution_arn("pause-then-go", "live-one");
    let described =
        rt.block_on(t.client.describe_execution().execution_arn(&exec_arn).send()).unwrap();
    assert_eq!(described.status().as_str(), "SUCCEEDED");
    assert_eq!(described.input(), Some("{\"n\": 1}"));
    b.screenshot(&screenshots().join("execution-live-done.png"));
    drop(b);
    t.server.shutdown();
}

/// A Map over 1,249 items: 5,000 history events on one page, rendered in under a second
/// (navigation start to the load event, as the browser measures it).
#[test]
fn five_thousand_events_render_under_a_second() {
    let Some(b) = browser(1280, 800) else { return };
    let rt = runtime();
    let t = rt.block_on(TestServer::start());
    let items: Vec<u32> = (0..1249).collect();
    let (execution, count) = rt.block_on(async {
        let machine = t
            .create_state_machine(
                "many-events",
                r#"{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"Touch","States":{"Touch":{"Type":"Pass","End":true}}},"End":true}}}"#,
            )
            .await;
        let input = json!({ "items": items }).to_string();
        let execution = t.start_exec(&machine, None, Some(&input)).await;
        t.wait_for_status(&execution, "SUCCEEDED").await;
        let count = t.engine().history(&execution).unwrap().len();
        (execution, count)
    });
    assert!(count >= 5000, "{count} events");
    // Once to warm the browser's cache of the stylesheet and script, then measured.
    b.goto(&page_url(&t, &execution));
    let mut best = f64::MAX;
    for _ in 0..5 {
        b.goto("about:blank");
        let started = Instant::now();
        b.goto(&page_url(&t, &execution));
        b.wait_until(
            "the page's load event",
            Duration::from_secs(30),
            r#"const n = performance.getEntriesByType("navigation")[0];
               return document.readyState === "complete" && n !== undefined && n.loadEventEnd > 0;"#,
        );
        let wall = started.elapsed();
        let timing = b.run(
            r#"const n = performance.getEntriesByType("navigation")[0];
               return [n.responseEnd, n.domContentLoadedEventEnd, n.loadEventEnd, document.querySelectorAll('#history > li').length, n.transferSize, document.getElementsByTagName("*").length];"#,
            json!([]),
        );
        let load = timing[2].as_f64().unwrap();
        eprintln!(
            "5,000-event page ({count} events, {} bytes, {} elements): response {:.0} ms, DOM ready {:.0} ms, load {:.0} ms (WebDriver round trip {:.0} ms)",
            timing[4],
            timing[5],
            timing[0].as_f64().unwrap(),
            timing[1].as_f64().unwrap(),
            load,
            wall.as_secs_f64() * 1000.0
        );
        assert_eq!(timing[3], json!(count));
        best = best.min(load);
    }
    assert!(best < 1000.0, "the page took {best:.0} ms to load");
    b.screenshot(&screenshots().join("execution-5000-events.png"));
    drop(b);
    t.server.shutdown();
}

/// What needs no browser: `GET /` leads to the console while the API's query form still
/// answers at `/`, the pages answer, and a form posted from another web origin is refused by
/// the server's guard (the console's own, same-origin posts are what the browser tests send).
#[tokio::test]
async fn console_routes_and_the_guard() {
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let t = TestServer::start().await;
    let machine = t.create_state_machine("guarded", common::BASE_PASS_RESULT).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let send = |request: hyper::Request<Full<Bytes>>| {
        let client = client.clone();
        async move {
            let response = client.request(request).await.expect("an answer");
            let status = response.status().as_u16();
            let location =
                response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, location, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let get = |path: &str| {
        hyper::Request::get(format!("{}{path}", t.endpoint)).body(Full::new(Bytes::new())).unwrap()
    };
    let (status, location, _) = send(get("/")).await;
    assert_eq!((status, location.as_deref()), (303, Some("/console/")));
    let (status, _, body) = send(get("/?Action=ListStateMachines")).await;
    assert_eq!(status, 200);
    assert!(body.contains("\"stateMachines\""), "{body}");
    let (status, _, body) = send(get("/console/")).await;
    assert_eq!(status, 200);
    assert!(body.contains(">guarded</a>"), "{body}");
    let (status, _, body) = send(get("/console/assets/console.js")).await;
    assert_eq!(status, 200);
    assert!(body.contains("use strict"));
    let (status, _, body) = send(get(
        "/console/execution?arn=arn:aws:states:us-east-1:123456789012:execution:guarded:nope",
    ))
    .await;
    assert_eq!(status, 404);
    assert!(body.contains("ExecutionDoesNotExist"), "{body}");

    let arn: String = form_urlencoded::byte_serialize(machine.as_bytes()).collect();
    let form = format!("arn={arn}&name=from-a-form&input=%7B%7D");
    let post = |origin: &str| {
        hyper::Request::post(format!("{}/console/start", t.endpoint))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .body(Full::new(Bytes::from(form.clone())))
            .unwrap()
    };
    let (status, _, body) = send(post("http://evil.example")).await;
    assert_eq!(status, 403, "{body}");
    let listed = t.client.list_executions().state_machine_arn(&machine).send().await.unwrap();
    assert!(listed.executions().is_empty(), "a cross-origin form started an execution");
    let (status, location, _) = send(post(&t.endpoint)).await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with("/console/execution?arn="));
    t.wait_for_status(&t.execution_arn("guarded", "from-a-form"), "SUCCEEDED").await;

    // Activities: the tasks waiting, then a worker polling.
    let activity = t.create_activity("console-queue").await;
    t.activity_machine(&activity, "").await;
    let machines = t.client.list_state_machines().send().await.unwrap();
    let with_task =
        machines.state_machines().iter().find(|m| m.name().starts_with("activity-sm")).unwrap();
    t.start_exec(with_task.state_machine_arn(), None, None).await;
    let row = |body: &str| {
        let at = body.find("data-activity=\"console-queue\"").expect("the activity's row");
        body[at..body[at..].find("</tr>").unwrap() + at].to_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, _, body) = send(get("/console/activities")).await;
        if row(&body).contains(r#"<td class="num waiting">1</td>"#) {
            break;
        }
        assert!(Instant::now() < deadline, "no waiting task shown: {}", row(&body));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (token, _) = t.poll_task(&activity, None).await;
    let poll =
        t.client.get_activity_task().activity_arn(&activity).worker_name("night-shift").send();
    let poller = tokio::spawn(poll);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, _, body) = send(get("/console/activities")).await;
        if row(&body).contains("night-shift") {
            break;
        }
        assert!(Instant::now() < deadline, "no polling worker shown: {}", row(&body));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    poller.abort();
    t.client.send_task_success().task_token(token).output("{}").send().await.unwrap();
    t.server.shutdown();
}
