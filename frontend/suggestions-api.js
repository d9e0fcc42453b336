// The suggestions API (README: /api/documents/{ref}/suggestions, /api/suggestions/{id}/accept
// and /reject, /api/proposals/{id}/suggestions/accept-all and /reject-all) for the editor:
// session cookie plus CSRF token, JSON in and out, errors turned into sentences for people.

import { ApiError, JsonApi, apiErrorMessage } from "./json-api.js";

export class SuggestionsApiError extends ApiError {}

const FALLBACK_MESSAGES = {
  401: "Your session has ended. Sign in again to suggest changes.",
  403: "You may not do that here.",
  404: "This suggestion or document is no longer available to you.",
  409: "The text changed meanwhile. Look at it again and try once more.",
  429: "Too many requests at once. Wait a moment and try again.",
};

export function errorMessage(status, body) {
  return apiErrorMessage(status, body, FALLBACK_MESSAGES);
}

/** `template` ("/api/suggestions/{id}/accept") with the id in place. */
function withId(template, id) {
  return template.replace("{id}", encodeURIComponent(String(id)));
}

export class SuggestionsApi extends JsonApi {
  static errorClass = SuggestionsApiError;
  static describe = errorMessage;

  /**
   * @param {object} options  the editor page's suggestions data: listUrl, acceptUrl,
   *   rejectUrl, acceptAllUrl, rejectAllUrl (with "{id}"), csrfToken; and a fetch for tests
   */
  constructor(options) {
    const { listUrl, acceptUrl, rejectUrl, acceptAllUrl, rejectAllUrl } = options;
    super({ csrfToken: options.csrfToken ?? null, fetch: options.fetch ?? null });
    this.urls = { listUrl, acceptUrl, rejectUrl, acceptAllUrl, rejectAllUrl };
  }

  /** Every pending suggestion of the document, in text order (all pages). */
  async pending() {
    const url = new URL(this.urls.listUrl, globalThis.location?.href ?? "http://localhost/");
    url.searchParams.set("page_size", "100");
    let next = url.toString();
    const found = [];
    for (let pages = 0; next && pages < 50; pages++) {
      const body = await this.request("GET", next);
      found.push(...(body?.results ?? []));
      next = body?.next ?? null;
    }
    return found;
  }

  /** {start, end, text, revision[, replaces]}: code points in the server's text. */
  create(fields) {
    return this.request("POST", this.urls.listUrl, fields);
  }

  accept(id) {
    return this.request("POST", withId(this.urls.acceptUrl, id));
  }

  reject(id) {
    return this.request("POST", withId(this.urls.rejectUrl, id));
  }

  acceptAll(proposalId) {
    return this.request("POST", withId(this.urls.acceptAllUrl, proposalId));
  }

  rejectAll(proposalId) {
    return this.request("POST", withId(this.urls.rejectAllUrl, proposalId));
  }
}
