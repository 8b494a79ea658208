//! Forks (Parallel, Map) keep what runs, not what has run: frames leave as they end, and
//! a snapshot with its parts restores to the same execution, also from older snapshots.
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};
use stepwise_asl::Machine;

use super::{Effect, FrameId, Running, Services};
use crate::history::HistoryEvent;
use crate::model::{ExecutionRecord, ExecutionStatus};
use crate::store::Part;
use crate::token::TaskId;

const START_MS: i64 = 1_700_000_000_000;

struct NoServices(u128);

impl Services for NoServices {
    fn new_task(&mut self) -> TaskId {
        self.0 += 1;
        TaskId(self.0)
    }
    fn integration_exists(&self, _resource_type: &str) -> bool {
        false
    }
    fn task_token(&self, task: TaskId) -> String {
        format!("token-{}", task.0)
    }
    fn activity_exists(&self, _arn: &str) -> bool {
        false
    }
    fn mock(&self, _: &str, _: &str, _: &str, _: u32) -> Option<crate::mock::MockResponse> {
        None
    }
}

/// Runs one execution as the engine would with a durable store: after each decision its
/// events, parts and snapshot are "committed" here; timers fire in deadline order.
struct Driver {
    run: Running,
    row: ExecutionRecord,
    machine: Arc<Machine>,
    now: i64,
    timers: BTreeMap<(i64, u64), (FrameId, u64)>,
    timer_seq: u64,
    history: Vec<HistoryEvent>,
    snapshot: Option<Vec<u8>>,
    parts: BTreeMap<(u64, u64), Vec<u8>>,
    /// The most frames held after any decision, and the largest snapshot.
    max_frames: usize,
    max_snapshot: usize,
}

impl Driver {
    fn start(definition: &Value, input: Value) -> Driver {
        let definition: Arc<str> = definition.to_string().into();
        let machine = Arc::new(Machine::parse(&definition).machine.expect("a valid definition"));
        let row = ExecutionRecord {
            arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".into(),
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
            name: "e".into(),
            status: ExecutionStatus::Running,
            start_ms: START_MS,
            stop_ms: None,
            input: input.to_string().into(),
            output: None,
            error: None,
            cause: None,
            definition,
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            state_machine_version_arn: None,
            state_machine_alias_arn: None,
            redrive: Default::default(),
        };
        let run = Running::start(row.clone(), machine.clone(), "m".into(), input, 7);
        let mut driver = Driver {
            run,
            row,
            machine,
            now: START_MS,
            timers: BTreeMap::new(),
            timer_seq: 0,
            history: Vec::new(),
            snapshot: None,
            parts: BTreeMap::new(),
            max_frames: 0,
            max_snapshot: 0,
        };
        driver.decide();
        driver
    }

    /// Advances ready frames and commits what they decided.
    fn decide(&mut self) {
        while self.run.advance(self.now, usize::MAX, &mut NoServices(0)) {}
        for effect in std::mem::take(&mut self.run.effects) {
            if let Effect::Timer { at_ms, frame, generation } = effect {
                self.timer_seq += 1;
                self.timers.insert((at_ms, self.timer_seq), (frame, generation));
            }
        }
        self.history.append(&mut self.run.pending);
        for part in self.run.take_parts(true) {
            match part {
                Part::Put { group, index, bytes } => {
                    self.parts.insert((group, index), bytes);
                }
                Part::DeleteGroup { group } => self.parts.retain(|(g, _), _| *g != group),
            }
        }
        if self.run.is_running() {
            let bytes = self.run.snapshot(Value::Null);
            self.max_snapshot = self.max_snapshot.max(bytes.len());
            self.snapshot = Some(bytes);
        } else {
            self.snapshot = None;
            self.parts.clear();
        }
        self.max_frames = self.max_frames.max(self.run.frame_count());
    }

    /// Fires the earliest timer; false when none is left.
    fn fire(&mut self) -> bool {
        let Some(((at_ms, _), (frame, generation))) = self.timers.pop_first() else {
            return false;
        };
        self.now = self.now.max(at_ms);
        self.run.on_timer(frame, generation, self.now, &mut None);
        self.decide();
        true
    }

