# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What an audit finds on one Prometheus host: the Aiven project against the scrape jobs.

PRIVATE to the collection (the interface can change at any time). Pure functions, standard
library only, no I/O: prometheus_info uses the file-side ones (file_jobs, job_owners, redact,
ca_files_to_read, pem_certificates) on the Prometheus host, where it reads the files as YAML and
Prometheus's targets; the scrape_audit filter calls audit() on the controller with that and what
the API modules read from Aiven.

Inputs (audit() takes them all):

* services: ALL services of the project, as service_info returns them: [{service_name,
  service_type, state, prometheus_integrations: [{id, endpoint_id, endpoint_name, active}],
  targets: [{host, port, route, usage}], hosts?: [every component host name]}]. A service's
  host names are its ``prometheus`` components' hosts on every route (aiven-api.md 4.2, 4.4),
  plus ``hosts`` when the view carries it (every component, so a service without an
  integration is recognised too).
* files: what Prometheus reads, the main file first, as prometheus_info returns them: [{path,
  data, owners}], ``data`` the parsed YAML (a dict, secrets redacted), ``owners`` {job name:
  owner id} of the jobs the collection placed (job_owners()). Jobs come from ``scrape_configs``
  of each (Prometheus's config/config.go: the main file's own, then each file of
  ``scrape_config_files``, in order).
* targets: Prometheus's ``/api/v1/targets`` activeTargets: [{scrapePool, scrapeUrl, health,
  lastError, labels, discoveredLabels}] (Prometheus HTTP API docs, "Targets").

A finding is {kind, service, job, detail}; ``service`` and ``job`` are None when the finding is
about neither; ``detail`` is one line and never holds a password (a password found inline is
named by its job and file, never by its value).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

from collections.abc import Mapping

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import (
    COLLECTION, JOBS_KEY, ScrapeConfigError,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.document import Document

# The kinds, in the order a report lists them (issue 15).
KINDS = ("no_endpoint", "not_integrated", "powered_off", "not_scraped", "stale_job",
         "unmanaged_job", "tls_unverified", "password_inline", "target_down")

RUNNING = "RUNNING"  # aiven-api.md 4.1: POWEROFF | REBALANCING | REBUILDING | RUNNING

# The first line of a drop-in file the scrape_config module wrote (_scrape_config/content.py
# render_dropin); jobs it placed in the main file are inside its marker comments (document.py).
_DROPIN_HEAD_RE = re.compile(r"^# %s (?P<owner>\S+): managed by Ansible" % re.escape(COLLECTION))
_PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)

# Prometheus's secret fields (prometheus/common config.Secret and the service discoveries'
# secrets: basic_auth.password, authorization.credentials, oauth2.client_secret, bearer_token,
# consul token, EC2/Lightsail/Scaleway secret_key, Marathon auth_token, OpenStack password and
# application_credential_secret, http_headers secrets). Prometheus's /api/v1/status/config
# shows each as "<secret>" (config.Secret.MarshalYAML); so does prometheus_info.
SECRET = "<secret>"
SECRET_KEYS = frozenset(["password", "credentials", "bearer_token", "client_secret", "token", "secret_key",
                         "auth_token", "application_credential_secret", "secrets"])
_URL_PASSWORD_RE = re.compile(r"(://[^/@:\s]*:)[^/@\s]+@")


class AuditError(ValueError):
    """Input the audit cannot read; str() is one line naming what is wrong."""


def finding(kind, service=None, job=None, detail=""):
    if kind not in KINDS:
        raise AuditError("unknown finding kind %r" % (kind,))
    return {"kind": kind, "service": service, "job": job, "detail": detail}


# -- what the collection placed ------------------------------------------------------------------

