#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: project_ca
short_description: Fetch an Aiven project's CA certificate
version_added: 0.1.0
description:
  - Returns the project's CA certificate (PEM), which signs the TLS certificates of the
    services' Prometheus endpoints on port 9273. Prometheus verifies the targets with it
    (C(tls_config.ca_file)) instead of skipping verification.
  - With O(dest), also writes it to a file, only when the content differs.
  - Runs where the task runs and needs C(requests) there, so on the controller with
    C(delegate_to=localhost) and C(run_once=true). O(dest) is then a file on the controller; to
    put the CA on a Prometheus host, copy RV(certificate) there (see the examples).
extends_documentation_fragment:
  - aiven_tools.prometheus.aiven
  - aiven_tools.prometheus.aiven.attributes
  - ansible.builtin.files
options:
  dest:
    description:
      - File to write the PEM to, where the module runs. Its directory must exist.
      - Written atomically, and only when the content differs.
    type: path
seealso:
  - name: Aiven documentation, Prometheus integration
    description: Why the project CA is needed to scrape Aiven services.
    link: https://aiven.io/docs/platform/howto/integrations/prometheus-metrics
author:
  - aiven_tools.prometheus developers (@aiven_tools)
"""

EXAMPLES = r"""
# The module runs on the controller, which has requests: delegate_to localhost, once per play.
- name: Read the project CA
  aiven_tools.prometheus.project_ca:
    project: acme-prod
  register: aiven_ca
  delegate_to: localhost
  run_once: true

- name: Put it where Prometheus reads it (on the Prometheus host, which needs no requests)
  ansible.builtin.copy:
    content: "{{ aiven_ca.certificate }}"
    dest: /etc/prometheus/aiven-acme-prod-ca.pem
    mode: "0644"

- name: Or write it on the controller, for a Prometheus that runs there
  aiven_tools.prometheus.project_ca:
    project: acme-prod
    dest: "{{ playbook_dir }}/aiven-acme-prod-ca.pem"
    mode: "0644"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
certificate:
  description: The project CA certificate, PEM encoded. Not a secret.
  returned: success
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIEQTCCAqmgAwIBAgIUB3m...\n-----END CERTIFICATE-----\n"
dest:
  description: The file written or checked.
  returned: when O(dest) is set
  type: str
  sample: /etc/prometheus/aiven-acme-prod-ca.pem
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._project_ca import read_ca, write_ca
from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import aiven_argument_spec, run_module


def fetch(module, api):
    result = {"changed": False, "certificate": read_ca(module, api, module.params["project"])}
    if module.params["dest"]:
        result.update(write_ca(module, result["certificate"], module.params["dest"]))
    return result


def main():
    module = AnsibleModule(
        argument_spec=aiven_argument_spec(dest=dict(type="path")),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    run_module(module, lambda api: fetch(module, api))


if __name__ == "__main__":
    main()
