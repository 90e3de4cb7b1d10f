#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: scrape_config
short_description: Place scrape jobs into an existing Prometheus configuration, validated by promtool
version_added: 0.1.0
description:
  - Runs on the Prometheus host and adds, updates or removes one owner's scrape jobs in an
    existing C(prometheus.yml) without taking the file over. Several owners (O(name)) can coexist.
  - With O(style=block) the jobs live inside C(scrape_configs:) between marker comments
    C(# BEGIN aiven_tools.prometheus NAME [scrape_configs]) and C(# END ...). The list
    indentation is taken from the file; the key is created when missing. Everything outside the
    markers stays byte-identical, and O(state=absent) gives back exactly the file from before.
  - With O(style=file) (Prometheus 2.43 or later) the jobs go to their own file
    O(dropin_dir)C(/NAME.yml), and the main file's top-level C(scrape_config_files:) includes it
    through a marked block of its own.
  - Before any live file is replaced, C(promtool check config) validates the main configuration
    as it will be, from a candidate placed in the same directory as the real file (so relative
    paths such as C(rule_files), C(scrape_config_files) and included drop-ins resolve as
    Prometheus resolves them). This also happens in check mode. An invalid candidate changes
    nothing and the task fails with promtool's message.
  - A job name in O(content) that already exists elsewhere (outside this owner's block, in
    another owner's block, or in a file included through C(scrape_config_files)) is an error
    that names the job and where it is.
  - Files are replaced atomically (temporary file in the same directory, then rename) and keep
    their mode and owner. Pure standard library on the Prometheus host (no PyYAML).
  - This module does not reload Prometheus. Notify a handler when it reports a change.
author:
  - aiven_tools.prometheus developers (@aiven_tools)
options:
  path:
    description:
      - The main Prometheus configuration file. It must exist.
    type: path
    required: true
  name:
    description:
      - Owner id of the jobs. Names the marker comments and the drop-in file, so use letters,
        digits, C(.), C(_) or C(-).
    type: str
    required: true
  content:
    description:
      - The owner's scrape jobs, a YAML list in block style with every item starting with
        C(- job_name:) at column 0 (what a template renders).
      - A list of job dictionaries is also accepted and rendered as block YAML.
      - Required when O(state=present).
    type: raw
  style:
    description:
      - V(block) puts the jobs into C(scrape_configs:) of the main file.
      - V(file) writes them to O(dropin_dir)C(/NAME.yml) and includes that file from
        C(scrape_config_files:) (needs Prometheus 2.43 or later; an older promtool is an error).
      - V(auto) is V(file) when C(promtool --version) reports 2.43 or later, else V(block); with
        O(validate) disabled it is V(block).
      - Changing the style of an owner moves its jobs (the old placement is removed).
    type: str
    choices: [auto, block, file]
    default: auto
  state:
    description:
      - V(absent) removes the owner's block(s) and drop-in file, whatever the style.
    type: str
    choices: [present, absent]
    default: present
  validate:
    description:
      - The promtool to validate with (a path, or a command such as C(sudo -u prometheus promtool));
        C(check config FILE) is appended.
      - V(false) or an empty string skips validation (not recommended).
    type: raw
    default: promtool
  dropin_dir:
    description:
      - Directory of the drop-in files for O(style=file). A relative path is relative to the
        directory of O(path), and the include line is then relative too.
      - Created when missing (mode and owner of the configuration's directory) and left in place
        on removal.
      - It must not be matched by an existing C(scrape_config_files) pattern, or the file would
        be loaded twice.
    type: path
    default: scrape_configs.d
  backup:
    description:
      - Keep a timestamped copy of every file before it is replaced or removed. Needed to restore
        the previous state from RV(files) (for example after a failed reload).
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Validation with promtool also runs in check mode; its temporary files are removed.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: One diff per file touched, with headers naming the file.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
notes:
  - Relative paths in jobs (C(ca_file), C(password_file), ...) resolve against the directory of
    the file holding the job, as Prometheus does it; that is the main file's directory for V(block) and the
    drop-in directory for V(file) (the module warns). Prefer absolute paths.
  - File attributes (O(mode), O(owner), O(group), ...) apply to the files this module writes.
    Without them a new drop-in file gets the mode and owner of the main file.
  - If the owner that created C(scrape_configs:) is removed while another owner's block still
    follows it, the key is handed to that block, so whichever goes last restores the file.
seealso:
  - name: Prometheus configuration
    description: C(scrape_config) and C(scrape_config_files).
    link: https://prometheus.io/docs/prometheus/latest/configuration/configuration/
"""

EXAMPLES = r"""
- name: Place the Aiven jobs (block or drop-in file, depending on the Prometheus version)
  aiven_tools.prometheus.scrape_config:
    path: /etc/prometheus/prometheus.yml
    name: aiven-myproject
    content: "{{ lookup('ansible.builtin.template', 'aiven_jobs.yml.j2') }}"
    backup: true
  register: placed
  notify: Reload prometheus

- name: Same jobs, given as data, always inside prometheus.yml
  aiven_tools.prometheus.scrape_config:
    path: /etc/prometheus/prometheus.yml
    name: aiven-myproject
    style: block
    validate: /usr/bin/promtool
    content:
      - job_name: aiven-pg
        scheme: https
        basic_auth:
          username: prom
          password_file: /etc/prometheus/aiven-myproject.password
        tls_config:
          ca_file: /etc/prometheus/aiven-myproject-ca.pem
          server_name: pg-myproject.aivencloud.com
        dns_sd_configs:
          - names: [pg-myproject.aivencloud.com, replica-pg-myproject.aivencloud.com]
            type: A
            port: 9273

- name: Put back what the module changed (e.g. when the reload failed)
  block:
    - name: Restore replaced or removed files
      ansible.builtin.copy:
        src: "{{ item.backup }}"
        dest: "{{ item.path }}"
        remote_src: true
        mode: "{{ item.mode }}"
        owner: "{{ item.owner }}"
        group: "{{ item.group }}"
      loop: "{{ placed.files | selectattr('backup', 'defined') }}"
    - name: Remove files it created
      ansible.builtin.file:
        path: "{{ item.path }}"
        state: absent
      loop: "{{ placed.files | selectattr('action', 'eq', 'created') }}"

- name: Remove the owner's jobs (block, include line and drop-in file)
  aiven_tools.prometheus.scrape_config:
    path: /etc/prometheus/prometheus.yml
    name: aiven-myproject
    state: absent
"""

RETURN = r"""
style:
  description: The style used (V(auto) resolved); V(absent) runs report the requested style.
  returned: always
  type: str
  sample: file
prometheus_version:
  description: Version reported by C(promtool --version), when promtool was run.
  returned: when validation is enabled
  type: str
  sample: 2.53.3
jobs:
  description: Job names in O(content).
  returned: when O(state=present)
  type: list
  elements: str
  sample: [aiven-pg]
dropin_file:
  description: Absolute path of the owner's drop-in file.
  returned: when the style is V(file) and O(state=present)
  type: str
  sample: /etc/prometheus/scrape_configs.d/aiven-myproject.yml
validated:
  description: Whether promtool checked the candidate (false when nothing changed or validation is off).
  returned: always
  type: bool
backup_file:
  description: Backup of the main configuration file.
  returned: when O(backup=true) and the main file changed (not in check mode)
  type: str
  sample: /etc/prometheus/prometheus.yml.2133.2026-01-01@10:00:00~
files:
  description:
    - Every file changed (in check mode, that would change), in the order the module changes
      them; enough to undo the run exactly with ordinary tasks (see EXAMPLES).
    - For V(updated) and V(removed) files, copy RV(files[].backup) back to RV(files[].path) with
      RV(files[].mode), RV(files[].owner) and RV(files[].group). For V(created) files, delete
      RV(files[].path).
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Absolute path of the file.
      type: str
      sample: /etc/prometheus/prometheus.yml
    action:
      description: What the module did to it.
      type: str
      choices: [created, updated, removed]
    backup:
      description: Copy of the file as it was before.
      type: str
      returned: when O(backup=true), the file existed and not in check mode
    mode:
      description: Mode of the file before the change (octal string).
      type: str
      returned: when the file existed
      sample: "0640"
    owner:
      description: Owner of the file before the change (name, or uid when it has no name).
      type: str
      returned: when the file existed
    group:
      description: Group of the file before the change (name, or gid when it has no name).
      type: str
      returned: when the file existed
diff:
  description: Before and after text of each file touched (in diff mode, C(--diff)).
  returned: when diff mode is on and something changed
  type: list
  elements: dict
"""

import os
import shlex
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.aiven_tools.prometheus.plugins.module_utils.scrape_config import (
    DEFAULT_DROPIN_DIR, FILE_STYLE_MIN_VERSION, Placement, ScrapeConfigError, parse_content, parse_version,
    relative_paths,
)

try:
    import grp
    import pwd
except ImportError:  # pragma: no cover - not on POSIX
    grp = pwd = None


def promtool_argv(module):
    value = module.params["validate"]
    if value is None or value is False or (isinstance(value, str) and value.strip().lower() in ("", "false", "no")):
        return None
    if value is True:
        value = "promtool"
    argv = shlex.split(str(value))
    if os.sep not in argv[0]:
        found = module.get_bin_path(argv[0])
        if not found:
            module.fail_json(msg="promtool %r was not found on the Prometheus host; install it (Debian: package "
                                 "prometheus) or set validate to its path, or validate: false to skip" % argv[0])
        argv[0] = found
    elif not os.access(argv[0], os.X_OK):
        module.fail_json(msg="promtool %s does not exist or is not executable; set validate to the right path"
                             % argv[0])
    return argv


def stat_info(path):
    st = os.stat(path)
    info = {"mode": "%04o" % (st.st_mode & 0o7777)}
    try:
        info["owner"] = pwd.getpwuid(st.st_uid).pw_name
    except (KeyError, AttributeError):
        info["owner"] = str(st.st_uid)
    try:
        info["group"] = grp.getgrgid(st.st_gid).gr_name
    except (KeyError, AttributeError):
        info["group"] = str(st.st_gid)
    return info


class Runner(object):
    def __init__(self, module):
        self.module = module
        self.temps = []
        self.temp_dirs = []

    def temp_file(self, directory, base, text):
        fd, path = tempfile.mkstemp(dir=directory, prefix="." + base + ".", suffix=".aiven-tools-candidate")
        self.temps.append(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(to_bytes(text))
            handle.flush()
            os.fsync(handle.fileno())
        return path

    def ensure_dir(self, directory, like):
        if os.path.isdir(directory):
            return False
        parent = os.path.dirname(directory)
        if not os.path.isdir(parent):
            self.module.fail_json(msg="cannot create drop-in directory %s: %s does not exist" % (directory, parent))
        st = os.stat(like)
        os.mkdir(directory, st.st_mode & 0o7777)
        os.chmod(directory, st.st_mode & 0o7777)
        try:
            os.chown(directory, st.st_uid, st.st_gid)
        except OSError:
            pass
        return True

    def cleanup(self):
        for path in self.temps:
            if os.path.exists(path):
                os.unlink(path)
        for path in reversed(self.temp_dirs):
            try:
                os.rmdir(path)
            except OSError:
                pass


def validate(module, runner, promtool, placement, changes, style, state):
    """promtool check config on the main file as it will be, placed next to the real one."""
    main, dropin = changes
    if not (main.changed or (dropin.changed and dropin.after is not None)):
        return False
    content = module.params["content"]
    replace = {}
    if state == "present" and style == "file":
        created = runner.ensure_dir(placement.dropin_dir, placement.config_dir)
        if created and module.check_mode:
            runner.temp_dirs.append(placement.dropin_dir)
        dropin_tmp = runner.temp_file(placement.dropin_dir, os.path.basename(placement.dropin_path), dropin.after)
        replace[dropin_tmp] = placement.dropin_path
        entry = os.path.relpath(dropin_tmp, placement.config_dir)
        if entry.startswith(".."):
            entry = dropin_tmp
        main_text = placement.plan(state, style, content, dropin_entry=entry)[0].after
    else:
        main_text = main.after
    main_tmp = runner.temp_file(placement.config_dir, os.path.basename(placement.config_path), main_text)
    replace[main_tmp] = placement.config_path
    rc, out, err = module.run_command(promtool + ["check", "config", main_tmp])
    if rc != 0:
        message = (out + err).strip()
        for tmp, real in replace.items():
            message = message.replace(tmp, real + " (candidate)")
            message = message.replace(os.path.relpath(tmp, placement.config_dir), real + " (candidate)")
        runner.cleanup()
        module.fail_json(msg="promtool rejected the new configuration, nothing was changed: %s\n%s"
                             % (message.splitlines()[-1] if message else "rc=%d" % rc, message),
                         promtool_output=message, rc=rc)
    return True


def write_atomic(module, runner, path, text):
    tmp = runner.temp_file(os.path.dirname(path), os.path.basename(path), text)
    module.atomic_move(tmp, path, unsafe_writes=module.params["unsafe_writes"])
    runner.temps.remove(tmp)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            name=dict(type="str", required=True),
            content=dict(type="raw"),
            style=dict(type="str", default="auto", choices=["auto", "block", "file"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            validate=dict(type="raw", default="promtool"),
            dropin_dir=dict(type="path", default=DEFAULT_DROPIN_DIR),
            backup=dict(type="bool", default=False),
        ),
        required_if=[("state", "present", ["content"])],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    state = params["state"]
    result = dict(changed=False, files=[], validated=False)

    promtool = promtool_argv(module)
    version = None
    if promtool:
        rc, out, err = module.run_command(promtool + ["--version"])
        version = parse_version(out + err)
        if rc != 0 or version is None:
            module.fail_json(msg="could not read the version of %s (rc=%d): %s" % (
                " ".join(promtool), rc, (out + err).strip()))
        result["prometheus_version"] = "%d.%d.%d" % version

    style = params["style"]
    if style == "auto":
        style = "file" if version and version[:2] >= FILE_STYLE_MIN_VERSION else "block"
    elif style == "file" and version and version[:2] < FILE_STYLE_MIN_VERSION:
        module.fail_json(msg="style=file needs Prometheus 2.43 or later (scrape_config_files), but %s reports "
                             "%s; use style=block or style=auto" % (promtool[0], result["prometheus_version"]))
    result["style"] = style

    runner = Runner(module)
    try:
        placement = Placement(params["path"], params["name"], params["dropin_dir"])
        if state == "present":
            job_lines, result["jobs"] = parse_content(params["content"])
            if style == "file":
                result["dropin_file"] = placement.dropin_path
                for key, value in relative_paths(job_lines):
                    module.warn("%s: %s is relative: in a drop-in file Prometheus resolves it against %s, not "
                                "the main config's directory; prefer absolute paths"
                                % (key, value, placement.dropin_dir))
        changes = placement.plan(state, style, params["content"])
        if promtool:
            result["validated"] = validate(module, runner, promtool, placement, changes, style, state)
    except ScrapeConfigError as exc:
        runner.cleanup()
        module.fail_json(msg=to_native(exc), **result)
    except (IOError, OSError) as exc:
        runner.cleanup()
        module.fail_json(msg="%s: %s" % (getattr(exc, "filename", None) or params["path"], to_native(exc)),
                         **result)
    runner.cleanup()

    main_change, dropin_change = changes
    # Order: write the drop-in before the main file names it; drop the include before the file.
    ordered = [main_change, dropin_change] if dropin_change.after is None else [dropin_change, main_change]
    diffs = []
    for change in ordered:
        if not change.changed:
            continue
        entry = {"path": change.path, "action": change.action}
        if change.before is not None:
            entry.update(stat_info(change.path))
        diffs.append({"before_header": change.path, "after_header": change.path,
                      "before": change.before or "", "after": change.after or ""})
        result["files"].append(entry)
        result["changed"] = True
        if module.check_mode:
            continue
        if params["backup"] and change.before is not None:
            entry["backup"] = module.backup_local(change.path)
            if change.path == placement.config_path:
                result["backup_file"] = entry["backup"]
        try:
            if change.after is None:
                os.unlink(change.path)
                continue
            if change.path == placement.dropin_path:
                runner.ensure_dir(placement.dropin_dir, placement.config_dir)
            write_atomic(module, runner, change.path, change.after)
            if change.before is None:
                st = os.stat(placement.config_path)
                os.chmod(change.path, st.st_mode & 0o7777)
                try:
                    os.chown(change.path, st.st_uid, st.st_gid)
                except OSError:
                    pass
        except (IOError, OSError) as exc:
            runner.cleanup()
            module.fail_json(msg="could not write %s: %s" % (change.path, to_native(exc)), **result)

    if state == "present":
        targets = [placement.config_path] + ([placement.dropin_path] if style == "file" else [])
        for path in targets:
            if os.path.exists(path) or not module.check_mode:
                file_args = module.load_file_common_arguments(params, path=path)
                result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
