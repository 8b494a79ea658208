//! What a durable execution writes at each decision, and how recovery reads it back:
//! the snapshot (frames, queues, seeds; not the input or definition, which the
//! execution's row holds) and its *parts*, the finished results and not-yet-started
//! children of forks, written once each.
use super::*;

/// What recovery needs of a running execution (everything but what is derived:
/// the machine comes from the definition, the Context object from the record).
#[derive(Serialize)]
pub(super) struct SnapshotRef<'a> {
    pub(super) record: &'a ExecutionRecord,
    pub(super) state_machine_name: &'a str,
    pub(super) next_event_id: u64,
    pub(super) live_frames: &'a BTreeMap<FrameId, Frame>,
    pub(super) next_frame: FrameId,
    pub(super) next_group: u64,
    pub(super) ready: &'a VecDeque<FrameId>,
    pub(super) seed: u64,
    pub(super) timeout_at: Option<i64>,
    pub(super) test_case: &'a Option<String>,
    pub(super) invocations: &'a std::collections::HashMap<String, u32>,
    /// What the engine keeps beside the execution (its task records).
    pub(super) extra: Value,
}

#[derive(Deserialize)]
struct Snapshot {
    record: ExecutionRecord,
    state_machine_name: String,
    #[serde(default)]
    #[allow(dead_code)]
    input: Value,
    next_event_id: u64,
    /// Older snapshots: every frame ever made, its index its id.
    #[serde(default)]
    frames: Vec<Frame>,
    #[serde(default)]
    live_frames: BTreeMap<FrameId, Frame>,
    #[serde(default)]
    next_frame: FrameId,
    #[serde(default)]
    next_group: u64,
    ready: VecDeque<FrameId>,
    seed: u64,
    timeout_at: Option<i64>,
    #[serde(default)]
    test_case: Option<String>,
    #[serde(default)]
    invocations: std::collections::HashMap<String, u32>,
    extra: Value,
}

impl Running {
    /// The snapshot recovery restores from (see [`Running::restore`]).
    pub(crate) fn snapshot(&self, extra: Value) -> Vec<u8> {
        // The input is in the execution row already, and may be large (a Map's items):
        // a restore takes it from there, as it does the definition.
        let record = ExecutionRecord { input: Arc::from(""), ..self.record.clone() };
        let snapshot = SnapshotRef {
            record: &record,
            state_machine_name: &self.state_machine_name,
            next_event_id: self.next_event_id,
            live_frames: &self.frames.live,
            next_frame: self.frames.next,
            next_group: self.next_group,
            ready: &self.ready,
            seed: self.seed,
            timeout_at: self.timeout_at,
            test_case: &self.test_case,
            invocations: &self.invocations,
            extra,
        };
        serde_json::to_vec(&snapshot).expect("snapshots serialize")
    }

    /// Rebuilds a running execution from its snapshot and the snapshot's parts (as
    /// [`Store::snapshot_parts`](crate::store::Store::snapshot_parts) returns them);
    /// returns it with the waits the engine must re-arm (tasks, timers, long polls) and
    /// what the engine keeps beside it.
    /// `machine_for` gives the parsed machine of the recorded definition.
    /// `row` is the execution's row: snapshots leave out its definition and its input
    /// (older ones had them).
    pub(crate) fn restore(
        bytes: &[u8],
        parts: Vec<(u64, u64, Vec<u8>)>,
        row: &ExecutionRecord,
        machine_for: impl FnOnce(&Arc<str>) -> Result<Arc<Machine>, String>,
    ) -> Result<(Running, Vec<Pending>, Value), String> {
        let mut s: Snapshot =
            serde_json::from_slice(bytes).map_err(|e| format!("unreadable snapshot: {e}"))?;
        if s.record.definition.is_empty() {
            s.record.definition = row.definition.clone();
        }
        if s.record.input.is_empty() {
            s.record.input = row.input.clone();
        }
        let machine = machine_for(&s.record.definition)?;
        let frames = if s.frames.is_empty() {
            Frames { live: s.live_frames, next: s.next_frame }
        } else {
            // An older snapshot: every frame ever made. Those that ended stay behind.
            let next = s.frames.len();
            let live = s
                .frames
                .into_iter()
                .enumerate()
                .filter(|(id, f)| *id == 0 || !matches!(f.phase, Phase::Done))
                .collect();
            Frames { live, next }
        };
        let mut run = Running {
            record: s.record,
            machine,
            state_machine_name: s.state_machine_name,
            next_event_id: s.next_event_id,
            frames,
            ready: s.ready,
            next_group: s.next_group,
            unsaved: Vec::new(),
            context: Value::Null,
            pending: Vec::new(),
            effects: Vec::new(),
            stale_frames: Vec::new(),
            record_dirty: false,
            seed: s.seed,
            timeout_at: s.timeout_at,
            test_case: s.test_case,
            invocations: s.invocations,
            sync_express: false,
            fallen: BTreeMap::new(),
            fallen_forks: BTreeMap::new(),
            task_clocks: Default::default(),
            redrive_point: None,
            map_run_updates: Vec::new(),
        };
        run.restore_forks(parts)?;
        let mut waits = Vec::new();
        for (&frame, f) in &run.frames.live {
            match &f.phase {
                Phase::Task { task, timeout_at } => waits.push(Pending::Task {
                    frame,
                    generation: f.generation,
                    task: *task,
                    timeout_at: *timeout_at,
                }),
                Phase::Sleeping { at_ms, .. } => {
                    waits.push(Pending::Timer { frame, generation: f.generation, at_ms: *at_ms })
                }
                Phase::Service { generation, token, timeout_at, .. } => {
                    waits.push(Pending::Service {
                        frame,
                        generation: *generation,
                        token: *token,
                        timeout_at: *timeout_at,
                    })
                }
                _ => {}
            }
        }
        Ok((run, waits, s.extra))
    }

