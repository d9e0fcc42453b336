"use strict";
/**
 * Load generator for ShareDB (server.js), mirroring bench/collab_load.py so that the two
 * servers are driven and measured the same way (issue 15). It starts nothing by itself.
 *
 *   fanout    N clients on one document, each sending R edits/s for T seconds
 *   saturate  N clients on one document, each sending its next edit as soon as the
 *             previous one is acknowledged
 *   multi     M documents with K clients each, R edits/s per client
 *
 *   node load.js --url ws://127.0.0.1:8201/ [--url ws://127.0.0.1:8202/] \
 *       [--pids 123,456] [--match REGEX] fanout --clients 50 --rate 5 --duration 20
 *
 * Every client is a ShareDB client Connection (sharedb/lib/client) over its own websocket,
 * subscribed to its document, so ShareDB's own client does the OT: one operation in flight,
 * later edits composed into the pending one, remote operations transformed against both,
 * exactly like bench/client.py does for our protocol. Clients are spread round-robin over
 * the --url values. Edits are the same random small inserts and deletes as client.py's
 * random_edit, paced the same way, from a seeded generator.
 *
 * Latencies, as collab_load.py measures them:
 *   ack       the operation message leaving the client -> its acknowledgement arriving
 *   fan-out   the operation message leaving the client -> that operation arriving at each
 *             other client (matched by ShareDB's own src + seq of the operation)
 * and, ShareDB's API view, submit -> callback: submitOp() -> its callback (this includes
 * the time an edit waits, composed, behind the operation in flight).
 *
 * At the end every replica must equal every other and a fresh fetch from every --url.
 * With --pids or --match it also prints the CPU seconds those processes used during the
 * run and the CPU per committed operation (see proccpu.js); GET /stats on each server
 * gives ShareDB's commit retries. Exits non-zero if replicas did not converge or on errors.
 */
const http = require("node:http");
const { performance } = require("node:perf_hooks");
const { parseArgs } = require("node:util");

const textUnicode = require("ot-text-unicode");
const ShareDB = require("sharedb/lib/client");
const WebSocket = require("ws");

const proccpu = require("./proccpu");

// The same characters as bench/client.py: astral code points and a newline included, so
// that positions are counted in code points on both servers.
const ALPHABET = Array.from("abcdefghij klmnop\nqrstuvwxyz😀𝔸é中");
const COLLECTION = "bench";
const CONNECT_WAVE = 20; // clients joining at once, so the join burst is not what is measured
const JOIN_TIMEOUT_MS = 10_000;
const DRAIN_MS = 30_000;
const SETTLE_MS = 10_000;
const SCENARIOS = ["fanout", "saturate", "multi"];
// Documents start as one newline, not empty as collab_load.py's do: sharedb-postgres reads
// a snapshot of "" back as no data at all (`row.data || undefined`), and the next operation
// on it fails. One character changes nothing about the edits.
const INITIAL_TEXT = "\n";

class UsageError extends Error {}
class JoinError extends Error {}

/** mulberry32: a small seeded generator, so that a run can be repeated (--seed). */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randint(rng, low, high) {
  return low + Math.floor(rng() * (high - low + 1));
}

/** The same edit as bench/client.py random_edit, as a text-unicode operation. */
function randomEdit(text, rng) {
  const n = Array.from(text).length;
  if (n > 20 && rng() < 0.35) {
    const pos = Math.floor(rng() * n);
    const length = randint(rng, 1, Math.min(5, n - pos));
    return pos ? [pos, { d: length }] : [{ d: length }];
  }
  const pos = randint(rng, 0, n);
  let piece = "";
  for (let i = randint(rng, 1, 4); i > 0; i--) {
    piece += ALPHABET[Math.floor(rng() * ALPHABET.length)];
  }
  return pos ? [pos, piece] : [piece];
}

