# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prometheus's own HTTP API and processes, as the collection reads them on the Prometheus host.

PRIVATE to the collection: it can change at any time. Standard library and
ansible.module_utils only (the Prometheus host has neither requests nor PyYAML).

Where each fact about Prometheus comes from:

* HTTP API (``/api/v1/status/flags``, ``/api/v1/status/buildinfo``, ``/api/v1/scrape_pools``,
  ``/api/v1/targets``): https://prometheus.io/docs/prometheus/latest/querying/api/ ; the answers of
  2.42, 2.53 and 3.5 were read on these machines (tests/integration/test_prometheus_reload.py).
* ``POST /-/reload``: https://prometheus.io/docs/prometheus/latest/management_api/ . It is
  synchronous; 200 when the configuration loaded, 500 with ``failed to reload config: ...`` when
  not, 403 ``Lifecycle API is not enabled.`` without ``--web.enable-lifecycle`` (web/web.go;
  measured on 2.42, 2.53 and 3.5, ../shared/testing.md).
* ``/metrics``: ``prometheus_config_last_reload_successful`` (0 or 1) and
  ``prometheus_config_last_reload_success_timestamp_seconds`` are set by every reload, HTTP or
  SIGHUP (cmd/prometheus/main.go); ``prometheus_target_scrape_pools_failed_total`` counts scrape
  pools that could not be created (scrape/manager.go). A job whose ``tls_config.ca_file`` is
  unreadable loses its pool while the reload still counts as successful (testing.md, "Trap").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit, urlunsplit

from ansible.module_utils.common.text.converters import to_native, to_text

# urllib.request (with http.client and ssl) is imported where a request is made, so a module that
# only declares these options (scrape_config, whose reload option is not always set) does not pay
# for it on every run.

RELOAD_SUCCESSFUL = "prometheus_config_last_reload_successful"
RELOAD_TIMESTAMP = "prometheus_config_last_reload_success_timestamp_seconds"
SCRAPE_POOLS_FAILED = "prometheus_target_scrape_pools_failed_total"
RELOAD_METRICS = (RELOAD_SUCCESSFUL, RELOAD_TIMESTAMP, SCRAPE_POOLS_FAILED)

DEFAULT_WEB_URL = "http://127.0.0.1:9090"

# Measured answers: sources in the module docstring.
LIFECYCLE_DISABLED = 403
RELOAD_FAILED = 500


class PrometheusError(Exception):
    """Base of every error reading or reloading Prometheus; str() is one line for fail_json."""


class PrometheusUnreachable(PrometheusError):
    """Nothing answered at `url` (connection refused, timeout, TLS failure...); `reason` says which."""

    def __init__(self, url, reason):
        self.url = url
        self.reason = reason
        super(PrometheusUnreachable, self).__init__("Prometheus does not answer at %s (%s)" % (url, reason))


class PrometheusHTTPError(PrometheusError):
    """An API call answered with an unexpected HTTP status (or a body that is not its JSON)."""

    def __init__(self, method, path, status, detail):
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        super(PrometheusHTTPError, self).__init__("%s %s returned HTTP %s: %s" % (method, path, status, detail))


class ReloadRejected(PrometheusError):
    """POST /-/reload did not answer 200; str() says why, with Prometheus's own words."""

    def __init__(self, status, body):
        self.status = status
        self.body = body
        if status == LIFECYCLE_DISABLED:
            message = ("Prometheus refused the reload: the lifecycle API is disabled (start Prometheus with "
                       "--web.enable-lifecycle, or use method signal or systemd): %s" % body)
        elif status == RELOAD_FAILED:
            message = "Prometheus rejected the new configuration: %s" % body
        else:
            message = "POST /-/reload returned HTTP %s: %s" % (status, body or "(no body)")
        super(ReloadRejected, self).__init__(message)


