// The rooms API (README: /api/rooms/{id}/messages...) for the chat widget: session cookie
// plus CSRF token, JSON in and out, and errors as sentences for people.

export class RoomApiError extends Error {
  constructor(message, status, code, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const FALLBACK_MESSAGES = {
  401: "Your session has ended. Sign in again to chat.",
  403: "You can't do that in this chat.",
  404: "This message or chat is no longer available to you.",
};

function csrfFromCookie() {
  const match = /(?:^|;\s*)csrftoken=([^;]+)/.exec(globalThis.document?.cookie ?? "");
  return match ? decodeURIComponent(match[1]) : null;
}

/** A sentence for a person from an API error ({error: {code, message, fields}}). */
export function roomErrorMessage(status, body) {
  const error = body?.error;
  if (status === 429) {
    const wait = Number.isInteger(error?.retry_after) ? error.retry_after : 1;
    return `You're sending messages faster than the chat allows. Wait ${wait} second${wait === 1 ? "" : "s"} and try again.`;
  }
  const fields = error?.fields && typeof error.fields === "object" ? error.fields : {};
  const fieldMessages = Object.values(fields)
    .flat()
    .filter((m) => typeof m === "string" && m);
  if (fieldMessages.length) return fieldMessages.join(" ");
  if (typeof error?.message === "string" && error.message && status < 500) return error.message;
  return FALLBACK_MESSAGES[status] ?? "Something went wrong on our side. Try again in a moment.";
}

export class RoomApi {
  /**
   * @param {object} options
   * @param {string} options.messagesUrl  /api/rooms/<id>/messages
   * @param {string} [options.csrfToken]  used when the cookie cannot be read
   * @param {Function} [options.fetch]
   */
  constructor({ messagesUrl, csrfToken = null, fetch = null }) {
    this.messagesUrl = messagesUrl.replace(/\/$/, "");
    this.csrfToken = csrfToken;
    this.fetch = fetch ?? ((...args) => globalThis.fetch(...args));
  }

  async request(method, url, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["X-CSRFToken"] = csrfFromCookie() ?? this.csrfToken ?? "";
      if (body !== undefined) headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await this.fetch(url, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new RoomApiError(
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
      throw new RoomApiError(
        roomErrorMessage(response.status, data),
        response.status,
        data?.error?.code ?? null,
        data?.error?.retry_after ?? null,
      );
    }
    return data;
  }

  /** A page of messages: the newest, or those before `before` ({results, has_more, ...}). */
  page({ before = null, limit = 50 } = {}) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before !== null) query.set("before", String(before));
    return this.request("GET", `${this.messagesUrl}?${query}`);
  }

  post(message) {
    return this.request("POST", this.messagesUrl, { message, message_type: "text" });
  }

  edit(id, message) {
    return this.request("PATCH", `${this.messagesUrl}/${id}`, { message });
  }

  remove(id) {
    return this.request("DELETE", `${this.messagesUrl}/${id}`);
  }
}
