"""Testing Step Functions workflows with boto3 and pytest, against Stepwise.

Run:  STEPWISE_BIN=path/to/stepwise python3 -m pytest examples/python
(without STEPWISE_BIN, `stepwise` is looked up on the PATH).

The fixture starts one in-memory server for the test session on a port the
system picks, and points boto3 at it with `endpoint_url`: the code under test
needs no change beyond that.
"""

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"
ROLE = "arn:aws:iam::123456789012:role/example"


@pytest.fixture(scope="session")
def endpoint():
    binary = os.environ.get("STEPWISE_BIN") or shutil.which("stepwise")
    if not binary:
        pytest.fail("set STEPWISE_BIN or put `stepwise` on the PATH")
    # Port 0: the system picks a free port; the server prints the one it got.
    server = subprocess.Popen(
        [binary, "serve", "--store", "memory", "--bind", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline()  # "listening on http://127.0.0.1:PORT"
        assert line.startswith("listening on "), f"unexpected first line: {line!r}"
        yield line.split()[-1]
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def sfn(endpoint):
    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        # StartSyncExecution and TestState go to `sync-<host>`, which does not
        # resolve for 127.0.0.1; this turns that prefix off.
        config=Config(inject_host_prefix=False),
    )


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for_end(sfn, execution_arn, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"{execution_arn} still running after {timeout} s")


@pytest.fixture
def review_machine(sfn):
    """A machine whose Task is an activity this test answers as the worker."""
    activity = sfn.create_activity(name=unique("review"))["activityArn"]
    definition = (WORKFLOWS / "review.asl.json").read_text().replace("ACTIVITY_ARN", activity)
    machine = sfn.create_state_machine(name=unique("review"), definition=definition, roleArn=ROLE)
    return machine["stateMachineArn"], activity


def review_one(sfn, activity, approved):
    """Be the worker: take the next task and answer it."""
    task = sfn.get_activity_task(activityArn=activity, workerName="pytest")
    assert task["taskToken"], "no task arrived"
    order = json.loads(task["input"])
    sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"approved": approved}))
    return order


def test_an_approved_order_succeeds(sfn, review_machine):
    machine, activity = review_machine
    started = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"orderId": "o-1"}))

    assert review_one(sfn, activity, approved=True) == {"orderId": "o-1"}

    ended = wait_for_end(sfn, started["executionArn"])
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"]) == {"orderId": "o-1", "review": {"approved": True}}


def test_a_rejected_order_fails_with_the_states_error(sfn, review_machine):
    machine, activity = review_machine
    started = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"orderId": "o-2"}))
    review_one(sfn, activity, approved=False)

    ended = wait_for_end(sfn, started["executionArn"])
    assert ended["status"] == "FAILED"
    assert (ended["error"], ended["cause"]) == ("OrderRejected", "The reviewer said no")

    # The history is AWS's: the states entered, in order.
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    assert entered == ["Review", "Approved?", "Rejected"]


def test_an_express_workflow_answers_in_the_request(sfn):
    machine = sfn.create_state_machine(
        name=unique("total"),
        definition=(WORKFLOWS / "total.asl.json").read_text(),
        roleArn=ROLE,
        type="EXPRESS",
    )["stateMachineArn"]
    order = {"orderId": "o-3", "items": [{"price": 2.5, "quantity": 4}, {"price": 1, "quantity": 3}]}

    result = sfn.start_sync_execution(stateMachineArn=machine, input=json.dumps(order))

    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"orderId": "o-3", "total": 13}


def test_a_bad_definition_is_refused_with_aws_error(sfn):
    with pytest.raises(sfn.exceptions.InvalidDefinition) as refused:
        sfn.create_state_machine(
            name=unique("broken"),
            definition=json.dumps({"StartAt": "Missing", "States": {"A": {"Type": "Succeed"}}}),
            roleArn=ROLE,
        )
    assert "MISSING_TRANSITION_TARGET" in str(refused.value)