function percentile(values, p) {
  if (!values.length) return Number.NaN;
  const ordered = [...values].sort((a, b) => a - b);
  const k = Math.min(ordered.length - 1, Math.max(0, Math.round((p / 100) * (ordered.length - 1))));
  return ordered[k];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Whether the promise settled within ms (the timer is cleared either way). */
function settlesWithin(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new JoinError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A ShareDB Connection that has finished its handshake (a refused socket is an error). */
async function openConnection(url) {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const connection = new ShareDB.Connection(socket);
  const opened = new Promise((resolve, reject) => {
    socket.on("error", (error) => reject(new JoinError(`${url}: ${error.message}`)));
    connection.on("connected", resolve);
  });
  await withTimeout(opened, JOIN_TIMEOUT_MS, `${url}: no ShareDB handshake`);
  return connection;
}

function call(method) {
  return new Promise((resolve, reject) => {
    method((error) => (error ? reject(error) : resolve()));
  });
}

class Stats {
  constructor() {
    this.sent = 0; // operation messages sent (composed edits count once)
    this.acked = 0;
    this.submitted = 0; // submitOp() calls
    this.callbacks = 0;
    this.errors = [];
    this.ackLatencies = [];
    this.submitLatencies = [];
    this.fanoutLatencies = [];
  }
}

/** One editor: a ShareDB Connection on its own socket, subscribed to one document. */
class BenchClient {
  constructor({ url, docId, stats, sentAt }) {
    this.url = url;
    this.docId = docId;
    this.stats = stats;
    this.sentAt = sentAt; // shared by all clients: "src:seq" -> when it left its client
    this.pending = 0; // submitOp() calls not yet called back
  }

  async connect() {
    this.connection = await openConnection(this.url);
    this.connection.on("send", (message) => this._onSend(message));
    this.connection.on("receive", (request) => this._onReceive(request.data));
    this.connection.on("error", (error) => this._error("connection", error));
    this.doc = this.connection.get(COLLECTION, this.docId);
    this.doc.on("error", (error) => this._error("doc", error));
    await withTimeout(
      call((done) => this.doc.subscribe(done)),
      JOIN_TIMEOUT_MS,
      `${this.url}: subscribe timed out`,
    );
  }

  _error(where, error) {
    this.stats.errors.push(`${where}: ${error.code || ""} ${error.message || error}`.trim());
  }

  _onSend(message) {
    if (message.a !== "op" || !("op" in message)) return;
    const key = `${message.src || this.connection.id}:${message.seq}`;
    if (!this.sentAt.has(key)) this.sentAt.set(key, performance.now()); // not a resend
    this.stats.sent += 1;
  }

  _onReceive(message) {
    if (!message || message.a !== "op" || message.d !== this.docId) return;
    const sent = this.sentAt.get(`${message.src}:${message.seq}`);
    if (message.error) {
      this._error("op", message.error);
    } else if ("op" in message) {
      if (sent !== undefined) this.stats.fanoutLatencies.push(performance.now() - sent);
    } else if (message.src === this.connection.id) {
      this.stats.acked += 1;
      if (sent !== undefined) this.stats.ackLatencies.push(performance.now() - sent);
    }
  }

  get idle() {
    return this.pending === 0 && !this.doc.hasWritePending();
  }

  /** Types one random edit; ShareDB sends it now or composes it behind the one in flight. */
  edit(rng) {
    const submitted = performance.now();
    this.pending += 1;
    this.stats.submitted += 1;
    return new Promise((resolve) => {
      this.doc.submitOp(randomEdit(this.doc.data, rng), (error) => {
        this.pending -= 1;
        if (error) {
          this._error("submit", error);
        } else {
          this.stats.callbacks += 1;
          this.stats.submitLatencies.push(performance.now() - submitted);
        }
        resolve();
      });
    });
  }

  close() {
    this.connection.close();
  }
}

function parseCommandLine(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: "string", multiple: true },
      seed: { type: "string", default: "1" },
      pids: { type: "string", multiple: true, default: [] },
      match: { type: "string", multiple: true, default: [] },
      clients: { type: "string", default: "10" },
      documents: { type: "string", default: "1" },
      rate: { type: "string", default: "5" },
      duration: { type: "string", default: "20" },
      help: { type: "boolean", default: false },
    },
  });
  const scenario = positionals[0];
  if (values.help || !SCENARIOS.includes(scenario) || !values.url) {
    throw new UsageError(
      "usage: node load.js --url ws://HOST:PORT/ [--url ...] [--seed 1] [--pids 1,2] " +
        "[--match REGEX] fanout|saturate|multi [--clients 10] [--documents 1] [--rate 5] " +
        "[--duration 20]",
    );
  }
  return {
    scenario,
    urls: values.url,
    seed: Number(values.seed),
    pids: values.pids
      .flatMap((list) => list.split(","))
      .filter(Boolean)
      .map(Number),
    patterns: values.match.map((pattern) => new RegExp(pattern)),
    clients: Number(values.clients),
    documents: scenario === "multi" ? Number(values.documents) : 1,
    rate: Number(values.rate),
    durationMs: Number(values.duration) * 1000,
  };
}

