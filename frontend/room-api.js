// The rooms API (README: /api/rooms/{id}/messages...) for the chat widget: session cookie
// plus CSRF token, JSON in and out, and errors as sentences for people.

import { ApiError, JsonApi, apiErrorMessage } from "./json-api.js";

export class RoomApiError extends ApiError {}

const FALLBACK_MESSAGES = {
  401: "Your session has ended. Sign in again to chat.",
  403: "You can't do that in this chat.",
  404: "This message or chat is no longer available to you.",
};

/** A sentence for a person from an API error ({error: {code, message, fields}}). */
export function roomErrorMessage(status, body) {
  const error = body?.error;
  if (status === 429) {
    const wait = Number.isInteger(error?.retry_after) ? error.retry_after : 1;
    return `You're sending messages faster than the chat allows. Wait ${wait} second${wait === 1 ? "" : "s"} and try again.`;
  }
  return apiErrorMessage(status, body, FALLBACK_MESSAGES);
}

export class RoomApi extends JsonApi {
  static errorClass = RoomApiError;
  static describe = roomErrorMessage;

  /**
   * @param {object} options
   * @param {string} options.messagesUrl  /api/rooms/<id>/messages
   * @param {string} [options.csrfToken]  used when the cookie cannot be read
   * @param {Function} [options.fetch]
   */
  constructor({ messagesUrl, csrfToken = null, fetch = null }) {
    super({ csrfToken, fetch });
    this.messagesUrl = messagesUrl.replace(/\/$/, "");
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
