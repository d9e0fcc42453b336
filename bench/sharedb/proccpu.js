"use strict";
/**
 * CPU seconds used by a set of processes over a window, read from /proc (Linux only).
 *
 * The same rules as bench/cpu.py, so that our server and ShareDB are counted alike:
 * - a process is watched when its pid was given (its descendants too: PostgreSQL starts a
 *   backend per connection, and a pool opens connections during the run), or when its
 *   command line matches one of the patterns (a regular expression);
 * - this process, its ancestors and its descendants are never watched (their command
 *   lines hold the patterns themselves);
 * - a watched process counts utime + stime gained in the window (all of it when it started
 *   in the window); a watched process that ended in the window is counted through its
 *   watched parent's cutime + cstime, which the kernel adds when the parent reaps it.
 *   A process that ended and was reaped by an unwatched parent is missed.
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");

function clockTicksPerSecond() {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100; // the value on every Linux this runs on; getconf is only a check
  }
}

const TICKS = clockTicksPerSecond();

function readProcess(pid) {
  let stat;
  let cmdline;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return null; // ended between the listing and the read
  }
  // The name in parentheses may hold spaces and parentheses: fields start after the last ')'.
  const close = stat.lastIndexOf(")");
  const comm = stat.slice(stat.indexOf("(") + 1, close);
  const fields = stat.slice(close + 2).split(" ");
  // fields[0] is field 3 (state) of proc(5): ppid 4, utime 14, stime 15, cutime 16,
  // cstime 17, starttime 22.
  return {
    pid,
    ppid: Number(fields[1]),
    comm,
    cmdline: cmdline.split("\0").join(" ").trim() || `[${comm}]`,
    ticks: Number(fields[11]) + Number(fields[12]),
    childTicks: Number(fields[13]) + Number(fields[14]),
    // pid + start time names one process even if the pid is reused.
    key: `${pid}:${fields[19]}`,
  };
}

/** Every process now, keyed by pid:starttime. */
function snapshot() {
  const processes = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const process_ = readProcess(Number(name));
    if (process_) processes.set(process_.key, process_);
  }
  return processes;
}

function descendantsOf(processes, roots) {
  const children = new Map();
  for (const p of processes.values()) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p.pid);
  }
  const found = new Set(roots);
  const stack = [...roots];
  while (stack.length) {
    for (const child of children.get(stack.pop()) || []) {
      if (!found.has(child)) {
        found.add(child);
        stack.push(child);
      }
    }
  }
  return found;
}

function ancestorsOf(processes, pid) {
  const byPid = new Map([...processes.values()].map((p) => [p.pid, p]));
  const found = new Set();
  for (let p = byPid.get(pid); p && !found.has(p.pid); p = byPid.get(p.ppid)) found.add(p.pid);
  return found;
}

/** The keys of the watched processes in one snapshot. */
function watched(processes, { pids = [], patterns = [], selfPid = process.pid }) {
  const excluded = new Set([
    ...ancestorsOf(processes, selfPid),
    ...descendantsOf(processes, [selfPid]),
  ]);
  const given = descendantsOf(processes, pids);
  const keys = new Set();
  for (const p of processes.values()) {
    if (excluded.has(p.pid)) continue;
    if (given.has(p.pid) || patterns.some((re) => re.test(p.cmdline))) keys.add(p.key);
  }
  return keys;
}

/**
 * CPU seconds between two snapshots: {seconds, groups: Map(name -> {seconds, processes})}.
 * Groups are by process name (comm), e.g. node, postgres, redis-server, daphne.
 */
function cpuBetween(before, after, selection) {
  const watchedBefore = watched(before, selection);
  const watchedAfter = watched(after, selection);
  const groups = new Map();
  const add = (name, ticks, processKey) => {
    if (!groups.has(name)) groups.set(name, { ticks: 0, processes: new Set() });
    const group = groups.get(name);
    group.ticks += ticks;
    if (processKey) group.processes.add(processKey);
  };
  for (const key of watchedAfter) {
    const now = after.get(key);
    const then = before.get(key);
    // A process that started in the window used all its time (and its reaped children's)
    // in the window.
    add(now.comm, now.ticks - (then ? then.ticks : 0), key);
    add(now.comm, now.childTicks - (then ? then.childTicks : 0));
  }
  // A watched process that ended is in its parent's childTicks with its whole life: take
  // off what it had used before the window.
  const parentsWatched = new Set([...watchedAfter].map((key) => after.get(key).pid));
  for (const key of watchedBefore) {
    const then = before.get(key);
    if (!after.has(key) && parentsWatched.has(then.ppid)) add(then.comm, -then.ticks, key);
  }
  let ticks = 0;
  const result = new Map();
  for (const [name, group] of [...groups].sort((a, b) => b[1].ticks - a[1].ticks)) {
    ticks += group.ticks;
    result.set(name, { seconds: group.ticks / TICKS, processes: group.processes.size });
  }
  return { seconds: ticks / TICKS, groups: result };
}

module.exports = { snapshot, watched, cpuBetween, TICKS };
