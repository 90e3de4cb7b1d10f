# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: password_fingerprint
short_description: A one-way fingerprint of a password, safe to write into prometheus.yml
version_added: 0.1.0
author:
  - aiven_tools.prometheus developers (@aiven_tools)
description:
  - 12 hex characters that change whenever the password changes and do not reveal it, for
    P(aiven_tools.prometheus.scrape_jobs#filter)'s C(password_fingerprint). A job whose text
    changes with the password makes Prometheus 3.x rebuild its scrape pool on reload and read
    C(password_file) again. The same pattern as the checksum annotations Helm charts put on a
    Deployment so that a changed Secret rolls its pods.
  - PBKDF2-HMAC-SHA256 (Python's C(hashlib)), 100000 rounds, salted with a fixed string of this
    collection plus O(salt), cut to 48 bits. C(prometheus.yml) is often world-readable and the
    endpoint password may be a weak one a user chose; a fast unsalted hash there would let anyone
    who reads the file test guesses at speed, a slow salted one does not.
positional: _input, salt
options:
  _input:
    description: The password. Never shown in an error.
    type: str
    required: true
  salt:
    description: The endpoint's basic-auth user name, so the same password of two endpoints gives two fingerprints.
    type: str
    required: true
seealso:
  - plugin: aiven_tools.prometheus.scrape_jobs
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Fingerprint of the endpoint's password
  ansible.builtin.set_fact:
    aiven_password_fingerprint: "{{ 'first' | aiven_tools.prometheus.password_fingerprint('prometheus') }}"
  # 'c85219d572fb'
"""

RETURN = r"""
_value:
  description: 12 lowercase hex characters; the same for the same password and salt on every run and machine.
  type: str
  sample: c85219d572fb
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_jobs import (
    ScrapeJobsError,
    password_fingerprint as fingerprint,
)


def password_fingerprint(password, salt):
    # A !vault value reaches a filter as AnsibleVaultEncryptedUnicode (ansible-core < 2.19) or
    # EncryptedString (2.19+), str look-alikes that hold the ciphertext; to_text decrypts.
    if hasattr(password, "_ciphertext"):
        password = to_text(password)
    try:
        return fingerprint(password, salt)
    except ScrapeJobsError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {"password_fingerprint": password_fingerprint}
