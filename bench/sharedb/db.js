"use strict";
/**
 * Creates or empties the PostgreSQL database that server.js --db postgres uses.
 *
 *   node db.js create   # CREATE DATABASE if missing, then the adapter's structure.sql
 *   node db.js reset    # empty ops and snapshots (a fresh start between runs)
 *
 * The tables come from sharedb-postgres's own structure.sql, so the schema is exactly the
 * one the adapter's queries expect. That file is not safe to run twice (it ends with an
 * ALTER TABLE ... ADD metadata), so it runs only when the tables are missing.
 * DATABASE_URL (or --database-url) names the database; only that database is touched.
 */
const fs = require("node:fs");
const path = require("node:path");
const { parseArgs } = require("node:util");

const pg = require("pg");

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sharedb_bench";
const STRUCTURE_SQL = path.join(path.dirname(require.resolve("sharedb-postgres")), "structure.sql");
const DUPLICATE_DATABASE = "42P04";

async function createDatabase(databaseUrl) {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = "/postgres";
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    console.log(`created database ${name}`);
  } catch (error) {
    if (error.code !== DUPLICATE_DATABASE) throw error;
    console.log(`database ${name} exists`);
  } finally {
    await client.end();
  }
}

async function withDatabase(databaseUrl, work) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createTables(client) {
  const { rows } = await client.query("SELECT to_regclass('public.snapshots') AS snapshots");
  if (rows[0].snapshots) {
    console.log("tables exist");
    return;
  }
  await client.query(fs.readFileSync(STRUCTURE_SQL, "utf8"));
  console.log(`tables created from ${STRUCTURE_SQL}`);
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "database-url": { type: "string", default: process.env.DATABASE_URL || DEFAULT_DATABASE_URL },
    },
  });
  const command = positionals[0];
  const databaseUrl = values["database-url"];
  if (command === "create") {
    await createDatabase(databaseUrl);
    await withDatabase(databaseUrl, createTables);
  } else if (command === "reset") {
    await withDatabase(databaseUrl, (client) => client.query("TRUNCATE ops, snapshots"));
    console.log("ops and snapshots emptied");
  } else {
    console.error("usage: node db.js create|reset [--database-url URL]");
    process.exitCode = 2;
  }
}

main().catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