def block_owners(text, path, names):
    """{job_name: owner} of those of `names` that are inside one of the collection's marked
    blocks of a main file (``# BEGIN aiven_tools.prometheus <owner> [scrape_configs] ...``, the
    role's owner is ``aiven-<project>``), read by the scrape_config module's own line editor."""
    try:
        document = Document(text, path)
    except ScrapeConfigError as exc:
        raise AuditError("cannot tell which jobs %s placed: %s" % (COLLECTION, exc))
    owners = {}
    for name in names:
        owner = document.job_location(name)[1]
        if owner:
            owners[name] = owner
    return owners


def dropin_owner(text):
    """The owner named on the first line of a drop-in file the collection wrote, else None."""
    match = _DROPIN_HEAD_RE.match(text.lstrip("\ufeff").split("\n", 1)[0])
    return match.group("owner") if match else None


def file_jobs(entry):
    """[{name, file, config}] of the scrape_configs of one file {path, data}."""
    data = entry.get("data")
    if data is None:
        return []  # an empty file: no jobs (Prometheus reads it as empty too)
    if not isinstance(data, Mapping):
        raise AuditError("%s: not a YAML mapping (Prometheus reads a mapping with scrape_configs)" % entry["path"])
    items = data.get(JOBS_KEY) or []
    if not all(isinstance(job, Mapping) and "job_name" in job for job in items):
        raise AuditError("%s: a scrape_configs item without job_name" % entry["path"])
    return [{"name": str(job["job_name"]), "file": entry["path"], "config": job} for job in items]


def job_owners(text, path, names, main):
    """{job name: owner id} of those of `names` (the jobs of the file at `path`) that the
    collection placed: in the main file the ones inside its marked blocks, in an included file
    all of them when its first line names an owner."""
    if main:
        return block_owners(text, path, names)
    owner = dropin_owner(text)
    return dict.fromkeys(names, owner) if owner else {}


def config_jobs(files):
    """[{name, file, owner, config}] of every job Prometheus reads, in its order; ``owner`` is
    the owner id of the collection's block or drop-in holding the job, None for a job it did
    not place. files: [{path, data, owners}] (see the module docstring)."""
    jobs = []
    for entry in files:
        owners = entry.get("owners") or {}
        jobs.extend(dict(job, owner=owners.get(job["name"])) for job in file_jobs(entry))
    return jobs


# -- secrets -------------------------------------------------------------------------------------

def redact(value):
    """`value` with every secret replaced by SECRET: the values of SECRET_KEYS, and the password
    of a URL with credentials (http://user:password@host), as Prometheus shows them itself."""
    if isinstance(value, Mapping):
        return dict((key, SECRET if key in SECRET_KEYS and value[key] not in (None, "") else redact(value[key]))
                    for key in value)
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return _URL_PASSWORD_RE.sub(r"\1%s@" % SECRET, value)
    return value


# -- which hosts a job scrapes -------------------------------------------------------------------

def _items(value):
    return value if isinstance(value, list) else []


def _mapping(value):
    return value if isinstance(value, Mapping) else {}


def address_host(target):
    """The host of a static target: 'h:9273' -> 'h', '[::1]:9273' -> '::1', 'h' -> 'h'."""
    target = str(target).strip()
    if target.startswith("["):
        return target[1:].split("]", 1)[0]
    if target.count(":") == 1:
        return target.split(":", 1)[0]
    return target


def normal_host(name):
    """A host name as compared: lower case, no trailing dot (an absolute DNS name is the same host)."""
    return str(name).strip().rstrip(".").lower()


def job_hosts(config):
    """Every host a job names: its dns_sd_configs names, static targets' hosts and
    tls_config.server_name, normalised (normal_host)."""
    hosts = set()
    for sd in _items(config.get("dns_sd_configs")):
        hosts.update(normal_host(name) for name in _items(_mapping(sd).get("names")))
    for static in _items(config.get("static_configs")):
        hosts.update(normal_host(address_host(t)) for t in _items(_mapping(static).get("targets")))
    server_name = _mapping(config.get("tls_config")).get("server_name")
    if server_name:
        hosts.add(normal_host(server_name))
    hosts.discard("")
    return hosts


