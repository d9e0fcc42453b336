# syntax=docker/dockerfile:1
# One image for every process of the site: daphne (HTTP + WebSocket), the Celery
# worker, Celery beat and the one-shot `migrate`. See docs/deployment.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    PORT=8000

WORKDIR /app

# An unprivileged user runs every process; the code stays owned by root (read-only to it).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app

# The code sandbox (contributions/sandbox): bubblewrap, and libseccomp for the runner used
# where bubblewrap cannot create namespaces. The code runs with the image's own interpreter
# in isolated mode (-I -S): the standard library only, the site's packages out of its path.
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap libseccomp2 \
    && rm -rf /var/lib/apt/lists/*
ENV SANDBOX_PYTHON=/usr/local/bin/python3

# Dependencies first: this layer is reused until requirements.txt changes.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# Static files are collected into the image (WhiteNoise serves them). The dummy key exists
# only for this RUN: it is not in the image's environment, and DEBUG=false makes the
# settings pick the compressed, hashed (manifest) storage production uses.
RUN SECRET_KEY=build-time-only-collectstatic-key-not-used-at-run-time DEBUG=false \
        python manage.py collectstatic --no-input \
    && python -m compileall -q -x '(^|/)(\.venv|node_modules|staticfiles)/' .

# The documents' Git repositories (GIT_ROOT), writable by the app: mount a volume here.
RUN mkdir -p /app/var/git && chown app:app /app/var/git

USER app

EXPOSE 8000

# Liveness: /healthz answers 200 without touching the database (deploy/healthcheck.py).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]

# The flags are the Makefile's DAPHNE_FLAGS (tests/test_deploy.py keeps them in step),
# plus --proxy-headers: the client address comes from the proxy's X-Forwarded-For.
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", \
     "--websocket_timeout", "-1", "--websocket_connect_timeout", "10", \
     "--ping-interval", "20", "--ping-timeout", "30", \
     "--websocket-max-message-size", "2097152", "--websocket-max-frame-size", "2097152", \
     "--application-close-timeout", "10", \
     "--proxy-headers", \
     "config.asgi:application"]
