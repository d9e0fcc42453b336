// The comments API (README: /api/documents/{ref}/comments, /api/comments/{id}...) for the
// editor and the document page: session cookie plus CSRF token, JSON in and out, and errors
// turned into sentences for people (the API's own message when it has one).

import { ApiError, JsonApi, apiErrorMessage } from "./json-api.js";

export class CommentsApiError extends ApiError {}

const FALLBACK_MESSAGES = {
  401: "Your session has ended. Sign in again to comment.",
  403: "You may not do that here.",
  404: "This comment or document is no longer available to you.",
  409: "The thread changed meanwhile; it has been updated. Try again if you still need to.",
  429: "Too many requests at once. Wait a moment and try again.",
};

/** A sentence for a person from an API error body ({error: {code, message, fields}}). */
export function errorMessage(status, body) {
  return apiErrorMessage(status, body, FALLBACK_MESSAGES);
}

export class CommentsApi extends JsonApi {
  static errorClass = CommentsApiError;
  static describe = errorMessage;

  /**
   * @param {object} options
   * @param {string} options.listUrl  /api/documents/<id>/comments
   * @param {string} options.commentUrl  /api/comments/ (the comment id is appended)
   * @param {string} [options.csrfToken]  used when the cookie cannot be read
   * @param {Function} [options.fetch]
   */
  constructor({ listUrl, commentUrl, csrfToken = null, fetch = null }) {
    super({ csrfToken, fetch });
    this.listUrl = listUrl;
    this.commentUrl = commentUrl.endsWith("/") ? commentUrl : `${commentUrl}/`;
  }

  /** Every thread of the document, oldest first (all pages). */
  async threads() {
    const url = new URL(this.listUrl, globalThis.location?.href ?? "http://localhost/");
    url.searchParams.set("page_size", "100");
    let next = url.toString();
    const threads = [];
    for (let pages = 0; next && pages < 50; pages++) {
      const body = await this.request("GET", next);
      threads.push(...(Array.isArray(body) ? body : (body?.results ?? [])));
      next = Array.isArray(body) ? null : body?.next;
    }
    return threads;
  }

  thread(id) {
    return this.request("GET", `${this.commentUrl}${id}`);
  }

  /** A general comment ({content}) or one on a passage ({content, start, end, revision}). */
  create(fields) {
    return this.request("POST", this.listUrl, fields);
  }

  reply(id, content) {
    return this.request("POST", `${this.commentUrl}${id}/replies`, { content });
  }

  edit(id, content) {
    return this.request("PATCH", `${this.commentUrl}${id}`, { content });
  }

  remove(id) {
    return this.request("DELETE", `${this.commentUrl}${id}`);
  }

  resolve(id) {
    return this.request("POST", `${this.commentUrl}${id}/resolve`);
  }

  reopen(id) {
    return this.request("POST", `${this.commentUrl}${id}/reopen`);
  }
}