    /// Replaces the execution in memory by what its snapshot and parts restore.
    fn reload(&mut self) {
        let Some(bytes) = &self.snapshot else { return };
        let parts = self.parts.iter().map(|((g, i), b)| (*g, *i, b.clone())).collect();
        self.run = restore(bytes, parts, &self.row, &self.machine);
    }

    fn finish(&mut self, reload_each_time: bool) {
        while self.fire() {
            if reload_each_time {
                self.reload();
            }
        }
        assert!(!self.run.is_running(), "every timer fired and the execution ended");
    }

    fn output(&self) -> Value {
        assert_eq!(self.run.record.status, ExecutionStatus::Succeeded, "{:?}", self.run.record);
        serde_json::from_str(self.run.record.output.as_deref().unwrap()).unwrap()
    }
}

fn restore(
    bytes: &[u8],
    parts: Vec<(u64, u64, Vec<u8>)>,
    row: &ExecutionRecord,
    machine: &Arc<Machine>,
) -> Running {
    Running::restore(bytes, parts, row, |_| Ok(machine.clone())).expect("restores").0
}

/// A Map over `$.items`, `max_concurrency` at a time, each iteration waiting 1 s.
fn napping_map(max_concurrency: u32) -> Value {
    json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": max_concurrency,
                "ItemProcessor": {
                    "StartAt": "Nap",
                    "States": {"Nap": {"Type": "Wait", "Seconds": 1, "End": true}}
                },
                "ResultPath": "$.out",
                "End": true
            }
        }
    })
}

#[test]
fn map_frames_leave_as_iterations_end() {
    let items: Vec<u32> = (0..1000).collect();
    let mut map = Driver::start(&napping_map(10), json!({ "items": items }));
    assert_eq!(map.run.frame_count(), 11, "the root and ten iterations");
    map.finish(false);
    assert_eq!(map.output(), json!({ "items": items, "out": items }));
    assert!(map.max_frames <= 11, "at most the root and ten iterations: {}", map.max_frames);
    assert_eq!(map.run.frame_count(), 1, "only the root is left");

    // A snapshot holds what runs: ten times the items, the same largest snapshot.
    let few: Vec<u32> = (0..100).collect();
    let mut small = Driver::start(&napping_map(10), json!({ "items": few }));
    small.finish(false);
    assert!(
        map.max_snapshot < small.max_snapshot + 200,
        "largest snapshots: {} bytes over 1,000 items, {} over 100",
        map.max_snapshot,
        small.max_snapshot
    );
}

#[test]
fn unbounded_map_frames_leave_too() {
    let items: Vec<u32> = (0..200).collect();
    let mut map = Driver::start(&napping_map(0), json!({ "items": items }));
    assert_eq!(map.run.frame_count(), 201);
    // All iterations wake at the same deadline; each leaves as it ends.
    assert!(map.fire());
    assert_eq!(map.run.frame_count(), 200);
    map.finish(false);
    assert_eq!(map.output(), json!({ "items": items, "out": items }));
    assert_eq!(map.run.frame_count(), 1);
}

/// A Parallel whose first branch runs a Map three at a time (each iteration naps, then
/// tags its item), and whose second branch naps 5 s: nested forks, results that differ
/// from their items, and a state input (`ResultPath`) that outlives the children.
fn nested() -> Value {
    json!({
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Each",
                        "States": {
                            "Each": {
                                "Type": "Map",
                                "ItemsPath": "$.items",
                                "MaxConcurrency": 3,
                                "ItemProcessor": {
                                    "StartAt": "Nap",
                                    "States": {
                                        "Nap": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Tag"},
                                        "Tag": {"Type": "Pass", "Parameters": {"n.$": "$.n", "tagged": true}, "End": true}
                                    }
                                },
                                "ResultPath": "$.out",
                                "End": true
                            }
                        }
                    },
                    {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 5, "End": true}}}
                ],
                "ResultPath": "$.both",
                "End": true
            }
        }
    })
}

