"use strict";
/**
 * A ShareDB 7 server for side-by-side runs with our real-time server (issue 15).
 *
 * It is deliberately plain ShareDB, set up the way its documentation and examples do
 * (ws + @teamwork/websocket-json-stream, backend.listen(stream)), so that what we
 * compare against is ShareDB itself and not a tuned variant of it:
 *
 *   node server.js --db memory   --port 8201                      (not durable)
 *   node server.js --db postgres --port 8201                      (sharedb-postgres)
 *   node server.js --db postgres --pubsub redis --port 8201 &     (several processes
 *   node server.js --db postgres --pubsub redis --port 8202 &      sharing documents)
 *
 * Run `node db.js create` once before --db postgres. ShareDB commits optimistically:
 * a submit that loses the race for a version is transformed and retried, without a
 * limit by default (as here). GET /stats on the same port answers with this process's
 * pid and its counters (commits, retries, failed submits), which load.js reads before
 * and after a run to report retries per committed operation.
 */
const http = require("node:http");
const { parseArgs } = require("node:util");

const WebSocketJSONStream = require("@teamwork/websocket-json-stream");
const textUnicode = require("ot-text-unicode");
const ShareDB = require("sharedb");
const { version: SHAREDB_VERSION } = require("sharedb/package.json");
const PostgresDB = require("sharedb-postgres");
const RedisPubSub = require("sharedb-redis-pubsub");
const { WebSocketServer } = require("ws");

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sharedb_bench";
const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7";
// Pub/sub channels are global to a Redis server (not per database number), so ours carry
// a prefix that no other user of the same Redis can collide with.
const DEFAULT_PUBSUB_PREFIX = "sharedb-bench";

class UsageError extends Error {}

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: "string", default: "memory" },
      pubsub: { type: "string", default: "memory" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8201" },
      "database-url": { type: "string", default: process.env.DATABASE_URL || DEFAULT_DATABASE_URL },
      "pg-pool-size": { type: "string", default: "10" },
      "redis-url": { type: "string", default: process.env.REDIS_URL || DEFAULT_REDIS_URL },
      "pubsub-prefix": { type: "string", default: DEFAULT_PUBSUB_PREFIX },
      "max-submit-retries": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    throw new UsageError(
      "usage: node server.js [--db memory|postgres] [--pubsub memory|redis] [--port 8201]\n" +
        "         [--host 127.0.0.1] [--database-url URL] [--pg-pool-size 10]\n" +
        "         [--redis-url URL] [--pubsub-prefix P] [--max-submit-retries N]",
    );
  }
  if (!["memory", "postgres"].includes(values.db)) {
    throw new UsageError(`--db must be memory or postgres, not ${values.db}`);
  }
  if (!["memory", "redis"].includes(values.pubsub)) {
    throw new UsageError(`--pubsub must be memory or redis, not ${values.pubsub}`);
  }
  // Every in-memory database is private to its process: a shared bus would announce
  // versions that the other processes do not have.
  if (values.db === "memory" && values.pubsub === "redis") {
    throw new UsageError("--pubsub redis needs --db postgres (memory databases are per process)");
  }
  return values;
}

function createBackend(options) {
  const backendOptions = {};
  if (options["max-submit-retries"] !== undefined) {
    backendOptions.maxSubmitRetries = Number(options["max-submit-retries"]);
  }
  if (options.db === "postgres") {
    backendOptions.db = new PostgresDB({
      connectionString: options["database-url"],
      max: Number(options["pg-pool-size"]),
    });
  }
  if (options.pubsub === "redis") {
    backendOptions.pubsub = new RedisPubSub({
      url: options["redis-url"],
      prefix: options["pubsub-prefix"],
    });
  }
  return new ShareDB(backendOptions);
}

function countSubmits(backend, counters) {
  backend.on("timing", (name) => {
    if (name === "submit.retry") counters.retries += 1;
  });
  backend.on("submitRequestEnd", (error, request) => {
    // Creates are counted apart so that `commits` compares with our revisions.
    if (error) counters.failedSubmits += 1;
    else if (request.op.create) counters.creates += 1;
    else counters.commits += 1;
  });
}

function answerStats(options, counters, wss) {
  return (request, response) => {
    if (request.method !== "GET" || request.url !== "/stats") {
      response.writeHead(404, { "Content-Type": "text/plain" });
      response.end("ShareDB bench server: websocket on any path, GET /stats\n");
      return;
    }
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(
      JSON.stringify({
        pid: process.pid,
        db: options.db,
        pubsub: options.pubsub,
        sockets: wss.clients.size,
        ...counters,
      }),
    );
  };
}

function acceptSockets(backend, wss) {
  wss.on("connection", (ws, request) => {
    // A socket that closes while ShareDB still writes to it is the normal end of a
    // benchmark client, not a server fault: log other errors only.
    ws.on("error", (error) => console.warn("socket error:", error.message));
    const stream = new WebSocketJSONStream(ws);
    stream.on("error", (error) => {
      if (error.name !== "Error [ERR_CLOSED]") console.warn("stream error:", error.message);
    });
    backend.listen(stream, request);
  });
}

function main() {
  let options;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    const badArguments = String(error.code).startsWith("ERR_PARSE_ARGS");
    if (!(error instanceof UsageError) && !badArguments) throw error;
    console.error(error.message);
    process.exit(2);
  }
  ShareDB.types.register(textUnicode.type);
  const backend = createBackend(options);
  const counters = { commits: 0, creates: 0, retries: 0, failedSubmits: 0 };
  countSubmits(backend, counters);

  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  server.on("request", answerStats(options, counters, wss));
  acceptSockets(backend, wss);

  const shutdown = () => {
    console.log(
      `sharedb server ${process.pid} stopping: commits ${counters.commits}, ` +
        `retries ${counters.retries}, failed submits ${counters.failedSubmits}`,
    );
    for (const ws of wss.clients) ws.terminate();
    server.close();
    backend.close(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  server.listen(Number(options.port), options.host, () => {
    console.log(
      `sharedb ${SHAREDB_VERSION} pid ${process.pid} on ` +
        `ws://${options.host}:${options.port}/ (db ${options.db}, pubsub ${options.pubsub})`,
    );
  });
}

main();