def host_index(services):
    """{host: service_name} of every host name of every service (see the module docstring)."""
    index = {}
    for service in services:
        names = [t.get("host") for t in service.get("targets") or []] + list(service.get("hosts") or [])
        for name in names:
            if name:
                index[normal_host(name)] = service["service_name"]
    return index


def _label_service(config):
    """The aiven_service label a job of the collection sets: static_configs labels, a relabel
    rule writing it (dns_sd), or the file_sd keep rule's regex ('<service>;<server name>')."""
    for static in _items(config.get("static_configs")):
        value = _mapping(_mapping(static).get("labels")).get("aiven_service")
        if value:
            return str(value)
    for rule in _items(config.get("relabel_configs")):
        rule = _mapping(rule)
        if rule.get("target_label") == "aiven_service" and "replacement" in rule and not rule.get("source_labels"):
            return str(rule["replacement"]).replace("$$", "$")
        if rule.get("action") == "keep" and _items(rule.get("source_labels"))[:1] == ["aiven_service"]:
            return re.sub(r"\\(.)", r"\1", str(rule.get("regex") or "")).split(";")[0] or None
    return None


def _name_service(name, prefix, known):
    """The service in a job name '<prefix><service>[-<usage>][-N]' (the role's names)."""
    if not name.startswith(prefix):
        return None
    rest = name[len(prefix):]
    for service in sorted(known, key=len, reverse=True):
        if rest == service or rest.startswith(service + "-"):
            return service
    return re.sub(r"(-replica)?(-[0-9]+)?$", "", rest) or None


def owned_service(job, job_prefix, project, known):
    """The service a job of the collection scrapes: its label, else its name."""
    return _label_service(job["config"]) or _name_service(job["name"], "%s%s-" % (job_prefix, project), known)


# -- TLS and credentials -------------------------------------------------------------------------

def pem_certificates(text):
    """The PEM CERTIFICATE blocks in a text, each whole; nothing else of it."""
    return [match.group(0) for match in _PEM_RE.finditer(text or "")]


def certificates(pem):
    """The certificates in a PEM text (or a list of them), as base64 bodies without white space."""
    pem = "\n".join(pem) if isinstance(pem, list) else pem
    return set(re.sub(r"\s+", "", match.group(1)) for match in _PEM_RE.finditer(pem or ""))


def resolve(path, directory):
    """A path as Prometheus resolves it: relative to the directory of the file holding the job
    (config.JoinDir; an included file's jobs get its own directory, config.go GetScrapeConfigs)."""
    return posixpath.normpath(posixpath.join(directory, path))


def ca_file_of(job):
    """The absolute tls_config.ca_file of a job, None without one."""
    path = _mapping(job["config"].get("tls_config")).get("ca_file")
    return resolve(str(path), posixpath.dirname(job["file"])) if path else None


def tls_problems(job, ca_certificate, ca_files):
    """Why a job's TLS does not verify Aiven's certificates against the project CA; [] if it does.

    ca_files: {absolute path: its certificates (PEM text or blocks), or None when the host could
    not read it}; a path not in it was not read and is not judged. ca_certificate: the project
    CA's PEM.
    """
    config = job["config"]
    tls = _mapping(config.get("tls_config"))
    problems = []
    if str(config.get("scheme") or "http").lower() != "https":
        problems.append("scheme is %s (Aiven serves its metrics over https only)"
                        % (config.get("scheme") or "http, the default"))
    if tls.get("insecure_skip_verify") is True:
        problems.append("tls_config.insecure_skip_verify is true, so any certificate is accepted")
    project_ca = certificates(ca_certificate)
    path = ca_file_of(job)
    if not path and not tls.get("ca"):
        problems.append("no tls_config.ca_file: the project CA is not used")
    elif path and path in ca_files:
        if ca_files[path] is None:
            problems.append("tls_config.ca_file %s cannot be read on this host" % path)
        elif project_ca and not project_ca & certificates(ca_files[path]):
            problems.append("tls_config.ca_file %s does not hold the project CA" % path)
    elif tls.get("ca") and project_ca and not project_ca & certificates(tls["ca"]):
        problems.append("tls_config.ca does not hold the project CA")
    return problems


