"""Container HEALTHCHECK: GET /healthz from the local daphne, the way the proxy would.

Django answers 400 to a Host it does not know, so the request names the first entry of
ALLOWED_HOSTS; it says X-Forwarded-Proto: https so that a site behind a TLS proxy
(USE_X_FORWARDED_PROTO=true, SECURE_SSL_REDIRECT=true) does not redirect it. Redirects
are not followed: only a 200 counts as healthy. Standard library only.
"""

import http.client
import os
import sys


def probe_host() -> str:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    for host in hosts:
        if host != "*":
            return host.lstrip(".")  # ".example.org" allows example.org and its subdomains
    return "localhost"


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=4)
    try:
        connection.request(
            "GET",
            "/healthz",
            headers={"Host": probe_host(), "X-Forwarded-Proto": "https"},
        )
        response = connection.getresponse()
        response.read()
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if response.status != 200:
        print(f"unhealthy: /healthz answered {response.status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
