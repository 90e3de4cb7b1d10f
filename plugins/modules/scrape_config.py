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
    through a marked block of its own. When a C(scrape_config_files) pattern of the main file
    already matches that file (for example C(scrape_configs.d/*.yml), the layout of a main file
    owned by another tool), only the drop-in file is written and the main file is not touched.
  - O(files) places companion files the jobs reference (CA, password file, file_sd targets)
    in the same run, before the configuration (see the option).
  - "A success means Prometheus will load exactly these jobs. Before anything is replaced, the
    module proves three things, also in check mode: (1) the candidate, read as YAML, is the
    original plus exactly this owner's jobs or include line (minus them on O(state=absent)),
    every other top-level key and every other job unchanged, and the drop-in holds exactly the
    jobs; (2) C(promtool check config) accepts the candidate placed in the same directory as the
    real file (so relative paths such as C(rule_files), C(scrape_config_files) and included
    drop-ins resolve as Prometheus resolves them); (3) a probe candidate with the owner's first
    job written twice makes promtool fail with its duplicate-job error, which shows Prometheus's
    own parser reads the jobs where they were placed. Any failure changes nothing and the task
    fails with one line saying why."
  - How (1) reads YAML depends on the Prometheus host. With PyYAML importable by the Python
    that runs the module, PyYAML's SafeLoader reads both files. Without it (a minimal Debian's
    python3 has no PyYAML), a YAML reader built into the collection does, from the standard library. It
    reads block and flow style, quoted and multi-line scalars, literal and folded block
    scalars, anchors, aliases and merge keys, document markers and a byte order mark, and gives
    the same data as PyYAML for those (tested against PyYAML). It refuses, naming the line, YAML
    tags, complex C(? ) keys, anchors or aliases as keys and tabs outside quotes; install PyYAML
    (Debian C(python3-yaml)) for files that use them. RV(yaml_reader) says which one was used.
  - "Shapes of C(prometheus.yml) that are edited: CRLF or LF line ends, no final newline, a
    UTF-8 byte order mark, C(%YAML) directives, C(---) and a document end C(...) around the one
    document, top-level keys at any indentation (the first key's column counts), quoted keys,
    comments anywhere, an anchor on the key (C(scrape_configs: &jobs)), lists indented under or
    flush with their key, empty values (C(scrape_configs: []), C(~), nothing), jobs written in
    flow style (C(- {job_name: x})), keys in any order."
  - "Shapes that are refused, with a message naming the shape and what to do: a flow-style
    (JSON) file, unless its C(scrape_config_files) already matches the drop-in (then style
    V(file) works without editing it); a non-empty flow-style C(scrape_configs: [...]) for style
    V(block) or C(scrape_config_files: [...]) for style V(file) (rewrite as a block list, or use
    the other style, or make the pattern match the drop-in); a second YAML document; an alias or
    a tag as the list's value; line breaks other than LF and CRLF. A job name in O(content) that
    already exists elsewhere (outside this owner's block, in another owner's block, in a flow-style
    job, or in a file included through C(scrape_config_files)) is an error naming the job and
    where it is. A configuration that already fails promtool is reported as such
    (C(the current configuration ... already fails promtool check config)), not as a rejected
    change."
  - "A file without a final newline: appending a block adds the one newline the file's last line
    needs (the only byte that changes outside the markers) and the block ends without one;
    O(state=absent) removes that newline again, so the file is restored byte for byte."
  - Runs on one configuration file are serialized by an exclusive lock on a file next to it
    (C(.NAME.lock), for example C(.prometheus.yml.lock); created once and left in place; not
    taken in check mode, which writes nothing), held from
    reading the files to replacing them, so concurrent owners never lose each other's jobs.
  - A symlinked configuration file (or drop-in) is edited in its target and the link is kept;
    relative paths still resolve against the link's directory, as Prometheus resolves them.
    Files are replaced atomically (temporary file in the same directory, then rename) and keep
    their mode and owner; with O(unsafe_writes) a file that cannot be replaced by rename (a
    single-file bind mount into a container) is written in place instead.
  - Pure standard library on the Prometheus host (PyYAML only when present).
  - With O(reload) the same task reloads Prometheus, proves the jobs are live and waits for their
    targets, or puts every file it changed back (see the option). Without it, the module does not
    talk to Prometheus; reload it (a handler notified on a change) or use
    M(aiven_tools.prometheus.prometheus_reload).
author:
  - aiven_tools.prometheus developers (@aiven_tools)
options:
  path:
    description:
      - The main Prometheus configuration file, as Prometheus is given it (C(--config.file)). It
        must exist. A symlink is followed for reading and writing.
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
      - The owner's scrape jobs, a YAML list in block style with every item starting with C(- )
        at column 0 (what a template renders); items may be written in flow style.
      - A list of job dictionaries is also accepted and rendered as block YAML.
      - Required when O(state=present).
    type: raw
  files:
    description:
      - Companion files of the jobs (project CA, basic-auth password file, file_sd targets),
        written in the same run and under the same lock as the configuration.
      - With O(state=present) they are written before the configuration (the jobs reference
        them), only when their content or attributes differ, atomically; a new file has its
        final mode, owner and group from its first byte, so a password file is never readable
        by others. promtool then validates the configuration with these files in place (it
        checks cert and key files); if validation fails they are put back as they were and
        nothing changes. In check mode nothing is written and promtool sees the current files.
      - With O(state=absent) each O(files[].path) is removed after the configuration no longer
        references it (O(files[].content) is not needed). So is a file with
        O(files[].state=absent) in a run with O(state=present), before the configuration is
        replaced (for example the file_sd targets of jobs that now use static targets); it is
        put back with the rest when the run fails.
      - Each file changed is reported in RV(files) like the configuration files. The diff shows
        the path and the attributes, and the content only of files whose mode lets others read
        them (Ansible masks even that in its output, since O(files[].content) is C(no_log)); for
        the others it says C(content changed).
      - A symlink is followed; the target is written.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path of the file. Its directory must exist.
        type: path
        required: true
      content:
        description: The file's content (text). Never logged. Required with O(state=present) unless
          O(files[].state=absent).
        type: str
      state:
        description: V(absent) removes the file (nothing to do when it is not there); O(state=absent)
          removes every file whatever this says.
        type: str
        choices: [present, absent]
        default: present
      mode:
        description: Octal mode, for example C('0640') for a password file read by Prometheus's group.
        type: raw
        default: '0644'
      owner:
        description: Owner (name or uid). Default the current owner, or the user running the module for a new file.
        type: str
      group:
        description: Group (name or gid). Default the current group, or the user's group for a new file.
        type: str
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
      - V(absent) removes the owner's block(s), drop-in file and O(files), whatever the style.
    type: str
    choices: [present, absent]
    default: present
  validate:
    description:
      - The promtool to validate with (a path, or a command such as C(sudo -u prometheus promtool));
        C(check config FILE) is appended.
      - V(false) or an empty string skips validation and the promtool probe (not recommended);
        the YAML proof still runs.
    type: raw
    default: promtool
  dropin_dir:
    description:
      - Directory of the drop-in files for O(style=file). A relative path is relative to the
        directory of O(path), and the include line is then relative too.
      - Created when missing (mode and owner of the configuration's directory) and left in place
        on removal.
      - If an existing C(scrape_config_files) pattern already matches O(dropin_dir)C(/NAME.yml),
        no include line is added (two matching patterns are an error, as the file would be
        loaded twice).
    type: path
    default: scrape_configs.d
  backup:
    description:
      - Keep a timestamped copy of every file before it is replaced or removed (configuration,
        drop-in and O(files)). Needed to restore the previous state from RV(files) (for example
        after a failed reload).
      - With O(reload) the copies are made in any case (a failure puts the files back from them);
        this option says whether they stay after the run.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.files
  - aiven_tools.prometheus.prometheus.reload
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The YAML proof, validation with promtool and the probe also run in check mode; their temporary files are removed.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: One diff per file touched, with headers naming the file; files not readable by others show no content.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
notes:
  - Relative paths in jobs (C(ca_file), C(password_file), ...) resolve against the directory of
    the file holding the job, as Prometheus does it; that is the main file's directory for V(block) and the
    drop-in directory for V(file) (the module warns). Prefer absolute paths.
  - File attributes (O(mode), O(owner), O(group), ...) apply to the configuration files this
    module writes. Without them a new drop-in file gets the mode and owner of the main file.
    O(files) carry their own.
  - If the owner that created C(scrape_configs:) is removed while another owner's block still
    follows it, the key is handed to that block, so whichever goes last restores the file.
  - The job order relative to other owners' jobs is not part of the proof (Prometheus does not
    depend on it); C(null), C([]) and a missing key count as "no jobs".
seealso:
  - module: aiven_tools.prometheus.prometheus_reload
    description: The same reload, proof and rollback as a task of its own, and a preflight of the Prometheus host.
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

- name: Jobs and the files they reference, in one run (files first, then the validated config)
  aiven_tools.prometheus.scrape_config:
    path: /etc/prometheus/prometheus.yml
    name: aiven-myproject
    content: "{{ lookup('ansible.builtin.template', 'aiven_jobs.yml.j2') }}"
    backup: true
    files:
      - path: /etc/prometheus/aiven-myproject-ca.pem
        content: "{{ project_ca_pem }}"
      - path: /etc/prometheus/aiven-myproject.password
        content: "{{ scrape_password }}"
        mode: "0640"
        owner: root
        group: prometheus
  register: placed

- name: >-
    Place the jobs and their files, reload Prometheus, prove the jobs are live and wait for their
    targets; a failure puts every file back and reloads Prometheus onto them
  aiven_tools.prometheus.scrape_config:
    path: /etc/prometheus/prometheus.yml
    name: aiven-myproject
    content: "{{ lookup('ansible.builtin.template', 'aiven_jobs.yml.j2') }}"
    files:
      - path: /etc/prometheus/aiven-myproject-ca.pem
        content: "{{ project_ca_pem }}"
      - path: /etc/prometheus/aiven-myproject.password
        content: "{{ scrape_password }}"
        mode: "0640"
        group: prometheus
    reload:
      web_url: http://127.0.0.1:9090
      resolve: [pg-myproject.aivencloud.com]
      targets_up: true
  register: live

- name: Put back what the module changed (without the reload option, e.g. when a later reload failed)
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

- name: Remove the owner's jobs (block, include line and drop-in file) and its files; prove Prometheus dropped them
  aiven_tools.prometheus.scrape_config:
    path: /etc/prometheus/prometheus.yml
    name: aiven-myproject
    state: absent
    files:
      - path: /etc/prometheus/aiven-myproject-ca.pem
      - path: /etc/prometheus/aiven-myproject.password
    reload: {}
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
  description:
    - Whether promtool checked the candidate (and, for O(state=present), the probe showed the
      jobs are read where they were placed). False when nothing changed or validation is off.
  returned: always
  type: bool
yaml_reader:
  description:
    - What read the files as YAML for the proof; V(pyyaml) when PyYAML is importable on the
      host, else V(builtin) (the collection's standard-library reader).
  returned: always
  type: str
  choices: [pyyaml, builtin]
  sample: builtin
backup_file:
  description: Backup of the main configuration file.
  returned: when O(backup=true) and the main file changed (not in check mode); with O(reload), also when
    putting the files back failed (the backup is still needed then)
  type: str
  sample: /etc/prometheus/prometheus.yml.2133.2026-01-01@10:00:00~
files:
  description:
    - Every file changed (in check mode, that would change), in the order the module changes
      them (O(files) first, then the drop-in, then the main file; the reverse on
      O(state=absent)); enough to undo the run exactly with ordinary tasks (see EXAMPLES).
    - Paths are the files written, so for a symlink its target.
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
      returned: when O(backup=true), the file existed and not in check mode; with O(reload), also when
        putting the files back failed (the copy is still needed then)
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
reload:
  description:
    - What O(reload) did, as M(aiven_tools.prometheus.prometheus_reload) returns it (the same keys).
  returned: when O(reload) is set
  type: dict
  contains:
    changed:
      description: Whether a reload was sent (in check mode, would be).
      type: bool
    web_url:
      description: The Prometheus address used.
      type: str
      sample: http://127.0.0.1:9090
    version:
      description: Prometheus's version (C(/api/v1/status/buildinfo)).
      type: str
      returned: when Prometheus was asked
      sample: 2.53.3
    lifecycle:
      description: Whether Prometheus runs with C(--web.enable-lifecycle).
      type: bool
      returned: when Prometheus was asked
    method:
      description: The method used; V(auto) resolved, V(none) when nothing changed.
      type: str
      sample: http
    method_reason:
      description: Why that method.
      type: str
      sample: "auto: the lifecycle API is enabled (--web.enable-lifecycle), so POST /-/reload"
    pid:
      description: The process that got SIGHUP.
      type: int
      returned: when the method is V(signal)
    reload_timestamp_before:
      description: C(prometheus_config_last_reload_success_timestamp_seconds) before the reload (Unix seconds).
      type: float
      returned: when Prometheus was read
    reload_timestamp_after:
      description: The same after the reload.
      type: float
      returned: when a reload was sent and Prometheus answered
    reload_successful:
      description: Whether Prometheus reported the reload as successful (timestamp moved, flag 1).
      type: bool
      returned: when a reload was sent
    restore_reload_successful:
      description: Whether Prometheus reported the reload of the restored files as successful.
      type: bool
      returned: when the files were put back after a reload
    restore_reload_timestamp_after:
      description: C(prometheus_config_last_reload_success_timestamp_seconds) after that reload.
      type: float
      returned: when the files were put back after a reload
    scrape_pools_failed_before:
      description: C(prometheus_target_scrape_pools_failed_total) before the reload.
      type: float
      returned: when Prometheus was read
    scrape_pools_failed_after:
      description: C(prometheus_target_scrape_pools_failed_total) when the wait for the jobs ended.
      type: float
      returned: when jobs were awaited
    live_jobs:
      description: Every scrape pool Prometheus runs, when the wait for the jobs ended.
      type: list
      elements: str
      returned: when jobs were awaited
    missing_jobs:
      description: Jobs of O(content) that are not live.
      type: list
      elements: str
      returned: when jobs were awaited
    stale_jobs:
      description: Jobs this run removed that are still live.
      type: list
      elements: str
      returned: when jobs were awaited
    targets:
      description: The targets of each job, when the wait for them ended.
      type: dict
      returned: when O(reload.targets_up=true)
      sample:
        aiven-acme-prod-pg:
          - scrape_url: https://10.0.0.5:9273/metrics
            health: up
            last_error: ""
            labels: {job: aiven-acme-prod-pg, instance: "10.0.0.5:9273"}
    pending_files:
      description:
        - Files of this run that nothing changed now but that were newer than Prometheus's last
          successful reload, so this run reloaded them (see O(reload)).
      type: list
      elements: str
      returned: when a run that changed nothing found such files
      sample: [/etc/prometheus/scrape_configs.d/aiven-acme-prod.yml]
    resolved:
      description: The addresses each name of O(reload.resolve) resolved to on this host.
      type: dict
      returned: when O(reload.resolve) is set
      sample: {pg-acme-prod.aivencloud.com: [203.0.113.10, 203.0.113.11]}
    restored:
      description:
        - The files put back after a failure, in the order restored. C(action) is V(restored)
          (copied back from C(backup)) or V(removed) (the run had created it).
      type: list
      elements: dict
      returned: when files were put back
      sample: [{path: /etc/prometheus/prometheus.yml, action: restored,
                backup: "/etc/prometheus/prometheus.yml.2133.2026-01-01@10:00:00~"}]
    backups_removed:
      description: Backups removed after the run (all of them unless O(backup=true)).
      type: list
      elements: str
option:
  description:
    - On failure, the option the message asks to fix when it names exactly one, so a caller (a
      role) can name its own setting for it. V(path), V(name), V(content), V(files), V(style),
      V(validate) or V(dropin_dir) for this module's checks; V(reload.web_url), V(reload.unit),
      V(reload.pid), V(reload.pidfile) or V(path) for the reload (V(path) when the process to
      signal is looked up by the configuration file); V(reload.resolve) when names of
      O(reload.resolve) do not resolve on the host.
  returned: on a failure that names one option
  type: str
  sample: reload.web_url
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._prometheus import (
    hide_web_url_password, reload_argument_spec,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import DEFAULT_DROPIN_DIR
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.runner import run_module


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            name=dict(type="str", required=True),
            content=dict(type="raw"),
            files=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                content=dict(type="str", no_log=True),
                state=dict(type="str", default="present", choices=["present", "absent"]),
                mode=dict(type="raw", default="0644"),
                owner=dict(type="str"),
                group=dict(type="str"),
            )),
            style=dict(type="str", default="auto", choices=["auto", "block", "file"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            validate=dict(type="raw", default="promtool"),
            dropin_dir=dict(type="path", default=DEFAULT_DROPIN_DIR),
            backup=dict(type="bool", default=False),
            reload=dict(type="dict", options=reload_argument_spec(), mutually_exclusive=[("pid", "pidfile")]),
        ),
        required_if=[("state", "present", ["content"])],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    hide_web_url_password(module, (module.params["reload"] or {}).get("web_url"))
    run_module(module)


if __name__ == "__main__":
    main()
