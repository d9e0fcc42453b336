"""Rate limits for the endpoints that guessers and sign-up bots hit: the "auth" scope."""

from rest_framework.throttling import SimpleRateThrottle

from .lockout import client_ip


class AuthRateThrottle(SimpleRateThrottle):
    """REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"] requests per client, across auth endpoints.

    Counted per signed-in user, or per client address for anonymous requests
    (the usual case for register and login). The address comes from
    lockout.client_ip, which ignores a forged X-Forwarded-For.
    """

    scope = "auth"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{client_ip(request) or 'unknown'}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