    /// Gives each fork of a restored snapshot the results and queued children its parts
    /// hold. A fork of an older snapshot, which carried them inline, gets a group, and
    /// its parts are written at the next [`Running::take_parts`].
    fn restore_forks(&mut self, parts: Vec<(u64, u64, Vec<u8>)>) -> Result<(), String> {
        let mut by_group: BTreeMap<u64, Vec<(u64, Vec<u8>)>> = BTreeMap::new();
        for (group, index, bytes) in parts {
            by_group.entry(group).or_default().push((index, bytes));
        }
        let live: Vec<FrameId> = self.frames.live.keys().copied().collect();
        for &frame in &live {
            let Phase::Fork(fork) = &mut self.frames[frame].phase else { continue };
            let Some(group) = fork.group else {
                fork.len = fork.results.len();
                fork.next = fork.queued.front().map_or(fork.len, |(slot, ..)| *slot);
                let group = self.next_group;
                self.next_group += 1;
                fork.group = Some(group);
                // Its finished children stayed in the list, and are gone.
                fork.children.retain(|child| live.binary_search(child).is_ok());
                let f = &mut self.frames[frame];
                let Phase::Fork(fork) = &mut f.phase else { continue };
                fork.input = std::mem::take(&mut f.input);
                let finished = fork.results.iter().enumerate().filter(|(_, r)| r.is_some());
                let mut unsaved: Vec<Unsaved> =
                    finished.map(|(slot, _)| Unsaved::Result { frame, group, slot }).collect();
                if !fork.queued.is_empty() {
                    unsaved.push(Unsaved::Queued { frame, group });
                }
                unsaved.push(Unsaved::Input { frame, group });
                self.unsaved.extend(unsaved);
                continue;
            };
            fork.results = vec![None; fork.len];
            for (index, bytes) in by_group.remove(&group).unwrap_or_default() {
                let index = index as usize;
                let unreadable =
                    |e: serde_json::Error| format!("unreadable part {group}/{index}: {e}");
                if index < fork.len {
                    fork.results[index] = Some(serde_json::from_slice(&bytes).map_err(unreadable)?);
                } else if index == fork.len {
                    let queued: VecDeque<(usize, StateId, Value)> =
                        serde_json::from_slice(&bytes).map_err(unreadable)?;
                    let next = fork.next;
                    fork.queued = queued.into_iter().filter(|(slot, ..)| *slot >= next).collect();
                } else if index == fork.len + 1 {
                    fork.input = serde_json::from_slice(&bytes).map_err(unreadable)?;
                }
            }
        }
        Ok(())
    }

    /// The changes to the snapshot's parts since the last call, for the batch that carries
    /// this decision's events (and so the snapshot that relies on them). With `durable`
    /// false they are only forgotten.
    pub(crate) fn take_parts(&mut self, durable: bool) -> Vec<Part> {
        let unsaved = std::mem::take(&mut self.unsaved);
        if !durable {
            return Vec::new();
        }
        let fork_of = |frame: FrameId, group: u64| match self.frames.get(frame).map(|f| &f.phase) {
            Some(Phase::Fork(fork)) if fork.group == Some(group) => Some(fork),
            // The fork ended since: a `Drop` follows.
            _ => None,
        };
        unsaved
            .into_iter()
            .filter_map(|change| match change {
                Unsaved::Queued { frame, group } => {
                    let fork = fork_of(frame, group)?;
                    let bytes = serde_json::to_vec(&fork.queued).expect("values serialize");
                    Some(Part::Put { group, index: fork.len as u64, bytes })
                }
                Unsaved::Input { frame, group } => {
                    let fork = fork_of(frame, group)?;
                    let bytes = serde_json::to_vec(&fork.input).expect("values serialize");
                    Some(Part::Put { group, index: fork.len as u64 + 1, bytes })
                }
                Unsaved::Result { frame, group, slot } => {
                    let result = fork_of(frame, group)?.results.get(slot)?.as_ref()?;
                    let bytes = serde_json::to_vec(result).expect("values serialize");
                    Some(Part::Put { group, index: slot as u64, bytes })
                }
                Unsaved::Drop { group } => Some(Part::DeleteGroup { group }),
            })
            .collect()
    }
}
