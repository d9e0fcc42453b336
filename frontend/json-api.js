// The site's JSON API from pages: session cookie plus CSRF token, JSON in and out, and
// errors ({error: {code, message, fields, retry_after}}) turned into sentences for people.
// Each feature's client (comments, rooms, AMAs) gives its own fallback sentences.

export class ApiError extends Error {
  constructor(message, status, code, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function csrfFromCookie() {
  const match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(globalThis.document?.cookie ?? "");
  return match ? decodeURIComponent(match[1]) : null;
}

const SERVER_TROUBLE = "Something went wrong on our side. Try again in a moment.";

/** A sentence for a person: the fields' messages, else the API's message (not for server
 * errors), else `fallbacks[status]`. */
export function apiErrorMessage(status, body, fallbacks = {}) {
  const error = body?.error;
  const fields = error?.fields && typeof error.fields === "object" ? error.fields : {};
  const fieldMessages = Object.values(fields)
    .flat()
    .filter((m) => typeof m === "string" && m);
  if (fieldMessages.length) return fieldMessages.join(" ");
  if (typeof error?.message === "string" && error.message && status < 500) return error.message;
  return fallbacks[status] ?? SERVER_TROUBLE;
}

/**
 * One request; answers the parsed JSON (null for 204) or throws `errorClass` (an ApiError)
 * with `describe(status, body)` as its message.
 */
export async function jsonRequest({
  method,
  url,
  body,
  fetch = (...args) => globalThis.fetch(...args),
  csrfToken = null,
  describe = apiErrorMessage,
  errorClass = ApiError,
}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-CSRFToken"] = csrfFromCookie() ?? csrfToken ?? "";
    if (body !== undefined) headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new errorClass(
      "The server cannot be reached. Check your connection and try again.",
      0,
      "network",
    );
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new errorClass(
      describe(response.status, data),
      response.status,
      data?.error?.code ?? null,
      data?.error?.retry_after ?? null,
    );
  }
  return data;
}

/**
 * Base of the small API clients (comments, rooms, suggestions): one fetch and CSRF token,
 * and `request(method, url, body)` through jsonRequest with the client's own error class
 * and messages. Subclasses set `static errorClass` and `static describe`.
 */
export class JsonApi {
  static errorClass = ApiError;
  static describe = apiErrorMessage;

  constructor({ csrfToken = null, fetch = null } = {}) {
    this.csrfToken = csrfToken;
    this.fetch = fetch ?? ((...args) => globalThis.fetch(...args));
  }

  request(method, url, body) {
    return jsonRequest({
      method,
      url,
      body,
      fetch: this.fetch,
      csrfToken: this.csrfToken,
      describe: this.constructor.describe,
      errorClass: this.constructor.errorClass,
    });
  }
}
