"""Real Prometheus processes on loopback, for tests and the demo.

`versions()` lists the real builds present on this machine (2.42 from apt, 2.53 and 3.x
unpacked by tools/fetch-prometheus under .cache); `PrometheusProcess` runs one with
its own storage dir and log file and reads its HTTP API.
"""
import collections
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from .util import free_port, wait_until

REPO = pathlib.Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "prometheus"

Binaries = collections.namedtuple("Binaries", "prometheus promtool version")
# Where each build lives, oldest first. The label is "major.minor" of what --version reports.
_CANDIDATES = [
    (pathlib.Path("/usr/bin"), "apt (Debian 12): apt-get install prometheus"),
    (CACHE / "trixie" / "bin", "make system (tools/fetch-prometheus trixie %s)" % (CACHE / "trixie")),
    (CACHE / "sid" / "bin", "make system (tools/fetch-prometheus sid %s)" % (CACHE / "sid")),
]
EXPECTED = {"2.42": _CANDIDATES[0], "2.53": _CANDIDATES[1], "3.5": _CANDIDATES[2]}


def _version(binary):
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"version (\d+)\.(\d+)\.(\d+)", out.stdout + out.stderr)
    return match and tuple(int(x) for x in match.groups())


_VERSIONS = None


def versions():
    """OrderedDict "major.minor" -> Binaries(prometheus, promtool, version tuple), oldest first.

    Only builds whose prometheus and promtool both run are listed; the label comes from the
    binary's own `--version`.
    """
    global _VERSIONS
    if _VERSIONS is None:
        found = {}
        for directory, _how in _CANDIDATES:
            prom, tool = directory / "prometheus", directory / "promtool"
            if not (prom.exists() and tool.exists()):
                continue
            version = _version(prom)
            if version and _version(tool) == version:
                found["%d.%d" % version[:2]] = Binaries(str(prom), str(tool), version)
        _VERSIONS = collections.OrderedDict(sorted(found.items(), key=lambda item: item[1].version))
    return _VERSIONS


def missing_reason(label):
    """Why version `label` is absent and how to get it (for pytest.skip)."""
    how = EXPECTED.get(label, (None, "tools/fetch-prometheus"))[1]
    return "Prometheus %s not present on this machine; install it with %s" % (label, how)


class PrometheusError(Exception):
    pass


class PrometheusProcess(object):
    """One real Prometheus on 127.0.0.1 (or inside a network namespace via `netns`).

    `netns` is an argv prefix such as ["ip", "netns", "exec", "NAME"]; the HTTP API is then read
    through the same prefix only if the caller makes it reachable, so tests that use it usually
    also read the API from inside (see `url`).
    """

    def __init__(self, config_file, binaries, port=None, lifecycle=True, netns=None, extra_args=(),
                 host="127.0.0.1"):
        self.config_file = str(config_file)
        self.binaries = binaries
        self.host = host
        self.port = port or free_port(host)
        self.lifecycle = lifecycle
        self.netns = list(netns or [])
        self.extra_args = list(extra_args)
        self.workdir = tempfile.mkdtemp(prefix="prometheus-sandbox-")
        self.storage = os.path.join(self.workdir, "data")
        self.log_path = os.path.join(self.workdir, "prometheus.log")
        self.proc = None
        self._log = None

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def version(self):
        return self.binaries.version

    def argv(self):
        argv = self.netns + [
            self.binaries.prometheus,
            "--config.file=%s" % self.config_file,
            "--storage.tsdb.path=%s" % self.storage,
            "--web.listen-address=%s:%d" % (self.host, self.port),
        ]
        if self.lifecycle:
            argv.append("--web.enable-lifecycle")
        return argv + self.extra_args

    def start(self, timeout=20):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                raise PrometheusError("prometheus exited with %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                return self._request("/-/ready", timeout=1)[0] == 200
            except (urllib.error.URLError, OSError):
                return False

        try:
            wait_until(ready, timeout, "Prometheus %s ready on %s" % (self.binaries.version, self.url))
        except TimeoutError:
            if self.proc.poll() is not None:
                raise PrometheusError("prometheus exited with %s:\n%s" % (self.proc.returncode, self.log()))
            self.stop()
            raise
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.storage, ignore_errors=True)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    # -- HTTP ----------------------------------------------------------------------------------

    def _request(self, path, method="GET", timeout=10):
        request = urllib.request.Request(self.url + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def _api(self, path):
        status, body = self._request(path)
        if status != 200:
            raise PrometheusError("GET %s -> %d: %s" % (path, status, body))
        return json.loads(body)["data"]

    def reload_http(self):
        """POST /-/reload: (status, body). 200 ok, 500 with the error, 403 without lifecycle."""
        return self._request("/-/reload", method="POST", timeout=30)

    def sighup(self):
        os.kill(self.proc.pid, signal.SIGHUP)

    def runtimeinfo(self):
        return self._api("/api/v1/status/runtimeinfo")

    def config(self):
        """The YAML in force (/api/v1/status/config)."""
        return self._api("/api/v1/status/config")["yaml"]

    def targets(self):
        """activeTargets of /api/v1/targets."""
        return self._api("/api/v1/targets?state=active")["activeTargets"]

    def job_targets(self, job):
        """Targets of one job, or of any of several (a tuple of names)."""
        jobs = job if isinstance(job, tuple) else (job,)
        return [t for t in self.targets() if t.get("scrapePool") in jobs or t["labels"].get("job") in jobs]

    def metrics(self):
        return self._request("/metrics")[1]

    def metric(self, name, labels=None):
        """Sum of the samples of `name` (optionally only those whose labels include `labels`)."""
        total, found = 0.0, False
        for line in self.metrics().splitlines():
            if line.startswith("#"):
                continue
            match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
            if not match or match.group(1) != name:
                continue
            if labels:
                have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
                if any(have.get(k) != v for k, v in labels.items()):
                    continue
            total += float(match.group(3))
            found = True
        return total if found else None

    def wait_targets_up(self, job, count, timeout=30):
        """Wait until `count` targets of `job` (a name or a tuple of names) are up; the
        TimeoutError names each lastError."""
        state = {}

        def up():
            targets = self.job_targets(job)
            state["targets"] = targets
            return len([t for t in targets if t["health"] == "up"]) >= count and targets

        try:
            return wait_until(up, timeout, "%d targets of job %r up" % (count, job), interval=0.2)
        except TimeoutError as exc:
            table = "; ".join("%s %s %s" % (t["scrapeUrl"], t["health"], t.get("lastError"))
                              for t in state.get("targets") or [])
            raise TimeoutError("%s: %s" % (exc, table or "no targets"))

    def wait_reloaded_since(self, timestamp, timeout=15):
        """Wait for a reload newer than `timestamp` (seconds); returns reloadConfigSuccess."""
        def done():
            value = self.metric("prometheus_config_last_reload_success_timestamp_seconds")
            info = self.runtimeinfo()
            if value and value > timestamp:
                return {"success": info["reloadConfigSuccess"]}
            if not info["reloadConfigSuccess"]:
                return {"success": False}
            return None
        return wait_until(done, timeout, "a config reload")["success"]


def now():
    return time.time()