def _opener():
    """An open_url(url, method, timeout, validate_certs) on the standard library's urllib.request.

    Not ansible.module_utils.urls: its Request builds a new SSL context for every request, https
    or not, reading the system's CA store each time (about 0.03 s here, and an idempotent
    scrape_config run with reload makes seven requests), and importing it (with cryptography)
    costs about 0.05 s more. Prometheus's API needs none of its extras: the system's CA store, the
    environment's proxies (urllib's default, as with open_url) and basic auth from the URL's
    ``user:password@``, sent with the first request. One SSL context per validate_certs value,
    made on the first https request: the usual web_url is plain http on loopback.
    """
    import base64
    from urllib.request import HTTPSHandler, Request, build_opener

    openers = {}

    def opener(tls, validate):
        if (tls, validate) not in openers:
            handlers = []
            if tls:
                import ssl
                if validate:
                    context = ssl.create_default_context()
                else:
                    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                handlers.append(HTTPSHandler(context=context))
            openers[(tls, validate)] = build_opener(*handlers)
        return openers[(tls, validate)]

    def open_url(url, method, timeout, validate_certs):
        parts = urlsplit(url)
        headers = {}
        if parts.username is not None:
            credentials = "%s:%s" % (unquote(parts.username), unquote(parts.password or ""))
            headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")
            url = urlunsplit(parts._replace(netloc=_host_part(parts)))
        request = Request(url, method=method, headers=headers)
        return opener(parts.scheme.lower() == "https", validate_certs).open(request, timeout=timeout)
    return open_url


def _host_part(parts):
    """The netloc of urlsplit() `parts` without its ``user:password@``."""
    return parts.netloc.rpartition("@")[2]


