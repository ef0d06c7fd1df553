#!/usr/bin/env node
// An example client of the aimarket bridge protocol, in plain Node.js (no packages).
//
//   aimarket conform --runner "exec:node examples/bridge-node/runner.js -- aimarket bridge --runner spec"
//
// It shows what a runner in another language does on the wire: read one JSON request per
// line from stdin, write one JSON response per line to stdout, log only to stderr. It
// decodes every call and every projected state from ITF (the vector files' encoding:
// #bigint, #map, #set, #tup, Option variants, records) into JavaScript values and encodes
// them back, so the suite checks this codec on every step. It has no marketplace of its
// own: the semantics are delegated to the command after "--", itself a bridge program
// (for example `aimarket bridge --runner spec`). A real implementation replaces
// `delegate()` with calls into its own code.
"use strict";

const { spawn } = require("node:child_process");
const readline = require("node:readline");

// ---------------------------------------------------------------------------- ITF codec

class ItfSet { constructor(items) { this.items = items; } }
class ItfTuple { constructor(items) { this.items = items; } }
class Variant { constructor(tag, value) { this.tag = tag; this.value = value; } }

function decode(raw) {
  if (Array.isArray(raw)) return raw.map(decode);
  if (raw === null || typeof raw !== "object") return raw;
  const keys = Object.keys(raw);
  if (keys.length === 1 && keys[0] === "#bigint") return BigInt(raw["#bigint"]);
  if (keys.length === 1 && keys[0] === "#set") return new ItfSet(raw["#set"].map(decode));
  if (keys.length === 1 && keys[0] === "#tup") return new ItfTuple(raw["#tup"].map(decode));
  if (keys.length === 1 && keys[0] === "#map") {
    return new Map(raw["#map"].map(([key, value]) => [decode(key), decode(value)]));
  }
  if (keys.length === 2 && "tag" in raw && "value" in raw) {
    return new Variant(raw.tag, decode(raw.value));
  }
  const record = {};
  for (const key of keys) record[key] = decode(raw[key]);
  return record;
}

function encode(value) {
  if (typeof value === "bigint") return { "#bigint": value.toString() };
  if (Array.isArray(value)) return value.map(encode);
  if (value instanceof ItfSet) return { "#set": value.items.map(encode) };
  if (value instanceof ItfTuple) return { "#tup": value.items.map(encode) };
  if (value instanceof Map) return { "#map": [...value].map(([k, v]) => [encode(k), encode(v)]) };
  if (value instanceof Variant) return { tag: value.tag, value: encode(value.value) };
  if (value === null || typeof value !== "object") return value;
  const record = {};
  for (const key of Object.keys(value)) record[key] = encode(value[key]);
  return record;
}

function roundTrip(raw) { return encode(decode(raw)); }

// ------------------------------------------------------------------- the delegate runner

const separator = process.argv.indexOf("--");
const delegateCommand = separator >= 0 ? process.argv.slice(separator + 1)
                                       : ["aimarket", "bridge", "--runner", "spec"];
const child = spawn(delegateCommand[0], delegateCommand.slice(1), {
  stdio: ["pipe", "pipe", "inherit"],
});
child.on("error", (error) => {
  process.stderr.write(`bridge-node: cannot start ${delegateCommand[0]}: ${error.message}\n`);
  process.exit(1);
});
const pending = [];
readline.createInterface({ input: child.stdout }).on("line", (line) => {
  const resolve = pending.shift();
  if (resolve) resolve(JSON.parse(line));
});
child.on("exit", (code) => {
  while (pending.length) pending.shift()({ ok: false, error: `delegate exited (code ${code})` });
});

let counter = 0;
function delegate(op, fields) {
  counter += 1;
  const message = { id: counter, op, ...fields };
  return new Promise((resolve) => {
    pending.push(resolve);
    child.stdin.write(JSON.stringify(message) + "\n");
  });
}

// ------------------------------------------------------------------------ the protocol

function callThrough(call) {
  // a call as the vectors write it: {"action", "picks"}; the picks decode to Option
  // variants of plain values, the meaning to a record
  const picks = decode(call.picks);
  const actor = picks.actor instanceof Variant ? picks.actor.value : undefined;
  if (typeof actor !== "string") throw new Error(`call ${call.action}: no actor`);
  return { action: call.action, picks: encode(picks) };
}

async function handle(request) {
  const reply = { id: request.id, ok: true };
  let answer;
  switch (request.op) {
    case "hello":
      answer = await delegate("hello", { protocol: request.protocol });
      if (!answer.ok) return { ...answer, id: request.id };
      return { ...reply, protocol: 1, name: `node-example(${answer.name})`,
               mutants: answer.mutants || [] };
    case "init":
      answer = await delegate("init", { genesis: request.genesis });
      break;
    case "step":
      answer = await delegate("step", { call: callThrough(request.call) });
      break;
    case "step_concurrently":
      answer = await delegate("step_concurrently", { calls: request.calls.map(callThrough) });
      break;
    case "project":
      answer = await delegate("project", {});
      if (answer.ok) answer.state = roundTrip(answer.state);
      break;
    case "inject":
      answer = await delegate("inject", { mutant: request.mutant });
      break;
    case "restore":
    case "close":
      answer = await delegate(request.op, {});
      break;
    default:
      return { id: request.id, ok: false, error: `unknown operation ${JSON.stringify(request.op)}` };
  }
  return { ...answer, id: request.id };
}

const queue = [];
let busy = false;
let inputDone = false;
async function drain() {
  if (busy) return;
  busy = true;
  while (queue.length) {
    const line = queue.shift();
    let request;
    let reply;
    try {
      request = JSON.parse(line);
      reply = await handle(request);
    } catch (error) {
      reply = { id: request ? request.id : null, ok: false, error: `${error.name}: ${error.message}`,
                traceback: error.stack };
    }
    process.stdout.write(JSON.stringify(reply) + "\n");
    if (request && request.op === "close") {
      child.stdin.end();
      return;
    }
  }
  busy = false;
  if (inputDone) child.stdin.end();  // the suite closed our stdin: let the delegate finish
}

readline.createInterface({ input: process.stdin })
  .on("line", (line) => { if (line.trim()) { queue.push(line); drain(); } })
  .on("close", () => { inputDone = true; if (!busy) child.stdin.end(); });
