# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One run of the scrape_config module: lock, plan, prove, validate with promtool, write.

PRIVATE to the collection: it can change at any time.

Order of a run that changes something (not in check mode):

1. take the lock next to the configuration file (files.py), then read every file;
2. plan the edit and prove it (placement.py, proof.py); with ``reload``, check that Prometheus
   answers and the reload method can work, so that files are not replaced only to be put back;
3. present: write the companion files (their content and attributes), so promtool sees the
   files the jobs reference (it checks cert/key files);
4. validate with promtool a candidate placed next to the real file; if it fails, run promtool
   on the current configuration to tell "already broken" from "broken by this change"; then a
   probe: a candidate with the first job twice must fail with promtool's duplicate-job error,
   which proves Prometheus reads the jobs where they were placed. Any failure puts the companion
   files back and changes nothing;
5. write the drop-in and the main file (drop-in first: the main file names it), or on absent the
   main file first, then remove the drop-in and the companion files;
6. with ``reload`` (live.py), still under the lock: reload when a file changed and prove the jobs
   live, or put every changed file back (from backups made for it) and reload onto them; then,
   without the lock, wait for the targets.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shlex
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import (
    FILE_STYLE_MIN_VERSION, ScrapeConfigError, about, parse_version,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.content import relative_paths
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.files import (
    FileLock, lock_path, plan_companions, stat_info,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.placement import Placement
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.proof import Loader

_DUPLICATE = "found multiple scrape configs with job name "


class _NoLock(object):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Scratch(object):
    """Temporary candidate files (and a drop-in directory made for them in check mode)."""

    def __init__(self, module):
        self.module = module
        self.temps = []
        self.dirs = []

    def file(self, directory, base, text):
        fd, path = tempfile.mkstemp(dir=directory, prefix="." + base + ".", suffix=".aiven-tools-candidate")
        self.temps.append(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(to_bytes(text))
            handle.flush()
            os.fsync(handle.fileno())
        return path

    def ensure_dir(self, directory, like, temporary=False):
        """Create `directory` with the mode and owner of `like` when missing; True if created."""
        if os.path.isdir(directory):
            return False
        parent = os.path.dirname(directory)
        if not os.path.isdir(parent):
            raise ScrapeConfigError("cannot create drop-in directory %s: %s does not exist" % (directory, parent),
                                    option="dropin_dir")
        st = os.stat(like)
        os.mkdir(directory, st.st_mode & 0o7777)
        os.chmod(directory, st.st_mode & 0o7777)
        try:
            os.chown(directory, st.st_uid, st.st_gid)
        except OSError:
            pass
        if temporary:
            self.dirs.append(directory)
        return True

    def cleanup(self):
        for path in self.temps:
            if os.path.exists(path):
                os.unlink(path)
        self.temps = []
        for path in reversed(self.dirs):
            try:
                os.rmdir(path)
            except OSError:
                pass
        self.dirs = []


def promtool_argv(module):
    """The promtool command as a list, or None when validation is off."""
    value = module.params["validate"]
    if value is None or value is False or (isinstance(value, str) and value.strip().lower() in ("", "false", "no")):
        return None
    if value is True:
        value = "promtool"
    argv = shlex.split(str(value))
    if os.sep not in argv[0]:
        found = module.get_bin_path(argv[0])
        if not found:
            raise ScrapeConfigError("promtool %r was not found on the Prometheus host; install it (Debian: package "
                                    "prometheus) or set validate to its path, or validate: false to skip" % argv[0],
                                    option="validate")
        argv[0] = found
    elif not os.access(argv[0], os.X_OK):
        raise ScrapeConfigError("promtool %s does not exist or is not executable; set validate to the right path"
                                % argv[0], option="validate")
    return argv


class Run(object):
    """The state of one module run (see the module docstring for the order of things)."""

    def __init__(self, module, loader=None):
        self.module = module
        self.params = module.params
        self.loader = loader or Loader()
        self.scratch = Scratch(module)
        self.result = dict(changed=False, files=[], validated=False, yaml_reader="pyyaml" if self.loader.pyyaml
                           else "builtin")
        self.diffs = []
        self.applied = []  # companion files already written, to put back on failure
        self.promtool = None
        self.placement = None
        # A failed reload puts every changed file back from its backup, so reload needs them.
        self.backup = self.params["backup"] or self.params["reload"] is not None

    def fail(self, msg, **extra):
        self.scratch.cleanup()
        self.put_back()
        result = dict(self.result)
        result.update(extra)
        self.module.fail_json(msg=msg, **result)

    def put_back(self):
        for companion in reversed(self.applied):
            companion.restore(self.params["unsafe_writes"])
        self.applied = []

    def promtool_check(self, path):
        rc, out, err = self.module.run_command(self.promtool + ["check", "config", path])
        return rc, (out + err).strip()

    # -- style -------------------------------------------------------------------------------

    def resolve_style(self):
        style = self.params["style"]
        version = None
        if self.promtool:
            rc, out, err = self.module.run_command(self.promtool + ["--version"])
            version = parse_version(out + err)
            if rc != 0 or version is None:
                raise ScrapeConfigError("could not read the version of %s (rc=%d): %s" % (
                    " ".join(self.promtool), rc, " ".join((out + err).split())), option="validate")
            self.result["prometheus_version"] = "%d.%d.%d" % version
        if style == "auto":
            style = "file" if version and version[:2] >= FILE_STYLE_MIN_VERSION else "block"
        elif style == "file" and version and version[:2] < FILE_STYLE_MIN_VERSION:
            raise ScrapeConfigError("style=file needs Prometheus 2.43 or later (scrape_config_files), but %s reports "
                                    "%s; use style=block or style=auto" % (self.promtool[0],
                                                                           self.result["prometheus_version"]),
                                    option="style")
        self.result["style"] = style
        return style

    # -- validation --------------------------------------------------------------------------

    def _real_names(self, message, replace):
        for tmp, real in replace.items():
            message = message.replace(tmp, real + " (candidate)")
            message = message.replace(os.path.relpath(tmp, self.placement.config_dir), real + " (candidate)")
        return message

    def _candidate(self, plan, dropin_text, probe=False):
        """Write the candidate main file (and drop-in) next to the real ones; {temp: real}."""
        placement = self.placement
        replace = {}
        dropin_tmp = None
        if dropin_text is not None:
            # Made for validation only: a failed run leaves no empty directory behind.
            self.scratch.ensure_dir(placement.dropin_dir, placement.config_dir, temporary=True)
            dropin_tmp = self.scratch.file(placement.dropin_dir, os.path.basename(placement.dropin_path), dropin_text)
            replace[dropin_tmp] = placement.dropin_path
        main_text = plan.validation_main(dropin_tmp, probe=probe)
        main_tmp = self.scratch.file(placement.config_dir, os.path.basename(placement.config_path), main_text)
        replace[main_tmp] = placement.config_path
        return main_tmp, replace

    def validate(self, plan, companions_changed):
        """promtool on the configuration as it will be; then the probe. Raises ScrapeConfigError."""
        placement = self.placement
        main, dropin = plan.main, plan.dropin
        writes_dropin = dropin.changed and dropin.after is not None
        if not (main.changed or writes_dropin):
            if not companions_changed:
                return False
            rc, message = self.promtool_check(placement.config_path)
            if rc != 0:
                raise ScrapeConfigError("promtool rejects %s with the new companion files, nothing was changed: %s"
                                        % (placement.config_path, _one_line(message)))
            return True
        dropin_text = dropin.after if (plan.state == "present" and plan.style == "file") else None
        main_tmp, replace = self._candidate(plan, dropin_text)
        rc, message = self.promtool_check(main_tmp)
        if rc != 0:
            message = self._real_names(message, replace)
            self.scratch.cleanup()
            current_rc, current = self.promtool_check(placement.config_path)
            if current_rc != 0:
                self.result["promtool_output"] = current
                raise ScrapeConfigError(
                    "the current configuration %s already fails promtool check config, so nothing was changed; fix "
                    "it first: %s" % (placement.config_path, _one_line(current)))
            self.result["promtool_output"] = message
            raise ScrapeConfigError("promtool rejected the new configuration, nothing was changed (%s): %s"
                                    % (placement.config_path, _one_line(message)))
        self.scratch.cleanup()
        if plan.state == "present" and plan.jobs:
            self.probe(plan)
        return True

    def probe(self, plan):
        """The first job twice must give promtool's duplicate-job error: then Prometheus reads the
        owner's jobs as scrape configs where they were placed (not ignored, not elsewhere)."""
        dropin_text = plan.probe_dropin() if plan.style == "file" else None
        main_tmp, _replace = self._candidate(plan, dropin_text, probe=plan.style == "block")
        rc, message = self.promtool_check(main_tmp)
        self.scratch.cleanup()
        if rc == 0 or (_DUPLICATE + json.dumps(plan.jobs[0], ensure_ascii=False)) not in message:
            raise ScrapeConfigError(
                "promtool does not read owner %r's jobs from where they would be placed in %s (a candidate with job %r "
                "twice %s), so Prometheus would not load them; nothing was changed" % (
                    self.placement.name, self.placement.config_path, plan.jobs[0],
                    "passed" if rc == 0 else "failed otherwise: %s" % _one_line(message)))

    # -- writing -----------------------------------------------------------------------------

    def record(self, change):
        """Add a config file change to `files` and the diff; write it unless in check mode."""
        module = self.module
        placement = self.placement
        entry = {"path": change.path, "action": change.action}
        if change.before is not None:
            entry.update(stat_info(change.path))
        self.diffs.append({"before_header": change.path, "after_header": change.path,
                           "before": change.before or "", "after": change.after or ""})
        self.result["files"].append(entry)
        self.result["changed"] = True
        if module.check_mode:
            return
        if self.backup and change.before is not None:
            entry["backup"] = module.backup_local(change.path)
            if change.path == placement.real_path:
                self.result["backup_file"] = entry["backup"]
        if change.after is None:
            os.unlink(change.path)
            return
        if change.path == placement.dropin_real:
            self.scratch.ensure_dir(os.path.dirname(change.path), placement.config_dir)
        tmp = self.scratch.file(os.path.dirname(change.path), os.path.basename(change.path), change.after)
        try:
            module.atomic_move(tmp, change.path, unsafe_writes=self.params["unsafe_writes"])
        except Exception as exc:  # ansible-core >= 2.19 raises a bare Exception here
            raise ScrapeConfigError(
                "could not replace %s: %s%s" % (change.path, " ".join(to_native(exc).split()),
                                                "" if self.params["unsafe_writes"] else
                                                "; if it cannot be replaced by rename (a single-file bind mount), "
                                                "set unsafe_writes: true"))
        self.scratch.temps.remove(tmp)
        if change.before is None:
            st = os.stat(placement.real_path)
            os.chmod(change.path, st.st_mode & 0o7777)
            try:
                os.chown(change.path, st.st_uid, st.st_gid)
            except OSError:
                pass

    def companion(self, companion):
        self.diffs.append(companion.diff())
        self.result["changed"] = True
        if self.module.check_mode:
            entry = {"path": companion.path, "action": companion.action}
            if companion.stat is not None:
                entry.update(stat_info(companion.path))
            self.result["files"].append(entry)
            return
        self.result["files"].append(companion.apply(self.module, self.backup, self.params["unsafe_writes"]))
        self.applied.append(companion)

    # -- the run -----------------------------------------------------------------------------

    def set_attributes(self, style):
        """The file attributes (mode, owner, ...) on the configuration files of a present run."""
        placement = self.placement
        for path in [placement.real_path] + ([placement.dropin_real] if style == "file" else []):
            if os.path.exists(path) or not self.module.check_mode:
                file_args = self.module.load_file_common_arguments(self.params, path=path)
                self.result["changed"] = self.module.set_fs_attributes_if_different(file_args, self.result["changed"])

    def go_live(self, plan):
        """The reload option: reload and prove (live.py); returns what is left to finish."""
        # Imported here: a run without reload does not load the reload engine.
        from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.live import Live

        self.scratch.cleanup()
        watched = [self.placement.real_path, self.placement.dropin_real] + [f["path"] for f in self.params["files"]]
        live = Live(self.module, self.result, plan.jobs, plan.dropped_jobs() if self.result["files"] else [],
                    watched if self.params["state"] == "present" else [])
        live.prove()
        return live

    def run(self):
        params = self.params
        state = params["state"]
        live = None
        try:
            self.promtool = promtool_argv(self.module)
            style = self.resolve_style()
            # A configuration that is not there gets no lock file next to it (Placement says why it fails).
            locked = not self.module.check_mode and os.path.exists(os.path.realpath(params["path"]))
            with (FileLock(lock_path(os.path.realpath(params["path"]))) if locked else _NoLock()):
                self.placement = placement = Placement(params["path"], params["name"], params["dropin_dir"],
                                                       self.loader)
                with about("files"):
                    companions = [c for c in plan_companions(params["files"], state,
                                                             (placement.real_path, placement.dropin_real)) if c.changed]
                plan = placement.plan(state, style, params["content"])
                if params["reload"] is not None and params["reload"]["method"] != "none" and (
                        companions or any(change.changed for change in plan.changes)):
                    from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.live import (
                        check_method,
                    )
                    check_method(self.module)
                if state == "present":
                    self.result["jobs"] = plan.jobs
                    if style == "file":
                        self.result["dropin_file"] = placement.dropin_path
                        for key, value in relative_paths(plan.lines):
                            self.module.warn("%s: %s is relative: in a drop-in file Prometheus resolves it against %s, "
                                             "not the main config's directory; prefer absolute paths"
                                             % (key, value, placement.dropin_dir))
                    for companion in companions:
                        self.companion(companion)
                main, dropin = plan.changes
                # Nothing to replace: the live files are what Prometheus already runs, and
                # validating them again would only slow down every idempotent run.
                if self.promtool and (companions or main.changed or dropin.changed):
                    self.result["validated"] = self.validate(plan, bool(companions) and state == "present")
                for change in ([dropin, main] if dropin.after is not None else [main, dropin]):
                    if change.changed:
                        self.record(change)
                if state == "absent":
                    for companion in companions:
                        self.companion(companion)
                self.applied = []
                if state == "present":
                    self.set_attributes(style)
                if params["reload"] is not None:
                    # Under the lock: a failure puts back the files from before this run, which
                    # no other run may have built on in the meantime.
                    live = self.go_live(plan)
        except ScrapeConfigError as exc:
            self.fail(to_native(exc), **({"option": exc.option} if exc.option else {}))
        except (IOError, OSError) as exc:
            self.fail("%s: %s" % (getattr(exc, "filename", None) or params["path"], to_native(exc)))
        self.scratch.cleanup()
        if live is not None:
            live.finish()
        if self.module._diff and self.diffs:
            self.result["diff"] = self.diffs
        self.module.exit_json(**self.result)


def _one_line(message):
    """promtool's output as one line, without its "Checking FILE" headers."""
    lines = [line.strip() for line in (message or "").splitlines()
             if line.strip() and not line.startswith("Checking ")]
    return " ".join(lines) if lines else "(no output)"


def run_module(module):
    """Everything the scrape_config module does, given its AnsibleModule."""
    Run(module).run()
