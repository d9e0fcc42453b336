// The reconnect backoff on its own (client.test.mjs drives the socket's whole life with fakes).
// Run: node --test frontend/tests/

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { backoffDelay } from "../connection.js";

describe("reconnect backoff", () => {
  test("doubles from 500 ms up to 15 s, with ±25% jitter", () => {
    const middle = () => 0.5;
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 50].map((attempt) => backoffDelay(attempt, middle)),
      [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000],
    );
    assert.equal(backoffDelay(0, () => 0), 375);
    assert.equal(backoffDelay(5, () => 0.999999), 18750);
  });
});