def password_inline(job):
    """Whether the job's basic-auth password is written in the configuration itself."""
    return bool(_mapping(job["config"].get("basic_auth")).get("password"))


# -- the findings --------------------------------------------------------------------------------

def _integrated(service, endpoint):
    """Whether the service has a Prometheus integration to the endpoint (none without one)."""
    endpoint_id = (endpoint or {}).get("id")
    return bool(endpoint_id) and any(i.get("endpoint_id") == endpoint_id
                                     for i in service.get("prometheus_integrations") or [])


def _other_endpoints(service, endpoint_name):
    names = set(i.get("endpoint_name") or i.get("endpoint_id") for i in service.get("prometheus_integrations") or [])
    return sorted(names - set([endpoint_name]))


def _not_running(state):
    """powered_off's detail. POWEROFF services have no nodes; REBUILDING and REBALANCING ones
    list their prometheus targets again once RUNNING (aiven-api.md 4.1)."""
    if state == "POWEROFF":
        return "state POWEROFF: the service has no nodes to scrape"
    return "state %s, not RUNNING: its targets are listed again once it runs" % state


def service_findings(project, endpoint_name, endpoint, services, selected, covered):
    """no_endpoint, powered_off, not_integrated and not_scraped.

    covered: {service: [job, ...]} of the services some job on this host scrapes.
    """
    findings = []
    if not (endpoint and endpoint.get("id")):
        findings.append(finding("no_endpoint", detail="project %s has no Prometheus integration endpoint named %s"
                                % (project, endpoint_name)))
    for service in services:
        name = service["service_name"]
        if name not in selected:
            continue
        if service.get("state") != RUNNING:
            findings.append(finding("powered_off", name, detail=_not_running(service.get("state"))))
        elif not _integrated(service, endpoint):
            others = _other_endpoints(service, endpoint_name)
            findings.append(finding("not_integrated", name, detail="no Prometheus integration to endpoint %s%s"
                                    % (endpoint_name, "; it has one to %s" % ", ".join(others) if others else "")))
        elif name not in covered:
            hosts = sorted(set(t.get("host") for t in service.get("targets") or [] if t.get("host")))
            findings.append(finding("not_scraped", name, detail="integrated, but no job on this host scrapes %s"
                                    % (", ".join(hosts) or "it")))
    return findings


def job_findings(jobs, project, owner, job_prefix, services, selected, index, ca_certificate, ca_files):
    """stale_job, unmanaged_job, tls_unverified and password_inline, and what each job scrapes.

    Returns (findings, {job name: [service, ...]} of the jobs that scrape this project).
    """
    findings, scraping = [], {}
    known = [s["service_name"] for s in services]
    for job in jobs:
        covers = sorted(set(index[h] for h in job_hosts(job["config"]) if h in index))
        if job["owner"] == owner:
            service = owned_service(job, job_prefix, project, known)
            covers = sorted(set(covers) | set([service] if service else []))
            if service not in known:
                findings.append(finding("stale_job", service, job["name"], "service %s no longer exists in project %s"
                                        % (service, project)))
            elif service not in selected:
                findings.append(finding("stale_job", service, job["name"],
                                        "service %s is no longer selected (prometheus_aiven_services, "
                                        "prometheus_aiven_service_query)" % service))
        elif job["owner"] is None and covers:
            findings.append(finding("unmanaged_job", ", ".join(covers), job["name"],
                                    _replacement(job, covers, selected, project, job_prefix)))
        elif not covers:
            continue
        scraping[job["name"]] = covers
        label = ", ".join(covers) or None
        problems = tls_problems(job, ca_certificate, ca_files)
        if problems:
            findings.append(finding("tls_unverified", label, job["name"], "; ".join(problems)))
        if password_inline(job):
            findings.append(finding("password_inline", label, job["name"],
                                    "basic_auth.password is written in %s; use basic_auth.password_file" % job["file"]))
    return findings, scraping