fn nested_input() -> Value {
    let items: Vec<Value> = (0..20).map(|n| json!({"n": n, "wait": 1 + n % 4})).collect();
    json!({ "items": items, "keep": "me" })
}

#[test]
fn restoring_after_every_decision_changes_nothing() {
    let mut straight = Driver::start(&nested(), nested_input());
    straight.finish(false);
    let output = straight.output();
    assert_eq!(output["keep"], "me");
    assert_eq!(output["both"][0]["out"][7], json!({"n": 7, "tagged": true}));
    assert_eq!(output["both"][0]["items"], nested_input()["items"]);
    assert_eq!(output["both"][1], nested_input());

    let mut restored = Driver::start(&nested(), nested_input());
    restored.reload();
    restored.finish(true);
    assert_eq!(restored.output(), output);
    assert_eq!(restored.history, straight.history, "the same history");
    assert!(restored.parts.is_empty(), "an ended execution keeps no parts");
}

#[test]
fn a_running_fork_keeps_its_parts_out_of_the_snapshot() {
    let mut run = Driver::start(&nested(), nested_input());
    // Some iterations done, some running, some not started.
    for _ in 0..4 {
        assert!(run.fire());
    }
    let text = String::from_utf8(run.snapshot.clone().unwrap()).unwrap();
    assert!(!text.contains("tagged"), "no result in the snapshot: {text}");
    let snapshot: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(snapshot["record"]["input"], "", "the execution's input is in its row");
    // Frame 1 is the Map (frame 0 the Parallel): its input is in a part, as are its
    // results and items; frame 2, the Parallel's second branch, holds its own input.
    let map = &snapshot["live_frames"]["1"];
    assert_eq!(map["input"], Value::Null, "{text}");
    let fork = map["phase"]["Fork"].as_object().unwrap();
    assert!(!fork.contains_key("results") && !fork.contains_key("queued"), "{text}");
    assert_eq!(snapshot["live_frames"]["2"]["input"]["keep"], "me");
    let live = snapshot["live_frames"].as_object().unwrap().len();
    assert_eq!(live, 6, "the Parallel, the Map, three iterations, the branch that naps");
    let groups: Vec<u64> = run.parts.keys().map(|(g, _)| *g).collect();
    assert!(groups.contains(&0) && groups.contains(&1), "both forks have parts: {groups:?}");
    // The Map's parts: its finished results, its items not started, its input.
    let map: Vec<u64> = run.parts.keys().filter(|(g, _)| *g == 1).map(|(_, i)| *i).collect();
    assert!(map.contains(&20) && map.contains(&21), "{map:?}");
    assert!(map.iter().any(|i| *i < 20), "{map:?}");
}

/// A Map whose iteration 5 fails: the Map is retried once (entered again with its
/// input), then caught (its input, with the error, goes on).
fn failing_map() -> Value {
    json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 2,
                "ItemProcessor": {
                    "StartAt": "Nap",
                    "States": {
                        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Check"},
                        "Check": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$", "NumericEquals": 5, "Next": "Boom"}],
                            "Default": "Fine"
                        },
                        "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "five"},
                        "Fine": {"Type": "Pass", "End": true}
                    }
                },
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "After"}],
                "Next": "After"
            },
            "After": {"Type": "Pass", "End": true}
        }
    })
}

#[test]
fn a_failed_fork_leaves_no_frames_and_restores_alike() {
    let items: Vec<u32> = (0..12).collect();
    let input = json!({ "items": items, "keep": "me" });
    let mut straight = Driver::start(&failing_map(), input.clone());
    straight.finish(false);
    let output = straight.output();
    assert_eq!(output["keep"], "me");
    assert_eq!(output["items"], json!(items));
    assert_eq!(output["error"]["Error"], "Boom");
    assert_eq!(straight.run.frame_count(), 1, "the cancelled iteration left too");
    assert!(straight.max_frames <= 3, "{}", straight.max_frames);
    let entered = |history: &[HistoryEvent]| {
        history
            .iter()
            .filter(|e| matches!(e.kind, crate::history::EventKind::MapStateStarted { .. }))
            .count()
    };
    assert_eq!(entered(&straight.history), 2, "retried once");

    let mut restored = Driver::start(&failing_map(), input);
    restored.finish(true);
    assert_eq!(restored.output(), output);
    assert_eq!(restored.history, straight.history);
}

