#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: prometheus_reload
short_description: Reload Prometheus, prove the new configuration is live, wait for its targets, undo it if not
version_added: 0.1.0
description:
  - Runs on the Prometheus host. Reloads Prometheus (O(method)), then proves the reload took
    from Prometheus's own answers instead of trusting the reload command, waits until the jobs
    in O(jobs) are live scrape pools (and those in O(absent_jobs) are gone), and optionally
    until every target of O(jobs) is up. Waits happen inside the module, which reports once.
  - Proof of the reload is C(prometheus_config_last_reload_success_timestamp_seconds) moving
    (and C(prometheus_config_last_reload_successful) staying 1). A SIGHUP or C(systemctl reload)
    reports nothing itself; this is how their failures show.
  - A job is live when C(/api/v1/scrape_pools) lists it (C(/api/v1/targets) on a Prometheus
    without that endpoint). Prometheus reports a reload as successful even when it could not
    create a job's scrape pool (typically an unreadable C(tls_config.ca_file)); the job is then
    missing, and C(prometheus_target_scrape_pools_failed_total) rose. The module fails then.
  - With O(restore) (the RV(aiven_tools.prometheus.scrape_config#module:files) list of the task
    that changed the files), any failure puts every file back as it was (from its backup, or
    removes a file that task created), reloads Prometheus again the same way, and fails with the
    first reason and, when the second reload fails too, its reason. Monitoring never stays on
    a configuration that was not proven. On success the backups are removed.
  - With O(preflight=true) it changes nothing and checks what can be checked before a run
    changes anything (see O(preflight)).
author:
  - aiven_tools.prometheus developers (@aiven_tools)
options:
  web_url:
    description:
      - Prometheus's web address as seen from the Prometheus host, without C(/api/v1).
    type: str
    default: http://127.0.0.1:9090
  method:
    description:
      - How to make Prometheus load its configuration files.
      - V(http) sends C(POST /-/reload), which needs C(--web.enable-lifecycle); Prometheus answers
        at once, with its own error message when the configuration is rejected.
      - V(systemd) runs C(systemctl reload) O(unit) (Debian's unit sends SIGHUP).
      - V(signal) sends SIGHUP to O(pid), to the PID in O(pidfile), or to the one process running
        C(prometheus --config.file=)O(config_file) (found in C(/proc)).
      - V(auto) is V(http) when C(/api/v1/status/flags) reports C(web.enable-lifecycle) true,
        else V(systemd).
      - V(none) reloads nothing and only proves and waits (for a run in which nothing changed).
    type: str
    choices: [auto, http, systemd, signal, none]
    default: auto
  timeout:
    description:
      - Seconds the reload itself may take, until Prometheus reports it (the HTTP request, or the
        reload timestamp moving after SIGHUP/systemd).
    type: int
    default: 30
  unit:
    description:
      - The systemd unit of Prometheus, for O(method=systemd).
    type: str
    default: prometheus
  pid:
    description:
      - PID of Prometheus, for O(method=signal).
    type: int
  pidfile:
    description:
      - File holding Prometheus's PID, for O(method=signal).
    type: path
  config_file:
    description:
      - Prometheus's main configuration file, as given to its C(--config.file).
      - With O(method=signal) and neither O(pid) nor O(pidfile), the one process started with
        this C(--config.file) gets the signal; when not set, the value Prometheus reports in
        C(/api/v1/status/flags) is used.
      - With O(preflight=true), it must exist and be writable.
    type: path
  jobs:
    description:
      - Job names that must be live scrape pools after the reload.
    type: list
    elements: str
    default: []
  absent_jobs:
    description:
      - Job names that must not be scrape pools after the reload (jobs just removed).
    type: list
    elements: str
    default: []
  jobs_timeout:
    description:
      - Seconds to wait for O(jobs) to appear and O(absent_jobs) to go. Prometheus 2.x creates new
        scrape pools on a 5 second tick after a reload.
    type: int
    default: 30
  targets_up:
    description:
      - Wait until every job in O(jobs) has at least one target and every target is up.
      - On timeout the module fails with a line per target (job, scrape URL, health, last error)
        and C(no targets discovered) for a job without any. The files stay in place unless
        O(restore_on_down=true), as down targets may come up later (Aiven needs about a minute after
        an integration is enabled).
    type: bool
    default: false
  targets_timeout:
    description:
      - Seconds to wait for the targets with O(targets_up=true).
    type: int
    default: 180
  restore_on_down:
    description:
      - Also restore the files from O(restore) when targets are still down after
        O(targets_timeout).
    type: bool
    default: false
  resolve:
    description:
      - DNS names that must resolve on this host before anything goes live, such as the names
        of C(dns_sd_configs). Prometheus resolves them with this host's resolver, and a name
        that does not resolve would only show as a job without targets.
      - Checked with this host's C(getaddrinfo) before the reload; the module fails at once
        naming every name that does not resolve (and restores O(restore)).
    type: list
    elements: str
    default: []
  record_types:
    description:
      - Address family O(resolve) asks for. V(A) for C(dns_sd_configs) of type A (what Aiven's
        documentation uses), V(AAAA) for type AAAA, V(both) accepts an address of either family.
    type: str
    choices: [A, AAAA, both]
    default: A
  restore:
    description:
      - The files changed before this task, as RV(aiven_tools.prometheus.scrape_config#module:files)
        returns them (run that task with C(backup=true)), plus any entries of your own in the
        same shape. Each item is a dict with C(path), and C(backup) (the copy to put back) or
        C(action=created) (a file to remove); C(mode), C(owner) and C(group), when given, are
        applied to a restored file.
      - Checked before anything happens; an item without a backup is an error.
      - On any failure the files are put back in reverse order, and Prometheus is reloaded
        again with the same method when a reload had been sent. The result lists them in
        RV(restored).
      - On success the backups are removed, unless O(keep_backups=true).
    type: list
    elements: dict
    default: []
  keep_backups:
    description:
      - Keep the backups named in O(restore) after a success or a restore.
    type: bool
    default: false
  preflight:
    description:
      - Change nothing; check what a run needs and report it, failing at the first problem with
        one line naming the option to fix.
      - Checks, in this order, when given, O(config_file) exists and is writable, each of O(paths)
        is an existing writable directory, O(promtool) runs (its version is returned), then that
        Prometheus answers at O(web_url) (its version is returned), which method O(method=auto)
        picks and why, that systemd knows O(unit) when that method is used, that the process to
        signal exists for O(method=signal), that the lifecycle API is on for O(method=http), and
        that O(resolve) names resolve.
      - With O(method=none) and O(targets_up=false) the preflight does not ask Prometheus (for
        runs that only place files, while Prometheus may be down).
    type: bool
    default: false
  promtool:
    description:
      - With O(preflight=true), promtool on this host (a path, or a command looked up in
        C(PATH)); C(promtool --version) must succeed.
    type: str
  paths:
    description:
      - With O(preflight=true), directories that must exist and be writable (where other tasks
        will write files).
    type: list
    elements: path
    default: []
  validate_certs:
    description:
      - Verify the TLS certificate when O(web_url) is C(https://).
    type: bool
    default: true
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads Prometheus, finds the process to signal and resolves O(resolve), but sends no reload,
        restores nothing and waits for nothing; C(changed) says whether it would reload.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
notes:
  - Standard library only on the Prometheus host. O(method=signal) reads C(/proc) (Linux).
  - Prometheus 3.x reads C(basic_auth.password_file) only when it builds a scrape pool, and a
    reload rebuilds only the pools whose job changed, so a changed password file alone is not picked
    up by a reload.
seealso:
  - module: aiven_tools.prometheus.scrape_config
  - name: Prometheus management API
    description: C(POST /-/reload) and C(--web.enable-lifecycle).
    link: https://prometheus.io/docs/prometheus/latest/management_api/
  - name: Prometheus HTTP API
    description: C(/api/v1/status/flags), C(/api/v1/scrape_pools), C(/api/v1/targets).
    link: https://prometheus.io/docs/prometheus/latest/querying/api/
"""

EXAMPLES = r"""
- name: Check the Prometheus host before anything changes
  aiven_tools.prometheus.prometheus_reload:
    preflight: true
    web_url: http://127.0.0.1:9090
    config_file: /etc/prometheus/prometheus.yml
    promtool: promtool
    paths: [/etc/prometheus]
  register: prometheus_host

- name: Place the jobs, keeping backups of every file changed
  aiven_tools.prometheus.scrape_config:
    path: /etc/prometheus/prometheus.yml
    name: aiven-acme-prod
    content: "{{ lookup('ansible.builtin.template', 'aiven_jobs.yml.j2') }}"
    backup: true
  register: placed

- name: Reload, prove the jobs are live, wait for their targets; put the files back if not
  aiven_tools.prometheus.prometheus_reload:
    web_url: http://127.0.0.1:9090
    method: "{{ 'auto' if placed is changed else 'none' }}"
    jobs: "{{ placed.jobs }}"
    resolve: [pg-acme-prod.aivencloud.com]
    targets_up: true
    restore: "{{ placed.files }}"

- name: Reload a Prometheus started by hand (no systemd, no lifecycle API) with SIGHUP
  aiven_tools.prometheus.prometheus_reload:
    method: signal
    config_file: /etc/prometheus/prometheus.yml

- name: After removing jobs, prove they are gone
  aiven_tools.prometheus.prometheus_reload:
    absent_jobs: [aiven-acme-prod-pg]
"""

RETURN = r"""
web_url:
  description: The Prometheus address used.
  returned: always
  type: str
  sample: http://127.0.0.1:9090
version:
  description: Prometheus's version (C(/api/v1/status/buildinfo)).
  returned: when Prometheus answered
  type: str
  sample: 2.53.3
lifecycle:
  description: Whether Prometheus runs with C(--web.enable-lifecycle).
  returned: when Prometheus answered
  type: bool
method:
  description: The method used (or, with O(preflight=true), that would be used); V(auto) resolved.
  returned: when Prometheus answered
  type: str
  sample: http
method_reason:
  description: Why that method.
  returned: when Prometheus answered
  type: str
  sample: "auto: the lifecycle API is enabled (--web.enable-lifecycle), so POST /-/reload"
pid:
  description: The process that gets (or got) SIGHUP.
  returned: when the method is V(signal)
  type: int
systemd:
  description: What systemd says about O(unit).
  returned: with O(preflight=true) when the method is V(systemd)
  type: dict
  contains:
    unit:
      description: The unit asked about.
      type: str
    load_state:
      description: C(LoadState) of the unit (V(loaded), V(not-found), ...).
      type: str
    active_state:
      description: C(ActiveState) of the unit (V(active), V(inactive), ...).
      type: str
promtool_version:
  description: Version C(promtool --version) reports.
  returned: with O(preflight=true) and O(promtool)
  type: str
  sample: 2.42.0
reload_timestamp_before:
  description: C(prometheus_config_last_reload_success_timestamp_seconds) before the reload (Unix seconds).
  returned: when the module read it
  type: float
reload_timestamp_after:
  description: The same after the reload.
  returned: when a reload was sent and Prometheus answered
  type: float
reload_successful:
  description: Whether Prometheus reported the reload as successful (timestamp moved, flag 1).
  returned: when a reload was sent
  type: bool
restore_reload_successful:
  description: Whether Prometheus reported the reload of the restored files as successful.
  returned: when a restore reloaded Prometheus again
  type: bool
restore_reload_timestamp_after:
  description: C(prometheus_config_last_reload_success_timestamp_seconds) after that reload.
  returned: when a restore reloaded Prometheus again
  type: float
scrape_pools_failed_before:
  description: C(prometheus_target_scrape_pools_failed_total) before the reload.
  returned: when the module read it
  type: float
scrape_pools_failed_after:
  description: C(prometheus_target_scrape_pools_failed_total) when the wait for the jobs ended.
  returned: when O(jobs) or O(absent_jobs) were awaited
  type: float
live_jobs:
  description: Every scrape pool Prometheus runs, when the wait for O(jobs) and O(absent_jobs) ended.
  returned: when O(jobs) or O(absent_jobs) were awaited
  type: list
  elements: str
missing_jobs:
  description: Jobs of O(jobs) that are not live.
  returned: when O(jobs) or O(absent_jobs) were awaited
  type: list
  elements: str
stale_jobs:
  description: Jobs of O(absent_jobs) that are still live.
  returned: when O(jobs) or O(absent_jobs) were awaited
  type: list
  elements: str
targets:
  description: The targets of each job in O(jobs), when the wait for them ended.
  returned: when O(targets_up=true)
  type: dict
  sample:
    aiven-acme-prod-pg:
      - scrape_url: https://10.0.0.5:9273/metrics
        health: up
        last_error: ""
        labels: {job: aiven-acme-prod-pg, instance: "10.0.0.5:9273"}
resolved:
  description: The addresses each name of O(resolve) resolved to on this host.
  returned: when O(resolve) is set
  type: dict
  sample: {pg-acme-prod.aivencloud.com: [203.0.113.10, 203.0.113.11]}
restored:
  description:
    - The files put back after a failure, in the order restored. C(action) is V(restored)
      (copied back from C(backup)) or V(removed) (the file had been created).
  returned: when a restore happened
  type: list
  elements: dict
  sample: [{path: /etc/prometheus/prometheus.yml, action: restored,
            backup: "/etc/prometheus/prometheus.yml.2133.2026-01-01@10:00:00~"}]
backups_removed:
  description: Backups of O(restore) removed after the run.
  returned: always
  type: list
  elements: str
option:
  description:
    - When O(preflight=true) fails, the option the message asks to fix (V(web_url), V(config_file),
      V(paths), V(promtool), V(unit), V(pid), V(pidfile) or V(method)), so a caller can name its own
      setting for it.
  returned: failure of a preflight that names an option
  type: str
  sample: config_file
"""

import grp
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._prometheus import (
    RELOAD_SUCCESSFUL, RELOAD_TIMESTAMP, SCRAPE_POOLS_FAILED, PrometheusAPI, PrometheusError,
    PrometheusUnreachable, all_targets_up, choose_method, find_pids, lifecycle_enabled, read_pidfile,
    targets_by_job, targets_table, version_of,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._waiter import Waiter, WaitTimeout

# Seconds between two reads while waiting: reads are cheap local HTTP calls.
RELOAD_POLL = 0.25
JOBS_POLL = 0.5
TARGETS_POLL = 1.0
FAMILIES = {"A": socket.AF_INET, "AAAA": socket.AF_INET6, "both": socket.AF_UNSPEC}


class Failure(Exception):
    """Why the run fails (one line, or a table). `restore`: whether files are put back for it."""

    def __init__(self, msg, restore=True):
        super(Failure, self).__init__(msg)
        self.msg = msg
        self.restore = restore


OPTION_IN_MESSAGE = re.compile(r"\b(?:[Ss]et|[Ff]ix) (web_url|config_file|promtool|unit|pidfile|pid|method)\b"
                               r"|^(config_file|promtool) |\(in (paths)\)")


def option_named(msg):
    """The option a preflight message asks to fix (so a caller such as the role can name its own
    variable for it), or None."""
    match = OPTION_IN_MESSAGE.search(msg)
    return next((group for group in match.groups() if group), None) if match else None


def resolve_names(names, record_types, getaddrinfo=None):
    """({name: sorted addresses}, {name: resolver error}) for `names`, resolved concurrently with
    this host's resolver (what Prometheus's dns_sd uses); `record_types` is A, AAAA or both."""
    lookup = getaddrinfo or socket.getaddrinfo
    family = FAMILIES[record_types]

    def one(name):
        try:
            infos = lookup(name, None, family, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            return name, None, getattr(exc, "strerror", None) or to_native(exc)
        return name, sorted(set(info[4][0] for info in infos)), None

    resolved, failed = {}, {}
    if names:
        with ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
            for name, addresses, error in pool.map(one, names):
                if error is None and addresses:
                    resolved[name] = addresses
                else:
                    failed[name] = error or "no address"
    return resolved, failed


def check_restore(entries, check_mode):
    """A message for the first unusable item of `restore`, or None. In check mode the task that
    changed the files made no backups, and nothing will be restored: only shapes are checked."""
    for index, entry in enumerate(entries):
        path = entry.get("path")
        if not isinstance(path, str) or not os.path.isabs(path):
            return "restore[%d] has no absolute path; give the files list scrape_config returns" % index
        if entry.get("action") == "created" or check_mode:
            continue
        backup = entry.get("backup")
        if not backup:
            return ("restore[%d] (%s) has no backup to put back; run the task that changed it with backup: true"
                    % (index, path))
        if not os.path.isfile(backup):
            return "restore[%d]: the backup %s of %s does not exist" % (index, backup, path)
    return None


def _id_of(value, lookup, current):
    """uid/gid for a name or number string from scrape_config's files list; `current` when unset."""
    if value is None or value == "":
        return current
    if str(value).isdigit():
        return int(value)
    return lookup(value)


def put_back(entry):
    """Restore one `restore` item: copy its backup over the path atomically (with the item's
    mode/owner/group, else those of the file there now, else the backup's), or remove a file the
    earlier task created. Returns its item of the `restored` result; raises OSError/KeyError on failure."""
    path = entry["path"]
    if entry.get("action") == "created" and not entry.get("backup"):
        if os.path.lexists(path):
            os.unlink(path)
        return {"path": path, "action": "removed"}
    backup = entry["backup"]
    like = os.stat(path) if os.path.exists(path) else os.stat(backup)
    mode = int(str(entry["mode"]), 8) if entry.get("mode") else like.st_mode & 0o7777
    uid = _id_of(entry.get("owner"), lambda n: pwd.getpwnam(n).pw_uid, like.st_uid)
    gid = _id_of(entry.get("group"), lambda n: grp.getgrnam(n).gr_gid, like.st_gid)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + ".",
                               suffix=".restore")
    try:
        with os.fdopen(fd, "wb") as out, open(backup, "rb") as src:
            shutil.copyfileobj(src, out)
        if (uid, gid) != (os.getuid(), os.getgid()):
            os.chown(tmp, uid, gid)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return {"path": path, "action": "restored", "backup": backup}


class Reloader(object):
    """One run of the module: preflight(), or run() with restore on failure."""

    clock = staticmethod(time.monotonic)  # replaced in unit tests, which never sleep
    sleep = staticmethod(time.sleep)

    def __init__(self, module, api):
        self.module = module
        self.params = module.params
        self.api = api
        self.result = dict(changed=False, web_url=api.url, backups_removed=[])
        self.method = None
        self.sent = False  # a reload went out: a restore must reload again

    def waiter(self, timeout, interval):
        return Waiter(timeout, interval=interval, clock=self.clock, sleep=self.sleep)

    # ------------------------------------------------------------------------------ reading

    def read_prometheus(self, hint):
        """Flags and version; the method to use. `hint` ends the message when nothing answers."""
        try:
            flags = self.api.flags()
            version = version_of(self.api.buildinfo())
        except PrometheusUnreachable as exc:
            raise Failure("%s. %s" % (exc, hint))
        except PrometheusError as exc:
            raise Failure("Prometheus at %s does not answer as Prometheus: %s. Fix web_url" % (self.api.url, exc))
        self.method, reason = choose_method(self.params["method"], flags)
        self.result.update(version=version, lifecycle=lifecycle_enabled(flags), method=self.method,
                           method_reason=reason)
        return flags

    def metrics(self):
        try:
            return self.api.metrics()
        except PrometheusError as exc:
            raise Failure("cannot read Prometheus's reload state: %s" % exc)

    def signal_pid(self, flags):
        """The PID to send SIGHUP to: pid, the PID in pidfile, or the one Prometheus process
        started with --config.file=config_file (default: the config.file Prometheus reports)."""
        params = self.params
        if params["pid"] is not None:
            pid = params["pid"]
        elif params["pidfile"]:
            try:
                pid = read_pidfile(params["pidfile"])
            except (IOError, OSError) as exc:
                raise Failure("cannot read pidfile %s (%s); set pidfile to the file holding Prometheus's PID, "
                              "or set pid" % (params["pidfile"], exc.strerror or exc))
            except ValueError as exc:
                raise Failure("pidfile %s; set pidfile to the file holding Prometheus's PID, or set pid" % exc)
        else:
            config_file = params["config_file"] or flags.get("config.file") or ""
            pids = find_pids(config_file) if config_file else []
            if len(pids) != 1:
                raise Failure(
                    "method signal needs exactly one Prometheus process, found %d (%s) with --config.file=%s; "
                    "set pid or pidfile, or config_file to the --config.file Prometheus runs with"
                    % (len(pids), " ".join(str(p) for p in pids) or "none", config_file or "(unknown)"))
            pid = pids[0]
        self.result["pid"] = pid
        return pid

    def check_names(self):
        names = self.params["resolve"]
        if not names:
            return
        resolved, failed = resolve_names(names, self.params["record_types"])
        self.result["resolved"] = resolved
        if failed:
            raise Failure(
                "these names do not resolve on this host (%s), so Prometheus could not discover their targets: "
                "%s. Fix this host's DNS resolver, or scrape those services by IP (static or file_sd targets)"
                % (socket.gethostname(), ", ".join("%s (%s)" % (n, failed[n]) for n in names if n in failed)))

    # ------------------------------------------------------------------------------ reloading

    def reload(self, pid, before, key="reload"):
        """Reload with self.method, then wait until Prometheus reports it (see await_reload);
        `before` is metrics() from before the reload."""
        method = self.method
        if method == "http":
            self.sent = True
            try:
                self.api.reload(self.params["timeout"])
            except PrometheusError as exc:
                raise Failure(str(exc))
        elif method == "systemd":
            systemctl = self.module.get_bin_path("systemctl")
            if not systemctl:
                raise Failure("method systemd needs systemctl, which this host does not have; use method signal "
                              "(pid, pidfile or config_file) or http (--web.enable-lifecycle)")
            self.sent = True
            rc, out, err = self.module.run_command([systemctl, "reload", self.params["unit"]])
            if rc != 0:
                raise Failure("systemctl reload %s failed (rc=%d): %s; set unit to Prometheus's systemd unit, or "
                              "another method" % (self.params["unit"], rc, _one_line(err or out)))
        elif method == "signal":
            self.sent = True
            try:
                os.kill(pid, signal.SIGHUP)
            except OSError as exc:
                raise Failure("cannot send SIGHUP to PID %d (%s); %s" % (pid, exc.strerror or exc, _signal_hint(exc)))
        self.result["changed"] = True
        self.await_reload(before, key)

    def await_reload(self, before, key="reload"):
        """Wait until Prometheus reports the reload; fail with the reason it gives. The result
        gets KEY_timestamp_after and KEY_successful."""
        ts_before = before.get(RELOAD_TIMESTAMP, 0.0)
        ok_before = before.get(RELOAD_SUCCESSFUL, 1.0)

        def reported(now):
            return now.get(RELOAD_TIMESTAMP, 0.0) > ts_before or (now.get(RELOAD_SUCCESSFUL, 1.0) == 0 and ok_before == 1)

        what = "Prometheus to report the %s reload" % self.method
        try:
            now = self.waiter(self.params["timeout"], RELOAD_POLL).wait(self.api.metrics, reported, what,
                                                                        retry_on=(PrometheusError,))
        except WaitTimeout as exc:
            now = exc.last or {}
            if exc.last is None:
                raise Failure("Prometheus did not report the %s reload within %ds: %s"
                              % (self.method, self.params["timeout"], exc.error))
        moved = now.get(RELOAD_TIMESTAMP, 0.0) > ts_before
        self.result[key + "_timestamp_after"] = now.get(RELOAD_TIMESTAMP)
        self.result[key + "_successful"] = moved and now.get(RELOAD_SUCCESSFUL, 1.0) == 1
        if now.get(RELOAD_SUCCESSFUL, 1.0) == 0:
            raise Failure("Prometheus rejected the new configuration (prometheus_config_last_reload_successful is 0; "
                          "a %s reload reports no reason: see the Prometheus log)" % self.method)
        if not moved:
            raise Failure("Prometheus did not reload within %ds of the %s reload "
                          "(prometheus_config_last_reload_success_timestamp_seconds did not move)"
                          % (self.params["timeout"], self.method))

    # ------------------------------------------------------------------------------ proving

    def await_jobs(self, failed_before):
        jobs, absent = self.params["jobs"], self.params["absent_jobs"]
        if not (jobs or absent):
            return

        def settled(live):
            names = set(live[0])
            return all(j in names for j in jobs) and not any(j in names for j in absent)

        timeout = self.params["jobs_timeout"]
        try:
            live = self.waiter(timeout, JOBS_POLL).wait(self.api.live_jobs, settled, "the jobs to be live",
                                                        retry_on=(PrometheusError,))
        except WaitTimeout as exc:
            if exc.last is None:
                raise Failure("cannot read Prometheus's scrape pools for %ds: %s" % (timeout, exc.error))
            live = exc.last
        names = live[0]
        missing = [j for j in jobs if j not in names]
        stale = [j for j in absent if j in names]
        self.result.update(live_jobs=names, missing_jobs=missing, stale_jobs=stale)
        failed_after = self.metrics().get(SCRAPE_POOLS_FAILED, 0.0)
        self.result["scrape_pools_failed_after"] = failed_after
        if not (missing or stale):
            return
        problems = []
        if missing:
            problems.append("these jobs are not active after %ds: %s" % (timeout, ", ".join(missing)))
        if stale:
            problems.append("these removed jobs are still active after %ds: %s" % (timeout, ", ".join(stale)))
        lead = "Prometheus reloaded, but " if self.sent else "Prometheus was not reloaded (method none), and "
        if missing and failed_after > failed_before:
            why = ("prometheus_target_scrape_pools_failed_total went from %d to %d: Prometheus could not create their "
                   "scrape pools (typically a tls_config.ca_file it cannot read; its log names the file)."
                   % (failed_before, failed_after))
        else:
            why = "Its log has the reason."
        raise Failure("%s%s. %s" % (lead, "; ".join(problems), why))

    def await_targets(self):
        jobs = self.params["jobs"]
        if not (self.params["targets_up"] and jobs):
            return
        timeout = self.params["targets_timeout"]

        def read():
            return targets_by_job(self.api.active_targets(), jobs)

        try:
            by_job = self.waiter(timeout, TARGETS_POLL).wait(read, all_targets_up, "every target to be up",
                                                             retry_on=(PrometheusError,))
        except WaitTimeout as exc:
            by_job = exc.last or dict((job, []) for job in jobs)
            self.result["targets"] = by_job
            lines = targets_table(by_job, jobs) if exc.last is not None else [str(exc)]
            # Down targets may come up later (Aiven needs about a minute), so the jobs stay unless asked.
            kept = "" if self.params["restore_on_down"] or not self.params["restore"] else (
                "\nThe jobs stay in place (Prometheus loaded them) and are scraped as soon as the targets answer; "
                "fix the cause shown above and run again.")
            raise Failure("Not every target is up after %ds (Aiven needs about a minute after an integration is "
                          "enabled):\n  %s%s" % (timeout, "\n  ".join(lines), kept),
                          restore=self.params["restore_on_down"])
        self.result["targets"] = by_job

    # ------------------------------------------------------------------------------ runs

    def leave_prometheus_alone(self, why):
        """Method none with nothing that needs Prometheus: a run that only places files, while
        Prometheus may be down or elsewhere (what the role always allowed)."""
        self.method = self.result["method"] = "none"
        self.result["method_reason"] = "method none was given, and %s: Prometheus is not asked" % why
        self.check_names()

    def preflight(self):
        params = self.params
        config_file = params["config_file"]
        if config_file:
            if not os.path.isfile(config_file):
                raise Failure("config_file %s does not exist (or is not a file); set config_file to Prometheus's "
                              "configuration file" % config_file)
            if not os.access(config_file, os.W_OK):
                raise Failure("config_file %s is not writable by %s; run the task with become: true"
                              % (config_file, _user()))
        for path in params["paths"]:
            if not os.path.isdir(path):
                raise Failure("%s (in paths) is not an existing directory; create it or fix the setting that names "
                              "it" % path)
            if not os.access(path, os.W_OK | os.X_OK):
                raise Failure("%s (in paths) is not writable by %s; run the task with become: true" % (path, _user()))
        if params["promtool"]:
            self.result["promtool_version"] = self.promtool_version(params["promtool"])
        if params["method"] == "none" and not params["targets_up"]:
            self.leave_prometheus_alone("targets_up is false")
            return
        flags = self.read_prometheus("Start it or fix web_url (nothing was changed)")
        if self.method == "systemd":
            self.check_unit()
        elif self.method == "signal":
            pid = self.signal_pid(flags)
            try:
                os.kill(pid, 0)
            except OSError as exc:
                raise Failure("cannot signal PID %d (%s); %s" % (pid, exc.strerror or exc, _signal_hint(exc)))
        elif self.method == "http" and not self.result["lifecycle"]:
            raise Failure("method http needs the lifecycle API, and the lifecycle API is disabled at %s; start Prometheus with "
                          "--web.enable-lifecycle, or set method to auto, systemd or signal" % self.api.url)
        self.check_names()

    def promtool_version(self, promtool):
        argv = shlex.split(promtool)
        found = self.module.get_bin_path(argv[0]) if os.sep not in argv[0] else argv[0]
        if not found or not os.access(found, os.X_OK):
            raise Failure("promtool %s was not found or is not executable on this host; set promtool to its path "
                          "(Debian: package prometheus)" % argv[0])
        rc, out, err = self.module.run_command([found] + argv[1:] + ["--version"])
        words = (out + err).split()
        if rc != 0 or "version" not in words or words.index("version") + 1 >= len(words):
            raise Failure("%s --version failed (rc=%d): %s; set promtool to a working promtool"
                          % (promtool, rc, _one_line(err or out) or "no output"))
        return words[words.index("version") + 1]

    def check_unit(self):
        unit = self.params["unit"]
        systemctl = self.module.get_bin_path("systemctl")
        why = self.result["method_reason"]
        if not systemctl:
            raise Failure("method systemd (%s) needs systemctl, which this host does not have; set method to signal "
                          "or start Prometheus with --web.enable-lifecycle" % why)
        rc, out, err = self.module.run_command([systemctl, "show", "--property=LoadState,ActiveState", unit])
        if rc != 0:
            raise Failure("method systemd (%s) cannot be used here: systemctl show %s failed (rc=%d): %s; set method "
                          "to signal or start Prometheus with --web.enable-lifecycle"
                          % (why, unit, rc, _one_line(err or out)))
        state = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        self.result["systemd"] = {"unit": unit, "load_state": state.get("LoadState"),
                                  "active_state": state.get("ActiveState")}
        if state.get("LoadState") != "loaded":
            raise Failure("systemd has no unit %s (LoadState=%s); set unit to Prometheus's systemd unit, or method "
                          "(%s)" % (unit, state.get("LoadState"), why))
        if state.get("ActiveState") != "active":
            raise Failure("systemd unit %s is %s, so systemctl reload would fail; set unit to the unit that runs "
                          "the Prometheus at %s" % (unit, state.get("ActiveState"), self.api.url))

    def run(self):
        params = self.params
        if params["method"] == "none" and not (params["jobs"] or params["absent_jobs"] or params["targets_up"]):
            self.leave_prometheus_alone("nothing to prove")
            return
        flags = self.read_prometheus("Start it or fix web_url")
        pid = self.signal_pid(flags) if self.method == "signal" else None
        self.check_names()
        if self.module.check_mode:
            self.result["changed"] = self.method != "none"
            return
        before = self.metrics()
        self.result.update(reload_timestamp_before=before.get(RELOAD_TIMESTAMP),
                           scrape_pools_failed_before=before.get(SCRAPE_POOLS_FAILED, 0.0))
        if self.method != "none":
            self.reload(pid, before)
        self.await_jobs(before.get(SCRAPE_POOLS_FAILED, 0.0))
        self.await_targets()

    def restore_and_reload(self, reason, pid):
        """Put every file of `restore` back, reload again when a reload went out; the message."""
        restored, errors = [], []
        for entry in reversed(self.params["restore"]):
            try:
                restored.append(put_back(entry))
            except (IOError, OSError, KeyError) as exc:
                errors.append("%s: %s" % (entry["path"], getattr(exc, "strerror", None) or to_native(exc)))
        self.result["restored"] = restored
        paths = ", ".join(item["path"] for item in restored)
        if errors:
            return ("%s -- restoring the previous files failed (%s); restored: %s. Put the rest back from their "
                    "backups, then reload Prometheus." % (reason, "; ".join(errors), paths or "none"))
        self.remove_backups()
        if not self.sent:
            return "%s -- nothing was reloaded; the previous files were restored (%s)." % (reason, paths)
        try:
            self.reload(pid, before=self.metrics(), key="restore_reload")
        except Failure as second:
            return ("%s -- the previous files were restored (%s), but reloading them failed too (%s). Reload "
                    "Prometheus once that is fixed." % (reason, paths, second.msg))
        return "%s -- the previous configuration was restored and reloaded (%s)." % (reason, paths)

    def remove_backups(self):
        if self.params["keep_backups"] or self.module.check_mode:
            return
        for entry in self.params["restore"]:
            backup = entry.get("backup")
            if backup and os.path.exists(backup):
                try:
                    os.unlink(backup)
                except OSError as exc:
                    self.module.warn("could not remove the backup %s: %s" % (backup, exc.strerror or exc))
                    continue
                self.result["backups_removed"].append(backup)


def _one_line(text):
    return "; ".join(line.strip() for line in (text or "").strip().splitlines() if line.strip())


def _user():
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return "uid %d" % os.getuid()


def _signal_hint(exc):
    if isinstance(exc, PermissionError):
        return "run the task with become: true"
    return "set pid or pidfile to the running Prometheus"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            web_url=dict(type="str", default="http://127.0.0.1:9090"),
            method=dict(type="str", default="auto", choices=["auto", "http", "systemd", "signal", "none"]),
            timeout=dict(type="int", default=30),
            unit=dict(type="str", default="prometheus"),
            pid=dict(type="int"),
            pidfile=dict(type="path"),
            config_file=dict(type="path"),
            jobs=dict(type="list", elements="str", default=[]),
            absent_jobs=dict(type="list", elements="str", default=[]),
            jobs_timeout=dict(type="int", default=30),
            targets_up=dict(type="bool", default=False),
            targets_timeout=dict(type="int", default=180),
            restore_on_down=dict(type="bool", default=False),
            resolve=dict(type="list", elements="str", default=[]),
            record_types=dict(type="str", default="A", choices=["A", "AAAA", "both"]),
            restore=dict(type="list", elements="dict", default=[]),
            keep_backups=dict(type="bool", default=False),
            preflight=dict(type="bool", default=False),
            promtool=dict(type="str"),
            paths=dict(type="list", elements="path", default=[]),
            validate_certs=dict(type="bool", default=True),
        ),
        mutually_exclusive=[("pid", "pidfile")],
        supports_check_mode=True,
    )
    params = module.params
    reloader = Reloader(module, PrometheusAPI(params["web_url"], validate_certs=params["validate_certs"]))
    if params["preflight"]:
        try:
            reloader.preflight()
        except Failure as failure:
            module.fail_json(msg=failure.msg, option=option_named(failure.msg), **reloader.result)
        module.exit_json(**reloader.result)

    problem = check_restore(params["restore"], module.check_mode)
    if problem:
        module.fail_json(msg=problem, **reloader.result)
    try:
        reloader.run()
    except Failure as failure:
        msg = failure.msg
        if failure.restore and params["restore"] and not module.check_mode:
            msg = reloader.restore_and_reload(msg, reloader.result.get("pid"))
        elif not module.check_mode:
            reloader.remove_backups()
        module.fail_json(msg=msg, **reloader.result)
    reloader.remove_backups()
    module.exit_json(**reloader.result)


if __name__ == "__main__":
    main()
