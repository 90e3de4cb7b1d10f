#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: prometheus_info
short_description: Read what a Prometheus host scrapes, from its files and from Prometheus itself
version_added: 0.1.0
description:
  - Runs on the Prometheus host and changes nothing. Returns the configuration as Prometheus reads
    it, and what Prometheus makes of it.
  - RV(files) holds the main configuration file O(path) and every file its
    C(scrape_config_files) patterns match, in the order Prometheus loads them, read as YAML.
    Relative patterns are relative to the main file's directory, and patterns match as Go's
    C(filepath.Glob) does (C(*) matches dot files too), as in Prometheus's C(config/config.go).
  - Secrets are never returned. Every value Prometheus treats as a secret (C(basic_auth.password),
    C(authorization.credentials), C(oauth2.client_secret), C(bearer_token), and the like), and the
    password of a URL with credentials, reads C(<secret>), as in Prometheus's own
    C(/api/v1/status/config). This is why the files are returned as data and not as text.
  - RV(ca_files) holds, for every C(tls_config.ca_file) a job names (a relative path resolved
    against the directory of the file holding the job, as Prometheus resolves it), the
    certificates in it, so a caller can tell whether it is the CA it expects. Only the
    C(CERTIFICATE) blocks of those files are returned, never anything else they hold.
  - RV(targets) holds Prometheus's active targets from C(/api/v1/targets), with their health and
    last scrape error.
  - The role C(aiven_tools.prometheus.prometheus_aiven) uses it for C(prometheus_aiven_state=audit),
    with the P(aiven_tools.prometheus.scrape_audit#filter) filter.
  - Needs only Python's standard library on the host; files are read as YAML with PyYAML when
    it is installed, else with the collection's own reader.
author:
  - aiven_tools.prometheus developers (@aiven_tools)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads, so it runs normally in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
    details: The module changes nothing.
options:
  path:
    description:
      - Prometheus's main configuration file, as given to its C(--config.file).
    type: path
    default: /etc/prometheus/prometheus.yml
  timeout:
    description:
      - Seconds to wait for each answer of Prometheus's HTTP API.
    type: int
    default: 10
extends_documentation_fragment:
  - aiven_tools.prometheus.prometheus
seealso:
  - module: aiven_tools.prometheus.scrape_config
  - plugin: aiven_tools.prometheus.scrape_audit
    plugin_type: filter
  - name: Prometheus configuration file
    description: C(scrape_config_files), C(tls_config) and C(basic_auth), as Prometheus reads them.
    link: https://prometheus.io/docs/prometheus/latest/configuration/configuration/#configuration-file
  - name: Prometheus HTTP API, targets
    description: What RV(targets) is read from.
    link: https://prometheus.io/docs/prometheus/latest/querying/api/#targets
"""

EXAMPLES = r"""
- name: Read what this Prometheus scrapes
  aiven_tools.prometheus.prometheus_info:
    path: /etc/prometheus/prometheus.yml
    web_url: http://127.0.0.1:9090
  register: prometheus

- name: Show the targets that are not up, with Prometheus's reason
  ansible.builtin.debug:
    msg: "{{ item.scrapePool }} {{ item.scrapeUrl }}: {{ item.lastError }}"
  loop: "{{ prometheus.targets | rejectattr('health', 'eq', 'up') | list }}"
  loop_control:
    label: "{{ item.scrapeUrl }}"

- name: Show which files Prometheus reads
  ansible.builtin.debug:
    msg: "{{ prometheus.files | map(attribute='path') | list }}"
"""

RETURN = r"""
config_file:
  description: The main configuration file, as an absolute path.
  returned: always
  type: str
  sample: /etc/prometheus/prometheus.yml
files:
  description: The main file, then every file C(scrape_config_files) includes, in Prometheus's order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Absolute path.
      type: str
      sample: /etc/prometheus/scrape_configs.d/aiven-acme-prod.yml
    pattern:
      description: The C(scrape_config_files) entry that matched it; V(null) for the main file.
      type: str
      sample: scrape_configs.d/*.yml
    data:
      description: The file read as YAML, secrets replaced by C(<secret>); V(null) for an empty file.
      type: dict
      sample: {scrape_configs: [{job_name: aivenmetrics, basic_auth: {username: scraper, password: <secret>}}]}
    owners:
      description:
        - The jobs of this file that M(aiven_tools.prometheus.scrape_config) placed, with the owner id
          (C(name)) they were placed for. The main file's are those between its marker comments;
          an included file's are all of its jobs when it is that module's drop-in file.
      type: dict
      sample: {aiven-acme-prod-pg-orders: aiven-acme-prod}
ca_files:
  description: Every C(tls_config.ca_file) the jobs name, once each, sorted.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: Absolute path.
      type: str
      sample: /etc/prometheus/aiven-acme-prod-ca.pem
    certificates:
      description: The PEM C(CERTIFICATE) blocks in the file; V(null) when it cannot be read.
      type: list
      elements: str
      sample: ["-----BEGIN CERTIFICATE-----\nMIIEQTCCAqmgAwIBAgIU...\n-----END CERTIFICATE-----"]
    error:
      description: Why the file cannot be read; V(null) when it can.
      type: str
      sample: "No such file or directory"
targets:
  description:
    - Prometheus's active targets (C(/api/v1/targets) C(activeTargets)), with these keys of each.
  returned: always
  type: list
  elements: dict
  contains:
    scrapePool:
      description: The job.
      type: str
      sample: aiven-acme-prod-pg-orders
    scrapeUrl:
      description: The URL scraped.
      type: str
      sample: https://35.228.10.1:9273/metrics
    health:
      description: V(up), V(down) or V(unknown) (not scraped yet).
      type: str
      sample: down
    lastError:
      description: Why the last scrape failed; empty when it did not.
      type: str
      sample: "server returned HTTP status 401 Unauthorized"
    labels:
      description: The target's labels after relabelling.
      type: dict
      sample: {job: aiven-acme-prod-pg-orders, instance: "35.228.10.1:9273", aiven_service: pg-orders}
    discoveredLabels:
      description: The labels service discovery gave the target, before relabelling.
      type: dict
      sample: {__address__: "35.228.10.1:9273", __meta_dns_name: pg-orders-acme-prod.aivencloud.com}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._audit import (
    AuditError,
    ca_files_to_read,
    file_jobs,
    job_owners,
    pem_certificates,
    redact,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._prometheus import (
    PrometheusAPI, PrometheusError, hide_web_url_password, prometheus_argument_spec,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import (
    FILES_KEY,
    ScrapeConfigError,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.placement import go_glob, read_text
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.proof import (
    Loader,
    as_list,
    as_mapping,
)

TARGET_KEYS = ("scrapePool", "scrapeUrl", "health", "lastError", "labels", "discoveredLabels")


def read_file(path, subject):
    """The text of `path`; `subject` names it in the error (one line, for fail_json)."""
    text = read_text(path)
    if text is None:
        raise ScrapeConfigError("%s does not exist or cannot be read" % subject)
    return text


def config_files(path, loader):
    """[{path, pattern, text, data}]: the main file, then each included file (config.go
    GetScrapeConfigs: each pattern in order, its matches sorted, as filepath.Glob returns them)."""
    text = read_file(path, "The Prometheus configuration file " + path)
    files = [{"path": path, "pattern": None, "text": text, "data": as_mapping(loader.load(text, path), path)}]
    for pattern in as_list(files[0]["data"].get(FILES_KEY)):
        pattern = str(pattern)
        resolved = pattern if os.path.isabs(pattern) else os.path.join(os.path.dirname(path), pattern)
        for found in go_glob(resolved):
            text = read_file(found, "%s (included by %s: %s)" % (found, FILES_KEY, pattern))
            files.append({"path": found, "pattern": pattern, "text": text, "data": loader.load(text, found)})
    return files


def shown(index, entry):
    """What the module returns of a file: no text (it can hold passwords), redacted data, owners."""
    names = [job["name"] for job in file_jobs(entry)]
    return {"path": entry["path"], "pattern": entry["pattern"], "data": redact(entry["data"]),
            "owners": job_owners(entry["text"], entry["path"], names, main=index == 0)}


def ca_file(path):
    """{path, certificates, error}: only the CERTIFICATE blocks, whatever else the file holds."""
    try:
        with open(path, "rb") as handle:
            data = handle.read().decode("utf-8", "replace")
    except (IOError, OSError) as exc:
        return {"path": path, "certificates": None, "error": to_native(exc.strerror or exc)}
    return {"path": path, "certificates": pem_certificates(data), "error": None}


def active_targets(module):
    api = PrometheusAPI.from_params(module.params, timeout=module.params["timeout"])
    return [dict((key, target.get(key)) for key in TARGET_KEYS) for target in api.active_targets()]


def main():
    module = AnsibleModule(
        argument_spec=prometheus_argument_spec(
            path=dict(type="path", default="/etc/prometheus/prometheus.yml"),
            timeout=dict(type="int", default=10),
        ),
        supports_check_mode=True,
    )
    hide_web_url_password(module, module.params["web_url"])
    path = os.path.abspath(module.params["path"])
    try:
        files = config_files(path, Loader())
        result = dict(changed=False, config_file=path, files=[shown(index, entry) for index, entry in enumerate(files)],
                      ca_files=[ca_file(ca) for ca in ca_files_to_read(files)], targets=active_targets(module))
    except (ScrapeConfigError, AuditError, PrometheusError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
