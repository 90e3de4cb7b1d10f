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
extends_documentation_fragment:
  - aiven_tools.prometheus.prometheus
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
    description: Its O(aiven_tools.prometheus.scrape_config#module:reload) option runs this module's engine in the task that
      places the files, and puts them back itself.
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


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._prometheus import (
    PrometheusAPI, find_pids, hide_web_url_password, reload_argument_spec,
)
# resolve_names and put_back are the engine's, reachable here as they were before it moved.
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._reload import (  # pylint: disable=unused-import
    Failure, Reloader, check_restore, option_named, put_back, resolve_names,
)


def main():
    module = AnsibleModule(
        argument_spec=reload_argument_spec(
            config_file=dict(type="path"),
            jobs=dict(type="list", elements="str", default=[]),
            absent_jobs=dict(type="list", elements="str", default=[]),
            restore=dict(type="list", elements="dict", default=[]),
            keep_backups=dict(type="bool", default=False),
            preflight=dict(type="bool", default=False),
            promtool=dict(type="str"),
            paths=dict(type="list", elements="path", default=[]),
        ),
        mutually_exclusive=[("pid", "pidfile")],
        supports_check_mode=True,
    )
    params = module.params
    hide_web_url_password(module, params["web_url"])
    # find_pids is passed from here, so it is this module's name that a test replaces.
    reloader = Reloader(module, PrometheusAPI.from_params(params), find_pids=find_pids)
    if params["preflight"]:
        try:
            reloader.preflight()
        except Failure as failure:
            module.fail_json(msg=failure.msg, option=failure.option or option_named(failure.msg), **reloader.result)
        module.exit_json(**reloader.result)

    problem = check_restore(params["restore"], module.check_mode)
    if problem:
        module.fail_json(msg=problem, **reloader.result)
    try:
        reloader.run()
    except Failure as failure:
        module.fail_json(msg=reloader.settle(failure), **reloader.result)
    reloader.settle()
    module.exit_json(**reloader.result)


if __name__ == "__main__":
    main()
