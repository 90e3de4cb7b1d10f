# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options that reach Prometheus's HTTP API (prometheus_reload, prometheus_info; argument
    # spec: plugins/module_utils/_prometheus.py prometheus_argument_spec()).
    DOCUMENTATION = r"""
options:
  web_url:
    description:
      - Prometheus's web address as seen from the Prometheus host (where the module runs), without
        C(/api/v1).
      - A C(user:password@) in it (C(https://prom:secret@127.0.0.1:9090)) is sent as basic auth; the
        password is masked like a no_log option (C(********)), in messages, results and the -vvv invocation.
    type: str
    default: http://127.0.0.1:9090
  validate_certs:
    description:
      - Verify Prometheus's TLS certificate when the web address is C(https://).
    type: bool
    default: true
"""

    # scrape_config's reload option: the reload engine (plugins/module_utils/_reload.py) driven by
    # what the run placed (argument spec: _prometheus.py reload_argument_spec()). Its suboptions
    # are those of prometheus_reload that a caller chooses; the rest (config file, jobs, files to
    # restore) come from the run. Ansible merges a fragment's options into the top level only, and
    # ansible-test reads fragments as plain strings, so web_url and validate_certs are written
    # again here, word for word (tests/unit/plugins/modules/test_scrape_config.py checks it).
    RELOAD = r"""
options:
  reload:
    description:
      - Make Prometheus load what this run placed and prove that it did, in the same task, with the
        engine of M(aiven_tools.prometheus.prometheus_reload). When not set, the module does not
        talk to Prometheus. V({}) reloads with every default.
      - When this run changed a file, Prometheus is reloaded (O(reload.method)). Then every job of
        O(content) must be a live scrape pool within O(reload.jobs_timeout), and every job this
        run removed (all of the owner's with O(state=absent)) must be gone; with
        O(reload.targets_up=true) every target of the jobs must be up within
        O(reload.targets_timeout).
      - "When nothing changed, nothing is reloaded and the same proof runs (the jobs are live, and
        their targets are up when asked), and the task reports no change. Unless a file of this
        run (the configuration, the drop-in file, O(files)) is newer than Prometheus's last
        successful reload (C(prometheus_config_last_reload_success_timestamp_seconds)): an
        earlier run left it unloaded (O(reload.method=none), a reload that never came), so it is
        reloaded now with O(reload.method), listed in C(reload.pending_files), and the task
        reports a change."
      - A run that is to change a file first asks Prometheus at O(reload.web_url) (unless
        O(reload.method=none)), and fails before writing anything when nothing answers there.
      - "Any failure after a change puts back every file this run changed (RV(files), in reverse
        order: replaced and removed files from their backups, created files removed), reloads
        Prometheus onto them when a reload went out, and fails with both reasons. Prometheus never
        stays on a configuration that was not proven: one it rejects, one it loads without a job
        (an unreadable C(tls_config.ca_file) makes Prometheus drop the job and still report a
        successful reload), or one whose C(dns_sd_configs) names this host cannot resolve
        (O(reload.resolve))."
      - "Targets that stay down are the exception: Prometheus loaded the jobs and scrapes them as
        soon as the targets answer (Aiven needs about a minute after an integration is enabled), so
        the files stay and the failure says so, unless O(reload.restore_on_down=true)."
      - Every file replaced or removed is backed up for this whatever O(backup) says; O(backup)
        says whether the backups stay after the run.
      - The configuration's lock is held until the jobs are proven live or everything is put back,
        so a concurrent run never builds on files that are about to be put back. The wait for the
        targets happens after the lock is released (under it with O(reload.restore_on_down=true)).
      - With O(reload.method=none), a run that changed files neither reloads nor asks Prometheus
        (it loads them at its next reload, so nothing can be proven yet) and warns so; a run that
        changed nothing still proves.
      - In check mode Prometheus is read (which method V(auto) picks, the process to signal, the
        O(reload.resolve) names), nothing is reloaded and RV(reload.changed) says whether a reload
        would be sent.
      - On failure, RV(option) names the suboption to fix (for example V(reload.web_url)) when the
        message asks to fix one.
    type: dict
    suboptions:
      web_url:
        description:
          - Prometheus's web address as seen from the Prometheus host (where the module runs), without
            C(/api/v1).
          - A C(user:password@) in it (C(https://prom:secret@127.0.0.1:9090)) is sent as basic auth; the
            password is masked like a no_log option (C(********)), in messages, results and the -vvv invocation.
        type: str
        default: http://127.0.0.1:9090
      validate_certs:
        description:
          - Verify Prometheus's TLS certificate when the web address is C(https://).
        type: bool
        default: true
      method:
        description:
          - How to make Prometheus load its files when this run changed one.
          - V(http) sends C(POST /-/reload), which needs C(--web.enable-lifecycle); Prometheus answers
            at once, with its own error message when it rejects the configuration.
          - V(systemd) runs C(systemctl reload) O(reload.unit) (Debian's unit sends SIGHUP).
          - V(signal) sends SIGHUP to O(reload.pid), to the PID in O(reload.pidfile), or to the one
            process running C(prometheus --config.file=)O(path) (found in C(/proc)).
          - V(auto) is V(http) when C(/api/v1/status/flags) reports C(web.enable-lifecycle) true,
            else V(systemd).
          - V(none) reloads nothing (see above).
        type: str
        choices: [auto, http, systemd, signal, none]
        default: auto
      timeout:
        description:
          - Seconds the reload itself may take, until Prometheus reports it (the HTTP request, or
            the reload timestamp moving after SIGHUP or systemd).
        type: int
        default: 30
      unit:
        description:
          - The systemd unit of Prometheus, for O(reload.method=systemd).
        type: str
        default: prometheus
      pid:
        description:
          - PID of Prometheus, for O(reload.method=signal). Not together with O(reload.pidfile).
        type: int
      pidfile:
        description:
          - File holding Prometheus's PID, for O(reload.method=signal).
        type: path
      jobs_timeout:
        description:
          - Seconds to wait for the jobs to be live scrape pools (and the removed ones to be gone).
            Prometheus 2.x creates new scrape pools on a 5 second tick after a reload.
        type: int
        default: 30
      targets_up:
        description:
          - Also wait until every job of O(content) has at least one target and every target is up.
            On timeout the module fails with a line per target (job, scrape URL, health, last
            error) and C(no targets discovered) for a job without any.
        type: bool
        default: false
      targets_timeout:
        description:
          - Seconds to wait for the targets with O(reload.targets_up=true).
        type: int
        default: 180
      restore_on_down:
        description:
          - Also put the files back when targets are still down after O(reload.targets_timeout).
        type: bool
        default: false
      resolve:
        description:
          - DNS names that must resolve on this host before the reload, such as the names of the
            jobs' C(dns_sd_configs). Prometheus resolves them with this host's resolver, and a name
            that does not resolve would only show as a job without targets.
          - Checked with this host's C(getaddrinfo); the module fails naming every name that does
            not resolve, and puts the files back.
        type: list
        elements: str
        default: []
      record_types:
        description:
          - Address family O(reload.resolve) asks for. V(A) for C(dns_sd_configs) of type A (what
            Aiven's documentation uses), V(AAAA) for type AAAA, V(both) accepts either.
        type: str
        choices: [A, AAAA, both]
        default: A
"""