/** Counters of every server (GET /stats), or null where it does not answer. */
function serverStats(urls) {
  return Promise.all(
    urls.map(
      (url) =>
        new Promise((resolve) => {
          const statsUrl = new URL("/stats", url.replace(/^ws/, "http"));
          http
            .get(statsUrl, (response) => {
              let body = "";
              response.on("data", (chunk) => {
                body += chunk;
              });
              response.on("end", () => {
                try {
                  resolve(JSON.parse(body));
                } catch {
                  resolve(null);
                }
              });
            })
            .on("error", () => resolve(null));
        }),
    ),
  );
}

async function createDocuments(connection, count) {
  const runId = `${Date.now()}-${process.pid}`;
  const ids = Array.from({ length: count }, (_, i) => `load-${runId}-${i}`);
  const created = Promise.all(
    ids.map((id) =>
      call((done) =>
        connection.get(COLLECTION, id).create(INITIAL_TEXT, textUnicode.type.uri, done),
      ),
    ),
  );
  await withTimeout(created, JOIN_TIMEOUT_MS, "creating the documents timed out");
  return ids;
}

/** The documents as the servers have them now, one fresh fetch per server. */
async function fetchAll(checkers, docIds) {
  return Promise.all(
    checkers.map(async (connection) => {
      const docs = docIds.map((id) => connection.get(COLLECTION, id));
      const fetched = Promise.all(docs.map((doc) => call((done) => doc.fetch(done))));
      await withTimeout(fetched, JOIN_TIMEOUT_MS, "fetching the documents timed out");
      return new Map(docs.map((doc) => [doc.id, { version: doc.version, data: doc.data }]));
    }),
  );
}

async function runClients(options, docIds, checkers) {
  const stats = new Stats();
  const sentAt = new Map();
  const clients = [];
  for (const docId of docIds) {
    for (let c = 0; c < options.clients; c++) {
      const url = options.urls[clients.length % options.urls.length];
      clients.push(new BenchClient({ url, docId, stats, sentAt }));
    }
  }
  for (let i = 0; i < clients.length; i += CONNECT_WAVE) {
    await Promise.all(clients.slice(i, i + CONNECT_WAVE).map((client) => client.connect()));
  }
  await sleep(500);
  const startVersions = (await fetchAll(checkers.slice(0, 1), docIds))[0];
  const statsBefore = await serverStats(options.urls);
  const cpuBefore = proccpu.snapshot();
  const loadCpuBefore = process.cpuUsage();

  const rng = seededRandom(options.seed);
  const started = performance.now();
  const deadline = started + options.durationMs;

  async function paced(client, offsetMs) {
    const intervalMs = 1000 / options.rate;
    let nextAt = started + offsetMs;
    for (;;) {
      await sleep(nextAt - performance.now());
      if (performance.now() >= deadline) return;
      client.edit(rng); // not awaited: the next edit is typed whether or not this one is acked
      nextAt += intervalMs;
    }
  }

  async function closedLoop(client) {
    while (performance.now() < deadline) {
      // An edit that is never acknowledged must show up as an unfinished client in the
      // report, not hang the run.
      const waitMs = Math.max(1000, deadline - performance.now());
      if (!(await settlesWithin(client.edit(rng), waitMs))) return;
    }
  }

  if (options.scenario === "saturate") {
    await Promise.all(clients.map((client) => closedLoop(client)));
  } else {
    await Promise.all(
      clients.map((client, i) => paced(client, (i / clients.length / options.rate) * 1000)),
    );
  }
  const elapsedMs = performance.now() - started;
  // Let in-flight and composed edits drain, then let fan-out settle.
  const drainDeadline = performance.now() + DRAIN_MS;
  while (performance.now() < drainDeadline && !clients.every((client) => client.idle)) {
    await sleep(50);
  }
  const settleDeadline = performance.now() + SETTLE_MS;
  let finals = [];
  let converged = false;
  while (performance.now() < settleDeadline) {
    finals = await fetchAll(checkers, docIds);
    converged = clients.every((client) =>
      finals.every((final) => {
        const server = final.get(client.docId);
        return client.doc.version === server.version && client.doc.data === server.data;
      }),
    );
    if (converged) break;
    await sleep(250);
  }
  const cpuAfter = proccpu.snapshot();
  const loadCpu = process.cpuUsage(loadCpuBefore);
  const statsAfter = await serverStats(options.urls);
  let committed = 0;
  for (const docId of docIds) {
    committed += finals[0].get(docId).version - startVersions.get(docId).version;
  }
  for (const client of clients) client.close();
  return {
    stats,
    elapsedMs,
    committed,
    converged,
    clients: clients.length,
    pending: clients.filter((client) => !client.idle).length,
    cpu: proccpu.cpuBetween(cpuBefore, cpuAfter, {
      pids: options.pids,
      patterns: options.patterns,
    }),
    loadCpuSeconds: (loadCpu.user + loadCpu.system) / 1e6,
    servers: statsAfter.map((after, i) => ({ before: statsBefore[i], after })),
  };
}

