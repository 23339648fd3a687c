# Self-Healing Pipeline Guard: the Docker container action's image.
#
# Two stages: `builder` installs the project and its dependencies into a venv at /opt/venv;
# the final stage is the same base with only that venv and /app/entrypoint.py in it.
#
# Pin the base by digest for reproducible builds:
#   docker build --build-arg PYTHON_IMAGE=python:3.12-slim-bookworm@sha256:<digest> .
# (the venv's interpreter links to the base's python3, so both stages must use the same base).
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder

# Test-only TLS trust for pip, for machines whose traffic to PyPI goes through an intercepting
# proxy. Unset in normal builds (the runner's `docker build` passes no build args). To use it,
# bind-mount the CA bundle into the build's RUN steps and name it here, e.g. with podman:
#   podman build -v /etc/ssl/certs/ca-certificates.crt:/run/pip-ca.crt:ro \
#                --build-arg PIP_CERT=/run/pip-ca.crt .
# The bundle is never COPYed, so it is in no layer of either stage; only the path shows up in
# the builder stage's history, which is not part of the published image. (With BuildKit, use
# `--secret id=ca,src=...` plus a `RUN --mount=type=secret` in a local override instead.)
ARG PIP_CERT

WORKDIR /src

# Everything pip installs comes from the two hashed locks (written by tools/lock.py from
# pyproject.toml; .ci/run fails when they are stale), and nothing else from the network:
#   1. the runtime dependencies into /opt/venv, --require-hashes (a missing pin or hash fails);
#   2. the build backend (hatchling) into a throw-away venv, --require-hashes, and the project's
#      wheel built with it and --no-build-isolation (pip's isolated build would fetch an unpinned
#      hatchling); the wheel goes into /opt/venv without dependencies (step 1 installed them).
# pyproject force-includes strategies/ into the wheel as healing_guard/_catalogue. pip and
# setuptools are not needed at run time and leave the venv last.
COPY requirements.lock requirements-build.lock ./
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes -r requirements.lock

COPY pyproject.toml README.md LICENSE ./
COPY strategies/ ./strategies/
COPY healing_guard/ ./healing_guard/
RUN python3 -m venv /opt/build \
 && /opt/build/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes -r requirements-build.lock \
 && /opt/build/bin/pip wheel --no-cache-dir --disable-pip-version-check --no-deps --no-build-isolation \
      --wheel-dir /tmp/dist . \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps /tmp/dist/*.whl \
 && /opt/venv/bin/pip check \
 && /opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools

FROM ${PYTHON_IMAGE}

# Label values. VERSION's default is the package's version (healing_guard/__init__.py):
# tests/test_release_version.py fails when they differ, and the release workflow checks that the
# tag it builds names this version. REVISION is the commit, set by the release build.
ARG PYTHON_IMAGE
ARG VERSION=1.0.0
ARG REVISION=""
ARG SOURCE_URL=https://github.com/self-healing-pipeline-guard/self-healing-pipeline-guard
LABEL org.opencontainers.image.title="Self-Healing Pipeline Guard" \
      org.opencontainers.image.description="Diagnose failed CI jobs and heal them through the GitHub API." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

COPY --from=builder /opt/venv /opt/venv
COPY entrypoint.py /app/entrypoint.py

# No USER and no WORKDIR: the runner runs the container as root (files in the mounted workspace
# must stay writable) with --workdir /github/workspace. `python3` is the venv's, through PATH.
ENTRYPOINT ["python3", "/app/entrypoint.py"]