def _masked(url):
    """`url` with the password of its ``user:password@`` (if any) shown as ``********``."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:  # not a URL (an unclosed [IPv6 literal): the request says so, unmasked is all there is
        return url
    return urlunsplit(parts._replace(netloc="%s:********@%s" % (parts.username, _host_part(parts))))


def hide_web_url_password(module, web_url):
    """Adds the password of `web_url`'s ``user:password@`` (if any) to `module`'s no_log values, so
    Ansible masks it everywhere it masks a no_log option: the result and the invocation that -vvv
    shows. Call it right after AnsibleModule() with each web address the module was given."""
    try:
        password = urlsplit(web_url or "").password
    except ValueError:
        return
    if password:
        module.no_log_values.update([password, unquote(password)])


def _reason(exc):
    """A short reason for a connection failure: 'Connection refused', 'timed out', ..."""
    reason = getattr(exc, "reason", exc)
    text = getattr(reason, "strerror", None) or to_native(reason)
    return text or type(exc).__name__


class PrometheusAPI(object):
    """Reads Prometheus at `url` (e.g. ``http://127.0.0.1:9090``; a trailing ``/`` is ignored;
    ``https://user:password@host:9090`` sends basic auth). The attribute `url`, which messages and
    results show, has the password masked.

    `timeout`: seconds per request. `open_url(url, method=, timeout=, validate_certs=)` is
    injectable for tests. Every method raises PrometheusUnreachable when nothing answers and
    PrometheusHTTPError on an unexpected status.
    """

    def __init__(self, url, timeout=10, validate_certs=True, open_url=None):
        self._url = url.rstrip("/")
        self.url = _masked(self._url)
        self.timeout = timeout
        self.validate_certs = validate_certs
        self._open_url = open_url or _opener()

    @classmethod
    def from_params(cls, params, **kwargs):
        """The API a module's prometheus_argument_spec() options point at (`kwargs`: timeout=...)."""
        return cls(params["web_url"], validate_certs=params["validate_certs"], **kwargs)

    def request(self, method, path, timeout=None):
        """(HTTP status, body text) of one request; any status, only a failed connection raises."""
        from http.client import HTTPException

        try:
            response = self._open_url(self._url + path, method=method, timeout=timeout or self.timeout,
                                      validate_certs=self.validate_certs)
            return response.getcode(), to_text(response.read(), errors="surrogate_or_replace")
        except HTTPError as exc:
            try:
                body = exc.read()
            except Exception:  # a HTTPError without a body (fp None) still carries its status
                body = b""
            return exc.code, to_text(body or b"", errors="surrogate_or_replace").strip()
        except (URLError, HTTPException, OSError, ValueError) as exc:
            raise PrometheusUnreachable(self.url, _reason(exc))

    def get_data(self, path, allow_404=False):
        """The ``data`` member of a JSON API answer; None for a 404 when `allow_404`."""
        status, body = self.request("GET", path)
        if status == 404 and allow_404:
            return None
        if status != 200:
            raise PrometheusHTTPError("GET", path, status, body.strip()[:200] or "(no body)")
        try:
            return json.loads(body)["data"]
        except (ValueError, KeyError, TypeError):
            raise PrometheusHTTPError("GET", path, status, "not the JSON of Prometheus's API")

    def flags(self):
        """Command-line flags, {name without dashes: value as a string}: ``{"web.enable-lifecycle": "true"}``."""
        return self.get_data("/api/v1/status/flags")

    def buildinfo(self):
        """{"version": "2.53.3+ds1", "revision": ..., ...}; None on a Prometheus without the endpoint."""
        return self.get_data("/api/v1/status/buildinfo", allow_404=True)

    def metrics(self, names=RELOAD_METRICS):
        """{name: float} of `names` in /metrics (names absent there are absent here)."""
        status, body = self.request("GET", "/metrics")
        if status != 200:
            raise PrometheusHTTPError("GET", "/metrics", status, body.strip()[:200] or "(no body)")
        return parse_metrics(body, names)

    def live_jobs(self):
        """(sorted job names Prometheus scrapes, source).

        Source ``scrape_pools`` (/api/v1/scrape_pools: every pool, also one without targets), or
        ``targets`` on a Prometheus that answers 404 there: then a job is seen only once it has a
        target (active or dropped) in /api/v1/targets.
        """
        pools = self.get_data("/api/v1/scrape_pools", allow_404=True)
        if pools is not None:
            return sorted(set(pools.get("scrapePools") or [])), "scrape_pools"
        data = self.get_data("/api/v1/targets?state=any")
        targets = (data.get("activeTargets") or []) + (data.get("droppedTargets") or [])
        return sorted(set(_job_of(t) for t in targets) - set([None])), "targets"

    def active_targets(self):
        """activeTargets of /api/v1/targets: [{"scrapePool", "scrapeUrl", "health", "lastError", "labels"}, ...]."""
        return self.get_data("/api/v1/targets?state=active").get("activeTargets") or []

    def reload(self, timeout):
        """POST /-/reload, waiting up to `timeout` seconds; raises ReloadRejected unless 200."""
        status, body = self.request("POST", "/-/reload", timeout=timeout)
        if status != 200:
            raise ReloadRejected(status, body.strip())


def prometheus_argument_spec(**options):
    """The options of every module that reads Prometheus's HTTP API, plus `options` (documented
    by the doc fragment aiven_tools.prometheus.prometheus)."""
    spec = dict(web_url=dict(type="str", default=DEFAULT_WEB_URL), validate_certs=dict(type="bool", default=True))
    spec.update(options)
    return spec


def reload_argument_spec(**options):
    """The options of the reload engine (_reload.py) that say how to reach, reload and wait for
    Prometheus: prometheus_reload's, and scrape_config's ``reload`` suboptions; plus `options`.
    Here rather than in _reload.py, so scrape_config declares them without loading the engine."""
    spec = prometheus_argument_spec(
        method=dict(type="str", default="auto", choices=["auto", "http", "systemd", "signal", "none"]),
        timeout=dict(type="int", default=30),
        unit=dict(type="str", default="prometheus"),
        pid=dict(type="int"),
        pidfile=dict(type="path"),
        jobs_timeout=dict(type="int", default=30),
        targets_up=dict(type="bool", default=False),
        targets_timeout=dict(type="int", default=180),
        restore_on_down=dict(type="bool", default=False),
        resolve=dict(type="list", elements="str", default=[]),
        record_types=dict(type="str", default="A", choices=["A", "AAAA", "both"]),
    )
    spec.update(options)
    return spec


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)")


def parse_metrics(text, names):
    """{name: float} of the samples of `names` in Prometheus's text exposition format.

    Samples of one name with different labels are summed (the reload metrics have no labels, so
    each is its one value). NaN and +Inf parse as floats; comments are skipped.
    """
    wanted = set(names)
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match or match.group(1) not in wanted:
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        values[match.group(1)] = values.get(match.group(1), 0.0) + value
    return values


