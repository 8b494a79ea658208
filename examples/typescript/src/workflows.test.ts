// Testing Step Functions workflows with the AWS SDK for JavaScript v3 and
// node:test, against Stepwise.
//
// Run:  npm install && STEPWISE_BIN=path/to/stepwise npm test
// (without STEPWISE_BIN, `stepwise` is looked up on the PATH).
//
// One in-memory server is started for the file on a port the system picks;
// the SDK client only needs its `endpoint`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { randomUUID } from "node:crypto";
import {
  SFNClient,
  CreateActivityCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetActivityTaskCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  type DescribeExecutionCommandOutput,
} from "@aws-sdk/client-sfn";

const workflows = new URL("../../workflows/", import.meta.url);
const role = "arn:aws:iam::123456789012:role/example";

let server: ChildProcess;
let sfn: SFNClient;

before(async () => {
  server = spawn(process.env.STEPWISE_BIN ?? "stepwise", [
    "serve", "--store", "memory", "--bind", "127.0.0.1:0",
  ], { stdio: ["ignore", "pipe", "inherit"] });
  // The first line is "listening on http://127.0.0.1:PORT".
  const lines = createInterface({ input: server.stdout! });
  const [first] = (await once(lines, "line")) as [string];
  assert.match(first, /^listening on http:\/\//);
  sfn = new SFNClient({
    endpoint: first.split(" ").at(-1),
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    // StartSyncExecution and TestState go to `sync-<host>`, which does not
    // resolve for 127.0.0.1; this turns that prefix off.
    disableHostPrefix: true,
  });
});

after(() => {
  sfn?.destroy();
  server?.kill("SIGTERM");
});

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function waitForEnd(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== "RUNNING") return described;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${executionArn} still running after 10 s`);
}

test("an approved order succeeds, with this test as the activity worker", async () => {
  const { activityArn } = await sfn.send(new CreateActivityCommand({ name: unique("review") }));
  const definition = readFileSync(new URL("review.asl.json", workflows), "utf8")
    .replace("ACTIVITY_ARN", activityArn!);
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({ name: unique("review"), definition, roleArn: role }),
  );

  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ orderId: "o-1" }) }),
  );
  const task = await sfn.send(new GetActivityTaskCommand({ activityArn, workerName: "node-test" }));
  assert.deepEqual(JSON.parse(task.input!), { orderId: "o-1" });
  await sfn.send(
    new SendTaskSuccessCommand({ taskToken: task.taskToken, output: JSON.stringify({ approved: true }) }),
  );

  const ended = await waitForEnd(executionArn!);
  assert.equal(ended.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(ended.output!), { orderId: "o-1", review: { approved: true } });
});

test("an Express workflow answers in the request", async () => {
  const { stateMachineArn } = await sfn.send(
    new CreateStateMachineCommand({
      name: unique("total"),
      definition: readFileSync(new URL("total.asl.json", workflows), "utf8"),
      roleArn: role,
      type: "EXPRESS",
    }),
  );
  const order = { orderId: "o-3", items: [{ price: 2.5, quantity: 4 }, { price: 1, quantity: 3 }] };

  const result = await sfn.send(
    new StartSyncExecutionCommand({ stateMachineArn, input: JSON.stringify(order) }),
  );

  assert.equal(result.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(result.output!), { orderId: "o-3", total: 13 });
});

test("a bad definition is refused with AWS's error", async () => {
  await assert.rejects(
    sfn.send(
      new CreateStateMachineCommand({
        name: unique("broken"),
        definition: JSON.stringify({ StartAt: "Missing", States: { A: { Type: "Succeed" } } }),
        roleArn: role,
      }),
    ),
    (error: Error) => error.name === "InvalidDefinition" && /MISSING_TRANSITION_TARGET/.test(error.message),
  );
});
