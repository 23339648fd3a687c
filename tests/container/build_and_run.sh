#!/usr/bin/env bash
# Build the action's image from the repository's Dockerfile with podman, then run it the way the
# GitHub Actions runner runs a Docker container action, on a failed-job log, and check the outputs.
#
#   bash tests/container/build_and_run.sh
#
# Prints "skipped: <reason>" and exits 0 where it cannot run (not Linux, not root and podman
# missing, no apt-get). Needs root: it installs podman runc buildah debootstrap with apt-get when
# they are missing, and makes the base image with debootstrap.
#
# Why the settings below (the defaults fail on these machines):
#   * runc, cgroupfs, explicit ulimits: crun fails with "setrlimit RLIMIT_NOFILE: Operation not
#     permitted", then "cgroups in hybrid mode not supported".
#   * vfs storage: no overlay here. vfs stores every layer as a full copy of the file system, so
#     the build runs with --layers=false (one image per stage, no layer cache: with the cache a
#     rebuild was slower here, 46-96 s against 16-25 s, and the store grew to 2.9 GB) and dangling
#     images (earlier builds of the tag) are removed afterwards. Store: about 370 MB.
#   * Registry images cannot be pulled here, so `python:3.12-slim-bookworm` is a Debian bookworm
#     made with debootstrap and tagged with that name (it has Debian's python3.11 in /usr/bin,
#     the real image python3.12 in /usr/local/bin; the Dockerfile only calls `python3`). It is
#     kept and reused by later runs. The build uses --pull=never.
#   * pip reaches PyPI through a TLS-intercepting proxy: the host's CA bundle is bind-mounted
#     into the build's RUN steps and named by --build-arg PIP_CERT; it is in no image layer.
#
# Environment:
#   HEALING_GUARD_IMAGE             tag to build (default localhost/healing-guard:test)
#   HEALING_GUARD_SKIP_CONTAINER=1  skip
#   DEBIAN_MIRROR                   debootstrap mirror (default http://deb.debian.org/debian)
#   PIP_CA_BUNDLE                   CA bundle for pip in the build (default the host's bundle)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
IMAGE=${HEALING_GUARD_IMAGE:-localhost/healing-guard:test}
BASE_IMAGE=docker.io/library/python:3.12-slim-bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CA_BUNDLE=${PIP_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

log() { printf '[container] %s\n' "$*"; }
skip() { printf 'skipped: %s\n' "$*"; exit 0; }
fail() { printf '[container] FAIL: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

[ "${HEALING_GUARD_SKIP_CONTAINER:-}" = 1 ] && skip "HEALING_GUARD_SKIP_CONTAINER=1"
[ "$(uname -s)" = Linux ] || skip "container actions need Linux (this is $(uname -s))"

# --- tools -------------------------------------------------------------------------------------
missing=()
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "$(id -u)" != 0 ]; then
    # rootless podman would need another storage/network set-up, and debootstrap needs root.
    skip "needs root (podman as root, debootstrap, apt-get); running as uid $(id -u)"
fi
if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || skip "${missing[*]} not installed and no apt-get"
    log "installing podman runc buildah debootstrap (missing: ${missing[*]})"
    t0=$(now)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq podman runc buildah debootstrap; } >/tmp/healing-guard-apt.log 2>&1; then
        tail -n 20 /tmp/healing-guard-apt.log
        skip "apt-get install podman runc buildah debootstrap failed (log above)"
    fi
    log "installed in $(secs "$t0" "$(now)") s"
fi
for tool in podman runc; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool still not available after apt-get install"
done
[ -f Dockerfile ] || fail "no Dockerfile in $ROOT"
for f in pyproject.toml README.md LICENSE entrypoint.py; do
    [ -f "$f" ] || fail "$f is missing: the Dockerfile COPYs it (README.md: pyproject's readme, read by the wheel build)"
done