def _replacement(job, covers, selected, project, job_prefix):
    """unmanaged_job's detail: where the job is and what the role would put in its place."""
    parts = []
    for service in covers:
        if service in selected:
            parts.append("%s (the role's job: %s%s-%s)" % (service, job_prefix, project, service))
        else:
            parts.append("%s (not selected: the role leaves it alone)" % service)
    return "not placed by %s, in %s; scrapes %s" % (COLLECTION, job["file"], ", ".join(parts))


def target_findings(targets, scraping, known):
    """target_down: every target of a job scraping this project that is not up, with its lastError."""
    findings = []
    for target in targets:
        job = target.get("scrapePool") or _mapping(target.get("labels")).get("job")
        if job not in scraping or target.get("health") == "up":
            continue
        service = _mapping(target.get("labels")).get("aiven_service")
        if service not in known:
            service = ", ".join(scraping[job]) or None
        detail = target.get("lastError") or "health %s, no error reported yet" % (target.get("health") or "unknown")
        findings.append(finding("target_down", service, job, detail))
    return findings


def summary(findings):
    """{kind: count} for every kind, zeros included, so a reader sees every check ran."""
    counts = dict((kind, 0) for kind in KINDS)  # ordered as KINDS (Python 3.7+ dicts keep order)
    for item in findings:
        counts[item["kind"]] += 1
    return counts


def audit(project, endpoint_name, endpoint, services, selected, files, targets, owner=None,
          job_prefix="aiven-", ca_certificate=None, ca_files=None):
    """{"findings": [...], "summary": {kind: count}} for one Prometheus host.

    endpoint: the integration endpoint ({id, name, ...}; id None or no endpoint: it does not
    exist). selected: names of the services the role's selection picks. owner: the owner id of
    the role's jobs (``aiven-<project>``, the default). ca_files: prometheus_info's
    [{path, certificates (None: unreadable)}], or the {path: certificates} of tls_problems().
    """
    if isinstance(ca_files, list):
        ca_files = dict((entry["path"], entry.get("certificates")) for entry in ca_files)
    if not isinstance(services, list) or not all(isinstance(s, Mapping) and s.get("service_name") for s in services):
        raise AuditError("services: give service_info's services (a list of dicts with service_name)")
    selected = set(selected or [])
    unknown = sorted(selected - set(s["service_name"] for s in services))
    if unknown:
        raise AuditError("selected services not in project %s: %s" % (project, ", ".join(unknown)))
    owner = owner or "aiven-%s" % project
    known = [s["service_name"] for s in services]
    jobs = config_jobs(files)
    found, scraping = job_findings(jobs, project, owner, job_prefix, services, selected, host_index(services),
                                   ca_certificate, ca_files or {})
    covered = set(name for names in scraping.values() for name in names)
    findings = service_findings(project, endpoint_name, endpoint, services, selected, covered)
    findings += found + target_findings(targets or [], scraping, known)
    findings.sort(key=lambda item: KINDS.index(item["kind"]))  # stable: discovery order within a kind
    return {"findings": findings, "summary": summary(findings)}


def ca_files_to_read(files):
    """Sorted absolute tls_config.ca_file paths of every job in `files` ({path, data})."""
    return sorted(set(path for entry in files for path in map(ca_file_of, file_jobs(entry)) if path))


def table(findings):
    """The findings as lines of a table (KIND, SERVICE, JOB, DETAIL), or one line saying none."""
    if not findings:
        return ["No findings."]
    header = ("KIND", "SERVICE", "JOB", "DETAIL")
    rows = [(f["kind"], f["service"] or "-", f["job"] or "-", f["detail"]) for f in findings]
    widths = [max(len(row[column]) for row in rows + [header]) for column in range(3)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3]
            for row in [header] + rows]