def lifecycle_enabled(flags):
    """Whether ``--web.enable-lifecycle`` is on, from flags() (Prometheus reports "true"/"false")."""
    return str((flags or {}).get("web.enable-lifecycle", "false")).lower() == "true"


def choose_method(requested, flags):
    """(method, why) for a requested method; ``auto`` is http with the lifecycle API, else systemd."""
    if requested != "auto":
        return requested, "method %s was given" % requested
    if lifecycle_enabled(flags):
        return "http", "auto: the lifecycle API is enabled (--web.enable-lifecycle), so POST /-/reload"
    return "systemd", "auto: the lifecycle API is disabled (no --web.enable-lifecycle), so systemctl reload"


def version_of(buildinfo):
    """'2.53.3+ds1' from buildinfo(), None without one."""
    return (buildinfo or {}).get("version") or None


def _job_of(target):
    return target.get("scrapePool") or (target.get("labels") or {}).get("job")


def targets_by_job(targets, jobs):
    """{job: [{"scrape_url", "health", "last_error", "labels"}, ...]} for each of `jobs`, in order.

    `targets`: active_targets(). A job Prometheus has no target for maps to [].
    """
    result = dict((job, []) for job in jobs)
    for target in targets:
        job = _job_of(target)
        if job in result:
            result[job].append({
                "scrape_url": target.get("scrapeUrl"),
                "health": target.get("health"),
                "last_error": target.get("lastError") or "",
                "labels": target.get("labels") or {},
            })
    for job in result:
        result[job].sort(key=lambda t: t["scrape_url"] or "")
    return result


def all_targets_up(by_job):
    """True when every job has at least one target and each of them is up."""
    return all(targets and all(t["health"] == "up" for t in targets) for targets in by_job.values())


def targets_table(by_job, jobs):
    """One line per target of each of `jobs` (``job scrape_url health: last_error``), or
    ``job: no targets discovered`` for a job without any."""
    lines = []
    for job in jobs:
        targets = by_job.get(job) or []
        if not targets:
            lines.append("%s: no targets discovered" % job)
        for target in targets:
            error = (": " + target["last_error"]) if target["last_error"] else ""
            lines.append("%s %s %s%s" % (job, target["scrape_url"], target["health"], error))
    return lines


# ---------------------------------------------------------------------------------- processes

def read_pidfile(path):
    """The PID in `path` (an integer on the first line); ValueError/OSError with the reason."""
    with open(path, "r") as handle:
        text = handle.read().strip()
    first = text.split()[0] if text else ""
    if not first.isdigit():
        raise ValueError("%s does not hold a PID (it reads %r)" % (path, text[:40]))
    return int(first)


def _config_file_arg(argv):
    """The value of --config.file in an argv list (both ``--config.file=F`` and ``--config.file F``)."""
    for index, arg in enumerate(argv):
        if arg.startswith("--config.file="):
            return arg[len("--config.file="):]
        if arg == "--config.file" and index + 1 < len(argv):
            return argv[index + 1]
    return None


def find_pids(config_file, proc="/proc"):
    """PIDs of the Prometheus processes started with ``--config.file`` = `config_file`.

    Reads ``/proc/PID/cmdline``; only a process whose program name starts with ``prometheus``
    counts (so a ``sudo``/``timeout`` wrapper holding the same flag does not). A relative value
    is resolved against the process's working directory where /proc lets us read it.
    """
    wanted = os.path.realpath(config_file)
    pids = []
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(proc, name, "cmdline"), "rb") as handle:
                argv = [to_native(a, errors="surrogate_or_replace") for a in handle.read().split(b"\0") if a]
        except (IOError, OSError):  # the process ended, or we may not read it
            continue
        if not argv or not os.path.basename(argv[0]).startswith("prometheus"):
            continue
        value = _config_file_arg(argv[1:])
        if value is None:
            continue
        if value != config_file:
            try:
                value = os.path.join(os.readlink(os.path.join(proc, name, "cwd")), value)
            except (IOError, OSError):
                pass
            if os.path.realpath(value) != wanted:
                continue
        pids.append(int(name))
    return sorted(pids)