# --- podman configuration (temporary files; images stay in podman's default root store) -------
TMP=$(mktemp -d /tmp/healing-guard-container.XXXXXX)
NAME=healing-guard-test-$$
cleanup() {
    podman rm --force --ignore "$NAME" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT

cat >"$TMP/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
cat >"$TMP/storage.conf" <<'EOF'
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
export CONTAINERS_CONF=$TMP/containers.conf CONTAINERS_STORAGE_CONF=$TMP/storage.conf

GRAPHROOT=$(podman info --format '{{.Store.GraphRoot}}' 2>/dev/null) \
    || fail "podman info failed; is another storage driver already in use? ($(podman info 2>&1 | tail -n 1))"
log "podman $(podman version --format '{{.Client.Version}}'), storage vfs in $GRAPHROOT"

# --- the local stand-in for python:3.12-slim-bookworm -----------------------------------------
if podman image exists "$BASE_IMAGE"; then
    log "base image $BASE_IMAGE present: reused"
else
    command -v debootstrap >/dev/null 2>&1 || skip "debootstrap not available to make the base image"
    log "making base image $BASE_IMAGE with debootstrap (bookworm minbase + python3)"
    t0=$(now)
    if ! debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
            bookworm "$TMP/rootfs" "$MIRROR" >"$TMP/debootstrap.log" 2>&1; then
        tail -n 20 "$TMP/debootstrap.log"
        fail "debootstrap failed (log above)"
    fi
    # Trim what a slim image does not carry either: downloaded .debs, apt lists, docs.
    rm -rf "$TMP"/rootfs/var/cache/apt/archives/*.deb "$TMP"/rootfs/var/lib/apt/lists/* \
           "$TMP"/rootfs/usr/share/doc/* "$TMP"/rootfs/usr/share/man/* "$TMP"/rootfs/usr/share/info/*
    tar -C "$TMP/rootfs" -c . | podman import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        --quiet - "$BASE_IMAGE" >/dev/null
    rm -rf "$TMP/rootfs"
    log "base image made in $(secs "$t0" "$(now)") s"
fi

# --- build ------------------------------------------------------------------------------------
build_args=(--pull=never --layers=false --tag "$IMAGE" --file Dockerfile)
if [ -f "$CA_BUNDLE" ]; then
    build_args+=(--volume "$CA_BUNDLE:/run/pip-ca.crt:ro" --build-arg PIP_CERT=/run/pip-ca.crt)
fi
log "building $IMAGE"
t0=$(now)
if ! podman build "${build_args[@]}" . >"$TMP/build.log" 2>&1; then
    tail -n 40 "$TMP/build.log"
    fail "podman build failed (log above)"
fi
build_time=$(secs "$t0" "$(now)")
# Earlier builds of the same tag are left untagged: full copies under vfs. Remove those (only
# images with this project's label: other dangling images on the machine are not ours).
podman image prune --force --filter "label=org.opencontainers.image.title=Self-Healing Pipeline Guard" >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
base_size=$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")
log "built in $build_time s; image size $size bytes ($((size / 1000000)) MB, of which base $((base_size / 1000000)) MB, added $(((size - base_size) / 1000000)) MB)"

# The CA bundle given to pip must not be in the image (it was never COPYed; check anyway).
if podman run --rm --network none --entrypoint /bin/sh "$IMAGE" -c 'test -e /run/pip-ca.crt' 2>/dev/null; then
    fail "/run/pip-ca.crt is in the image"
fi

# What the runtime image holds: the package (with its catalogue, templates and the fake GitHub
# server that `healing-guard demo` needs) and its dependencies, at the version the label names;
# no tests, no sources, no build tools, no pip.
label_version=$(podman image inspect --format '{{index .Labels "org.opencontainers.image.version"}}' "$IMAGE")
if ! contents=$(podman run --rm -i --network none --entrypoint python3 "$IMAGE" - "$label_version" 2>&1 <<'EOF'
import importlib.util, os, sys
import healing_guard
from importlib import resources
root = resources.files("healing_guard")
problems = []
if healing_guard.__version__ != sys.argv[1]:
    problems.append(f"package {healing_guard.__version__}, label {sys.argv[1]}")
for part in ("_catalogue", "templates", "schemas", "simulator", "data/vocab.json"):
    if not (root.joinpath(part).is_file() or root.joinpath(part).is_dir()):
        problems.append(f"healing_guard/{part} missing")
for module in ("pip", "setuptools", "hatchling", "pytest", "piptools"):
    if importlib.util.find_spec(module) is not None:
        problems.append(f"{module} is installed")
for path in ("/src", "/opt/build", "/tmp/dist", "/app/tests"):
    if os.path.exists(path):
        problems.append(f"{path} exists")
tests = [f for d, _, fs in os.walk(str(root)) for f in fs if f.startswith("test_") or f == "conftest.py"]
if tests:
    problems.append(f"test files in the package: {tests[:3]}")
print("; ".join(problems) if problems else f"version {healing_guard.__version__}; package, catalogue, templates, simulator; no tests, pip or build tools")
sys.exit(1 if problems else 0)
EOF
); then
    fail "image contents: $contents"
fi
log "image contents: $contents"

# --- run it as the runner does ----------------------------------------------------------------
WS=$TMP/ws
HOME_DIR=$TMP/home
mkdir -p "$WS/logs" "$HOME_DIR"
# A failed job's log as the runner stores it: a timestamp on every line, groups, the annotation.
cat >"$WS/logs/test-job.log" <<'EOF'
2025-05-20T10:14:02.1034561Z Requested labels: ubuntu-latest
2025-05-20T10:14:02.1034899Z Job defined at: example/app/.github/workflows/ci.yml@refs/heads/main
2025-05-20T10:14:02.1035012Z Waiting for a runner to pick up this job...
2025-05-20T10:14:04.8812733Z Current runner version: '2.324.0'
2025-05-20T10:14:04.8843114Z ##[group]Operating System
2025-05-20T10:14:04.8843661Z Ubuntu
2025-05-20T10:14:04.8844010Z 24.04.2
2025-05-20T10:14:04.8844302Z LTS
2025-05-20T10:14:04.8844617Z ##[endgroup]
2025-05-20T10:14:05.3411908Z ##[group]Run actions/checkout@v4
2025-05-20T10:14:05.3412553Z with:
2025-05-20T10:14:05.3412871Z   repository: example/app
2025-05-20T10:14:05.3413330Z ##[endgroup]
2025-05-20T10:14:06.0720151Z Syncing repository: example/app
2025-05-20T10:14:06.9903372Z ##[group]Run actions/setup-python@v5
2025-05-20T10:14:06.9903914Z with:
2025-05-20T10:14:06.9904212Z   python-version: 3.12
2025-05-20T10:14:06.9904611Z ##[endgroup]
2025-05-20T10:14:07.4410093Z Successfully set up CPython (3.12.10)
2025-05-20T10:14:07.5220784Z ##[group]Run pip install -e .
2025-05-20T10:14:07.5221332Z pip install -e .
2025-05-20T10:14:07.5260771Z shell: /usr/bin/bash -e {0}
2025-05-20T10:14:07.5261302Z ##[endgroup]
2025-05-20T10:14:11.9012846Z Successfully installed app-0.1.0 pytest-8.3.5
2025-05-20T10:14:12.0113417Z ##[group]Run pytest -q
2025-05-20T10:14:12.0113950Z pytest -q
2025-05-20T10:14:12.0154118Z shell: /usr/bin/bash -e {0}
2025-05-20T10:14:12.0154660Z ##[endgroup]
2025-05-20T10:14:13.2205431Z ============================= test session starts ==============================
2025-05-20T10:14:13.2206012Z platform linux -- Python 3.12.10, pytest-8.3.5, pluggy-1.5.0
2025-05-20T10:14:13.2206519Z rootdir: /home/runner/work/app/app
2025-05-20T10:14:13.2206998Z collected 12 items
2025-05-20T10:14:13.2207371Z
2025-05-20T10:14:13.2207724Z tests/test_api.py ........                                               [ 66%]
2025-05-20T10:14:13.2208104Z tests/test_client.py F...                                              [100%]
2025-05-20T10:14:13.2208472Z
2025-05-20T10:14:13.2208839Z =================================== FAILURES ===================================
2025-05-20T10:14:13.2209201Z __________________________________ test_fetch __________________________________
2025-05-20T10:14:13.2209548Z
2025-05-20T10:14:13.2209911Z     def test_fetch():
2025-05-20T10:14:13.2210304Z >       from app.client import fetch
2025-05-20T10:14:13.2210688Z
2025-05-20T10:14:13.2211049Z tests/test_client.py:5:
2025-05-20T10:14:13.2211422Z _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _
2025-05-20T10:14:13.2211803Z
2025-05-20T10:14:13.2212197Z >   import requests
2025-05-20T10:14:13.2212566Z E   ModuleNotFoundError: No module named 'requests'
2025-05-20T10:14:13.2212943Z
2025-05-20T10:14:13.2213320Z app/client.py:1: ModuleNotFoundError
2025-05-20T10:14:13.2213702Z =========================== short test summary info ============================
2025-05-20T10:14:13.2214081Z FAILED tests/test_client.py::test_fetch - ModuleNotFoundError: No module named 'requests'
2025-05-20T10:14:13.2214460Z ========================= 1 failed, 11 passed in 0.34s =========================
2025-05-20T10:14:13.2498116Z ##[error]Process completed with exit code 1.
2025-05-20T10:14:13.2611723Z Post job cleanup.
2025-05-20T10:14:13.4101255Z Cleaning up orphan processes
EOF

# Like the runner: every input declared in action.yml arrives as INPUT_<NAME> (upper case, hyphens
# kept) holding its default (expressions such as ${{ github.token }} are left empty here).
env_args=()
if [ -f action.yml ] && python3 -c 'import yaml' 2>/dev/null; then
    while IFS= read -r -d '' kv; do
        env_args+=(-e "$kv")
    done < <(python3 - <<'EOF'
import sys, yaml
with open("action.yml", encoding="utf-8") as fh:
    inputs = (yaml.safe_load(fh) or {}).get("inputs") or {}
for name, spec in inputs.items():
    default = str((spec or {}).get("default", "") or "")
    if "${{" in default:
        default = ""
    sys.stdout.write(f"INPUT_{name.replace(' ', '_').upper()}={default}\0")
EOF
    )
fi
env_args+=(
    -e INPUT_LOG-PATH=logs/test-job.log
    -e GITHUB_ACTIONS=true -e CI=true
    -e GITHUB_WORKSPACE=/github/workspace -e HOME=/github/home
    -e GITHUB_OUTPUT=/github/workspace/out.txt
    -e GITHUB_STEP_SUMMARY=/github/workspace/summary.md
)
: >"$WS/out.txt"
: >"$WS/summary.md"

log "running $IMAGE on logs/test-job.log (--network none: diagnosing a file needs no network)"
t0=$(now)
set +e
podman run --name "$NAME" --rm --network none \
    --workdir /github/workspace \
    -v "$WS:/github/workspace" -v "$HOME_DIR:/github/home" \
    "${env_args[@]}" "$IMAGE" >"$TMP/run.log" 2>&1
rc=$?
set -e
run_time=$(secs "$t0" "$(now)")
# If this script itself runs in GitHub Actions, the container's workflow commands (and the log's
# ##[...] lines) must not act on this job: pause command processing around them.
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::stop-commands::$token"; fi
sed 's/^/    | /' "$TMP/run.log"
if [ "${GITHUB_ACTIONS:-}" = true ]; then echo "::$token::"; fi
log "container exited $rc after $run_time s"
[ "$rc" = 0 ] || fail "the action exited $rc (expected 0)"

# GITHUB_OUTPUT holds `name=value` lines and `name<<DELIM` ... `DELIM` blocks.
category=$(python3 - "$WS/out.txt" <<'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out, i = {}, 0
while i < len(lines):
    line = lines[i]
    eq, heredoc = line.find("="), line.find("<<")
    if heredoc != -1 and (eq == -1 or heredoc < eq):
        name, delim = line[:heredoc], line[heredoc + 2:]
        end = lines.index(delim, i + 1)
        out[name] = "\n".join(lines[i + 1:end])
        i = end
    elif eq != -1:
        out[line[:eq]] = line[eq + 1:]
    i += 1
print(out.get("category", ""))
EOF
)
log "outputs:"
sed 's/^/    > /' "$WS/out.txt" | head -n 40
[ "$category" = dependency_missing ] || fail "output category is '$category', expected dependency_missing"
[ -s "$WS/summary.md" ] || fail "the job summary (GITHUB_STEP_SUMMARY) is empty"
log "summary.md: $(wc -c <"$WS/summary.md") bytes"

log "disk used by podman's vfs storage: $(du -sh "$GRAPHROOT" 2>/dev/null | cut -f1)"
log "figures: build ${build_time} s, image ${size} bytes, run ${run_time} s"
log "OK: image builds, runs as the runner runs it, category=dependency_missing, summary written"
