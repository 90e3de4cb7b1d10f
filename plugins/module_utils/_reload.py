# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reload engine: make Prometheus load its files, prove the jobs are live, wait for their
targets, and put every changed file back when any of that fails.

PRIVATE to the collection: it can change at any time. Runs on the Prometheus host with the
standard library and ansible.module_utils only. Two modules drive it: prometheus_reload (the
options are its own) and scrape_config's ``reload`` option (the options come from the files it
has just placed). What Prometheus answers and why each check exists: _prometheus.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._prometheus import (
    RELOAD_SUCCESSFUL, RELOAD_TIMESTAMP, SCRAPE_POOLS_FAILED, PrometheusError, PrometheusUnreachable,
    all_targets_up, choose_method, find_pids, lifecycle_enabled, read_pidfile, targets_by_job, targets_table,
    version_of,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._waiter import Waiter, WaitTimeout

# Seconds between two reads while waiting: reads are cheap local HTTP calls.
RELOAD_POLL = 0.25
JOBS_POLL = 0.5
TARGETS_POLL = 1.0
FAMILIES = {"A": socket.AF_INET, "AAAA": socket.AF_INET6, "both": socket.AF_UNSPEC}


class Failure(Exception):
    """Why the run fails (one line, or a table). `restore`: whether files are put back for it.
    `option`: the option the failure is about when the message cannot name it (else option_named())."""

    def __init__(self, msg, restore=True, option=None):
        super(Failure, self).__init__(msg)
        self.msg = msg
        self.restore = restore
        self.option = option


# The options a message may ask to fix, by prometheus_reload's names (pidfile before pid, so the
# longer name wins). Another caller shows them under its own names (Reloader's `names`).
OPTIONS = ("web_url", "config_file", "promtool", "unit", "pidfile", "pid", "method", "paths")


def option_named(msg, names=None):
    """The option `msg` asks to fix, as `names` ({option: shown name}) shows it, so a caller such
    as the role can name its own variable for it; None when the message names none."""
    shown = dict((option, re.escape((names or {}).get(option, option))) for option in OPTIONS)
    pattern = r"\b(?:[Ss]et|[Ff]ix) (%s)\b|^(%s|%s) |\(in (%s)\)" % (
        "|".join(shown[option] for option in OPTIONS if option != "paths"),
        shown["config_file"], shown["promtool"], shown["paths"])
    match = re.search(pattern, msg)
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
    """One run: preflight(), or run() (or go_live() then await_targets()) and then settle().

    `params` has prometheus_reload's options (default: the module's own). `names` maps an option
    to the name the caller's user knows it by, for the messages and option_named() (scrape_config
    shows ``reload.unit``, and ``path`` for config_file). `find_pids(config_file)` finds the
    process to signal (default: _prometheus.find_pids).
    """

    clock = staticmethod(time.monotonic)  # replaced in unit tests, which never sleep
    sleep = staticmethod(time.sleep)

    def __init__(self, module, api, params=None, names=None, find_pids=None):
        self.module = module
        self.params = module.params if params is None else params
        self.names = names or {}
        self.find_pids = find_pids
        self.api = api
        self.result = dict(changed=False, web_url=api.url, backups_removed=[])
        self.method = None
        self.sent = False  # a reload went out: a restore must reload again

    def opt(self, option):
        """How the messages name `option`."""
        return self.names.get(option, option)

    def waiter(self, timeout, interval):
        return Waiter(timeout, interval=interval, clock=self.clock, sleep=self.sleep)

    # ------------------------------------------------------------------------------ reading

    def read_prometheus(self, hint, check_config=True):
        """Flags and version; the method to use. `hint` ends the message when nothing answers.
        `check_config`: warn when Prometheus runs another configuration file than config_file."""
        try:
            flags = self.api.flags()
            version = version_of(self.api.buildinfo())
        except PrometheusUnreachable as exc:
            raise Failure("%s. %s" % (exc, hint))
        except PrometheusError as exc:
            raise Failure("Prometheus at %s does not answer as Prometheus: %s. Fix %s"
                          % (self.api.url, exc, self.opt("web_url")))
        self.method, reason = choose_method(self.params["method"], flags)
        self.result.update(version=version, lifecycle=lifecycle_enabled(flags), method=self.method,
                           method_reason=reason)
        if check_config:
            self.check_config_file(flags.get("config.file"))
        return flags

    def check_config_file(self, loaded):
        """Warn when Prometheus reads another file than config_file. Only a warning: a Prometheus
        in a container reads the same file under its own path (a bind mount)."""
        config_file = self.params.get("config_file")
        if not (loaded and config_file and os.path.isabs(loaded)):
            return
        if os.path.realpath(loaded) != os.path.realpath(config_file):
            self.module.warn("Prometheus at %s runs with --config.file=%s, not %s: unless that is this file seen from "
                             "a container, Prometheus does not load what is placed here; set %s to %s"
                             % (self.api.url, loaded, config_file, self.opt("config_file"), loaded))

    def metrics(self):
        try:
            return self.api.metrics()
        except PrometheusError as exc:
            raise Failure("cannot read Prometheus's reload state: %s" % exc)

    def signal_pid(self, flags):
        """The PID to send SIGHUP to: pid, the PID in pidfile, or the one Prometheus process
        started with --config.file=config_file (default: the config.file Prometheus reports)."""
        params, opt = self.params, self.opt
        if params["pid"] is not None:
            pid = params["pid"]
        elif params["pidfile"]:
            try:
                pid = read_pidfile(params["pidfile"])
            except (IOError, OSError) as exc:
                raise Failure("cannot read pidfile %s (%s); set %s to the file holding Prometheus's PID, or set %s"
                              % (params["pidfile"], exc.strerror or exc, opt("pidfile"), opt("pid")))
            except ValueError as exc:
                raise Failure("pidfile %s; set %s to the file holding Prometheus's PID, or set %s"
                              % (exc, opt("pidfile"), opt("pid")))
        else:
            config_file = params["config_file"] or flags.get("config.file") or ""
            pids = (self.find_pids or find_pids)(config_file) if config_file else []
            if len(pids) != 1:
                raise Failure(
                    "method signal needs exactly one Prometheus process, found %d (%s) with --config.file=%s; "
                    "set %s or %s, or %s to the --config.file Prometheus runs with"
                    % (len(pids), " ".join(str(p) for p in pids) or "none", config_file or "(unknown)",
                       opt("pid"), opt("pidfile"), opt("config_file")))
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
                % (socket.gethostname(), ", ".join("%s (%s)" % (n, failed[n]) for n in names if n in failed)),
                option="resolve")

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
                raise Failure("method systemd needs systemctl, which this host does not have; use %s signal "
                              "(%s, %s or %s) or http (--web.enable-lifecycle)"
                              % tuple(self.opt(o) for o in ("method", "pid", "pidfile", "config_file")))
            self.sent = True
            rc, out, err = self.module.run_command([systemctl, "reload", self.params["unit"]])
            if rc != 0:
                raise Failure("systemctl reload %s failed (rc=%d): %s; set %s to Prometheus's systemd unit, or "
                              "another %s" % (self.params["unit"], rc, _one_line(err or out), self.opt("unit"),
                                              self.opt("method")))
        elif method == "signal":
            self.sent = True
            try:
                os.kill(pid, signal.SIGHUP)
            except OSError as exc:
                raise Failure("cannot send SIGHUP to PID %d (%s); %s"
                              % (pid, exc.strerror or exc, _signal_hint(exc, self.opt)))
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
        self.check_method()
        self.check_names()

    def check_method(self, check_config=True):
        """Prometheus answers, and the reload method (auto: the one it picks) can work on this host:
        the systemd unit is loaded and active, the process to signal exists, the lifecycle API is on
        for http. Raises Failure. `check_config`: also warn when Prometheus runs another file."""
        flags = self.read_prometheus("Start it or fix %s (nothing was changed)" % self.opt("web_url"),
                                     check_config=check_config)
        if self.method == "systemd":
            self.check_unit()
        elif self.method == "signal":
            pid = self.signal_pid(flags)
            try:
                os.kill(pid, 0)
            except OSError as exc:
                raise Failure("cannot signal PID %d (%s); %s" % (pid, exc.strerror or exc, _signal_hint(exc, self.opt)))
        elif self.method == "http" and not self.result["lifecycle"]:
            raise Failure("method http needs the lifecycle API, and the lifecycle API is disabled at %s; start "
                          "Prometheus with --web.enable-lifecycle, or set %s to auto, systemd or signal"
                          % (self.api.url, self.opt("method")))
        return flags

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
        unit, opt = self.params["unit"], self.opt
        systemctl = self.module.get_bin_path("systemctl")
        # "method systemd (auto: ...)" says why auto chose it; a method given needs no reason.
        chosen = "" if self.params["method"] == "systemd" else " (%s)" % self.result["method_reason"]
        instead = ("set %s to auto or http (the lifecycle API is enabled)" if self.result.get("lifecycle") else
                   "set %s to signal or start Prometheus with --web.enable-lifecycle") % opt("method")
        if not systemctl:
            raise Failure("method systemd%s needs systemctl, which this host does not have; %s" % (chosen, instead))
        rc, out, err = self.module.run_command([systemctl, "show", "--property=LoadState,ActiveState", unit])
        if rc != 0:
            raise Failure("method systemd%s cannot be used here: systemctl show %s failed (rc=%d): %s; %s"
                          % (chosen, unit, rc, _one_line(err or out), instead))
        state = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        self.result["systemd"] = {"unit": unit, "load_state": state.get("LoadState"),
                                  "active_state": state.get("ActiveState")}
        if state.get("LoadState") != "loaded":
            raise Failure("systemd has no unit %s (LoadState=%s); set %s to Prometheus's systemd unit, or %s"
                          % (unit, state.get("LoadState"), opt("unit"), instead))
        if state.get("ActiveState") != "active":
            raise Failure("systemd unit %s is %s, so systemctl reload would fail; set %s to the unit that runs "
                          "the Prometheus at %s" % (unit, state.get("ActiveState"), opt("unit"), self.api.url))

    def run(self):
        """Reload, prove the jobs, wait for the targets; raises Failure (then call settle())."""
        if self.go_live():
            self.await_targets()

    def go_live(self):
        """run() up to the proof that the jobs are live (or gone). False when nothing is left to
        wait for: Prometheus was left alone, or check mode (which only reads)."""
        params = self.params
        if params["method"] == "none" and not (params["jobs"] or params["absent_jobs"] or params["targets_up"]):
            self.leave_prometheus_alone("nothing to prove")
            return False
        flags = self.read_prometheus("Start it or fix %s" % self.opt("web_url"))
        pid = self.signal_pid(flags) if self.method == "signal" else None
        self.check_names()
        if self.module.check_mode:
            self.result["changed"] = self.method != "none"
            return False
        before = self.metrics()
        self.result.update(reload_timestamp_before=before.get(RELOAD_TIMESTAMP),
                           scrape_pools_failed_before=before.get(SCRAPE_POOLS_FAILED, 0.0))
        if self.method != "none":
            self.reload(pid, before)
        self.await_jobs(before.get(SCRAPE_POOLS_FAILED, 0.0))
        return True

    def settle(self, failure=None):
        """What follows run(). On success the backups of `restore` go. On a Failure that asks for
        it (outside check mode), every file of `restore` goes back and Prometheus is reloaded onto
        them when a reload went out. Returns the message to fail with (None on success)."""
        if failure is None:
            self.remove_backups()
            return None
        if failure.restore and self.params["restore"] and not self.module.check_mode:
            return self.restore_and_reload(failure.msg, self.result.get("pid"))
        self.remove_backups()
        return failure.msg

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


def _signal_hint(exc, opt):
    if isinstance(exc, PermissionError):
        return "run the task with become: true"
    return "set %s or %s to the running Prometheus" % (opt("pid"), opt("pidfile"))
