// jsonata-js 2.0.6 on Node, side by side with `cargo run --release -p stepwise-jsonata --example bench`:
// the same expression, the same 100-order input.
//
//   dir=$(mktemp -d) && (cd "$dir" && npm init -y >/dev/null && npm install jsonata@2.0.6)
//   NODE_PATH="$dir/node_modules" node crates/jsonata/bench/jsonata-js.mjs [seconds]
//
// (node_modules stays outside the repository.)
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const jsonata = require(require.resolve("jsonata", { paths: (process.env.NODE_PATH || "").split(path.delimiter) }));

const EXPR = '$states.input.orders[price > 10].{ "id": id, "total": price * qty }';
const seconds = Number(process.argv[2] || 3);
const orders = Array.from({ length: 100 }, (_, i) => ({ id: `order-${i}`, price: i % 20, qty: (i % 7) + 1 }));
const bindings = { states: { input: { orders } } };
const expr = jsonata(EXPR);

const first = await expr.evaluate({}, bindings);
const budget = seconds * 1000;
const start = performance.now();
let n = 0;
while (performance.now() - start < budget) {
  for (let i = 0; i < 100; i++) await expr.evaluate({}, bindings);
  n += 100;
}
const elapsed = (performance.now() - start) / 1000;
console.log(`jsonata-js ${require("jsonata/package.json").version ?? "2.0.6"}: ${(n / elapsed).toFixed(0)} evaluations/s (${n} in ${elapsed.toFixed(2)} s; ${first.length} of 100 orders selected)`);
