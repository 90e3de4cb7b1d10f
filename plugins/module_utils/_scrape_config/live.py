# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scrape_config's ``reload`` option: make what a run placed live, or put it all back.

PRIVATE to the collection: it can change at any time. The runner imports this only when
``reload`` is set, so a run without it does not load the reload engine (_reload.py).

The engine gets prometheus_reload's options, filled from the run: ``config_file`` is ``path``,
``jobs`` are the jobs of ``content``, ``absent_jobs`` those the run dropped, ``restore`` is the
``files`` list of the run (every file it changed, with the backups the runner made for this),
and the method is ``none`` when nothing changed (nothing to load, the same proof).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._prometheus import RELOAD_TIMESTAMP, PrometheusAPI
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import ScrapeConfigError
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._reload import (
    OPTIONS, Failure, Reloader, option_named,
)

# How the engine's messages name the options, so they name what the user of this module sets.
NAMES = dict((option, "reload." + option) for option in OPTIONS + ("resolve",))
NAMES.update(config_file="path", promtool="validate")


def _reloader(module, **engine):
    """The reload engine for this run: prometheus_reload's options from ``reload``, filled from the
    run (`engine`: jobs, absent_jobs, method, restore), with this module's option names."""
    params = module.params
    options = params["reload"]
    engine = dict(options, config_file=params["path"], keep_backups=params["backup"], preflight=False, promtool=None,
                  paths=[], **engine)
    return Reloader(module, PrometheusAPI.from_params(options), params=engine, names=NAMES)


def _option(failure):
    """The option `failure` is about, by this module's names (None when it names none)."""
    return NAMES.get(failure.option, failure.option) if failure.option else option_named(failure.msg, NAMES)


def check_method(module):
    """Before a run that will change files writes any: Prometheus answers at reload.web_url and
    the reload method can work on this host (_reload.Reloader.check_method). Otherwise the run
    would replace the files only to put them back when the reload cannot go out. Raises
    ScrapeConfigError naming the reload suboption to fix."""
    try:
        _reloader(module, jobs=[], absent_jobs=[], restore=[]).check_method(check_config=False)
    except Failure as failure:
        msg = failure.msg if failure.msg.endswith("(nothing was changed)") else failure.msg + " (nothing was changed)"
        raise ScrapeConfigError(msg, option=_option(failure))


class Live(object):
    """One run's reload. `result` is the runner's (its ``files`` are what a failure puts back);
    `jobs` must be live afterwards and `dropped` gone."""

    def __init__(self, module, result, jobs, dropped, watched=()):
        options = module.params["reload"]
        self.module = module
        self.result = result
        changed = bool(result["files"])
        # Files changed but the user reloads Prometheus: it still runs the old files, so
        # there is nothing to prove now (the role skipped its reload task in this case).
        self.unloaded = changed and options["method"] == "none"
        # Nothing changed now, but an earlier run may have left files Prometheus never loaded
        # (method none, a reload that never came): those are reloaded with `method`.
        self.watched = [] if changed or options["method"] == "none" else list(watched)
        self.method = options["method"]
        self.reloader = _reloader(module, jobs=jobs, absent_jobs=dropped, restore=result["files"],
                                  method=options["method"] if changed else "none")
        self.waiting = False  # the targets are still to be awaited

    def prove(self):
        """Reload when files changed and prove the jobs; with restore_on_down also the targets
        (a target down then puts the files back). Called under the configuration lock, so a
        rollback puts back files no other run has built on."""
        if self.unloaded:
            self.reloader.result.update(method="none", method_reason=(
                "method none was given: Prometheus loads the changed files at its next reload, so they are not "
                "proven now"))
            self.module.warn("reload.method is none: Prometheus runs its previous configuration until it is reloaded; "
                             "the next run with another method reloads it")
            return
        try:
            pending = self.pending()
            if pending:
                self.reloader.params["method"] = self.method
                self.reloader.result["pending_files"] = pending
            self.waiting = self.reloader.go_live()
            if self.waiting and self.reloader.params["restore_on_down"]:
                self.waiting = False
                self.reloader.await_targets()
        except Failure as failure:
            self.fail(failure)

    def finish(self):
        """After the lock: wait for the targets (down targets keep the files), drop the backups
        unless asked to keep them, and add the result."""
        try:
            if self.waiting:
                self.reloader.await_targets()
        except Failure as failure:
            self.fail(failure)
        self.reloader.settle()
        self.report()

    def pending(self):
        """The watched files changed after Prometheus's last successful reload (both clocks are this
        host's), so Prometheus does not run them yet; [] when there is no such reload to compare."""
        if not self.watched:
            return []
        try:
            stamp = self.reloader.metrics().get(RELOAD_TIMESTAMP)
        except Failure:
            return []  # go_live reads Prometheus next, and its message says what to fix
        if not stamp:
            return []
        return [path for path in self.watched if os.path.exists(path) and os.stat(path).st_mtime > stamp]

    def fail(self, failure):
        msg = self.reloader.settle(failure)
        self.report()
        option = _option(failure)
        extra = {"option": option} if option else {}
        extra.update(self.result)
        self.module.fail_json(msg=msg, **extra)

    def report(self):
        """`reload` in the result; backups the engine removed are no longer named in `files`."""
        removed = set(self.reloader.result["backups_removed"])
        for entry in self.result["files"]:
            if entry.get("backup") in removed:
                del entry["backup"]
        if self.result.get("backup_file") in removed:
            del self.result["backup_file"]
        self.result["reload"] = self.reloader.result
        # A reload of files an earlier run left unloaded is a change too.
        self.result["changed"] = self.result["changed"] or bool(self.reloader.result.get("changed"))