/// `legacy_snapshot.json` was written by the code before parts (commit 05e07ac) for
/// [`nested`] after four timers: every frame ever made (the ended ones `Done`), each fork
/// with its results and queued children inline, the execution's input in its record.
#[test]
fn a_snapshot_from_before_parts_restores() {
    let mut straight = Driver::start(&nested(), nested_input());
    for _ in 0..4 {
        assert!(straight.fire());
    }
    let legacy = include_bytes!("legacy_snapshot.json");
    let (run, waits, _) =
        Running::restore(legacy, Vec::new(), &straight.row, |_| Ok(straight.machine.clone()))
            .expect("an older snapshot restores");
    assert_eq!(run.frame_count(), 6, "the ended frames are left behind");
    let live = run.frames.live.keys().copied().collect::<Vec<_>>();
    assert_eq!(live, [0, 1, 2, 6, 8, 9]);
    assert_eq!(run.snapshot(Value::Null), straight.run.snapshot(Value::Null), "the same state");

    let mut restored = Driver { run, history: straight.history.clone(), ..straight };
    restored.timers.clear();
    for wait in waits {
        let super::Pending::Timer { frame, generation, at_ms } = wait else {
            panic!("only timers: {wait:?}")
        };
        restored.timer_seq += 1;
        restored.timers.insert((at_ms, restored.timer_seq), (frame, generation));
    }
    assert_eq!(restored.timers.len(), 4);
    // The next decision writes the parts the older snapshot carried inline.
    restored.decide();
    let parts: Vec<(u64, u64)> = restored.parts.keys().copied().collect();
    // The Parallel: its input; the Map: three results, its items not started, its input.
    assert_eq!(parts, [(0, 3), (1, 0), (1, 1), (1, 2), (1, 4), (1, 20), (1, 21)]);
    restored.finish(true);

    let mut straight = Driver::start(&nested(), nested_input());
    straight.finish(false);
    assert_eq!(restored.output(), straight.output());
    assert_eq!(restored.history, straight.history);
}

/// [`napping_map`] as a Distributed Map: its iterations run as a Map Run.
fn napping_map_run(max_concurrency: u32) -> Value {
    let mut definition = napping_map(max_concurrency);
    definition["States"]["Each"]["ItemProcessor"]["ProcessorConfig"] =
        json!({ "Mode": "DISTRIBUTED", "ExecutionType": "STANDARD" });
    definition
}

#[test]
fn a_map_run_holds_what_runs_and_records_no_iteration() {
    let items: Vec<u32> = (0..2000).collect();
    let mut map = Driver::start(&napping_map_run(10), json!({ "items": items }));
    assert_eq!(map.run.frame_count(), 11, "the root and ten iterations");
    // Restoring at every decision keeps the Map Run and its counts.
    map.finish(true);
    assert_eq!(map.output(), json!({ "items": items, "out": items }));
    assert!(map.max_frames <= 11, "at most the root and ten iterations: {}", map.max_frames);
    let kinds: Vec<&str> = map.history.iter().map(|e| e.kind.type_name()).collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "MapStateEntered",
            "MapStateStarted",
            "MapRunStarted",
            "MapRunSucceeded",
            "MapStateSucceeded",
            "MapStateExited",
            "ExecutionSucceeded"
        ]
    );
    let last = map.run.map_run_updates.last().expect("the Map Run's final record");
    assert_eq!(last.status, crate::engine::map_runs::MapRunStatus::Succeeded);
    assert_eq!((last.item_counts.total, last.item_counts.succeeded), (2000, 2000));

    // A snapshot holds what runs: ten times the items, about the same largest snapshot.
    let few: Vec<u32> = (0..200).collect();
    let mut small = Driver::start(&napping_map_run(10), json!({ "items": few }));
    small.finish(false);
    assert!(
        map.max_snapshot < small.max_snapshot + 200,
        "{} vs {}",
        map.max_snapshot,
        small.max_snapshot
    );
}