function latencyLine(label, values) {
  const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(values, p).toFixed(1).padStart(7));
  return `${label.padEnd(20)}p50 ${p50}  p95 ${p95}  p99 ${p99}`;
}

function report(options, result) {
  const { stats } = result;
  const seconds = result.elapsedMs / 1000;
  const rate = result.committed / seconds;
  const lines = [
    `scenario            ${options.scenario}: ${result.clients} clients, ` +
      `${options.documents} document(s), ${options.urls.length} process(es)`,
    `duration            ${seconds.toFixed(1)} s`,
    `edits sent          ${stats.sent}  (acked ${stats.acked}; ` +
      `submitOp calls ${stats.submitted}, called back ${stats.callbacks})`,
  ];
  const offered =
    options.scenario === "saturate"
      ? ""
      : `; offered ${(result.clients * options.rate).toFixed(0)} ops/s`;
  lines.push(`committed ops       ${result.committed}  (${rate.toFixed(1)} ops/s${offered})`);
  lines.push(latencyLine("ack latency ms", stats.ackLatencies));
  lines.push(latencyLine("fan-out latency ms", stats.fanoutLatencies));
  lines.push(latencyLine("submit->callback ms", stats.submitLatencies));
  const first = stats.errors.length ? `  first: ${stats.errors[0]}` : "";
  lines.push(`errors              ${stats.errors.length}${first}`);
  lines.push(`unfinished clients  ${result.pending}`);
  lines.push(`converged           ${result.converged ? "yes" : "NO"}`);
  const counted = result.servers.filter((s) => s.before && s.after);
  if (counted.length) {
    const delta = (name) => counted.reduce((sum, s) => sum + s.after[name] - s.before[name], 0);
    const commits = delta("commits");
    const retries = delta("retries");
    const perCommit = commits ? (retries / commits).toFixed(2) : "n/a";
    const pids = counted.map((s) => s.after.pid).join(",");
    lines.push(
      `server commits      ${commits}, retries ${retries} (${perCommit} per commit), ` +
        `failed submits ${delta("failedSubmits")}; pids ${pids}`,
    );
  }
  if (options.pids.length || options.patterns.length) {
    const parts = [...result.cpu.groups].map(
      ([name, group]) => `${name} ${group.seconds.toFixed(2)} s/${group.processes}`,
    );
    lines.push(
      `server cpu          ${result.cpu.seconds.toFixed(2)} s over ${seconds.toFixed(1)} s+drain ` +
        `(${parts.join(", ") || "no process matched"})`,
    );
    const perOp = result.committed
      ? ((result.cpu.seconds * 1000) / result.committed).toFixed(3)
      : "n/a";
    lines.push(`cpu per op          ${perOp} ms (server processes above / committed ops)`);
  }
  lines.push(`load generator cpu  ${result.loadCpuSeconds.toFixed(2)} s`);
  console.log(lines.join("\n"));
}

async function main() {
  let options;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    const badArguments = String(error.code).startsWith("ERR_PARSE_ARGS");
    if (!(error instanceof UsageError) && !badArguments) throw error;
    console.error(error.message);
    return 2;
  }
  ShareDB.types.register(textUnicode.type);
  const checkers = await Promise.all(options.urls.map((url) => openConnection(url)));
  const docIds = await createDocuments(checkers[0], options.documents);
  const result = await runClients(options, docIds, checkers);
  for (const connection of checkers) connection.close();
  report(options, result);
  return result.converged && !result.stats.errors.length ? 0 : 1;
}

// Exit explicitly: a socket left open by a failed run must not keep the generator alive.
main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof JoinError ? error.message : error);
    process.exit(1);
  },
);
