# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Files on the Prometheus host: the lock per configuration file, atomic writes, companion files.

PRIVATE to the collection: it can change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import tempfile
import time

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import (
    FileChange, ScrapeConfigError,
)

try:
    import grp
    import pwd
except ImportError:  # pragma: no cover - not on POSIX
    grp = pwd = None

# Errors of a rename onto a file that cannot be replaced (a single-file bind mount: EBUSY; a
# file on another file system: EXDEV); with unsafe_writes the content is written in place.
_IN_PLACE_ERRNOS = (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES, errno.ETXTBSY)
LOCK_TIMEOUT = 120


def lock_path(config_real_path):
    """The lock file next to the (real) configuration file: one lock per file, whatever the link."""
    return os.path.join(os.path.dirname(config_real_path), "." + os.path.basename(config_real_path) + ".lock")


class FileLock(object):
    """An exclusive fcntl.flock on `path` (created 0600 when missing, left in place), waited for
    up to `timeout` seconds (default LOCK_TIMEOUT). Serializes read-validate-replace of one
    configuration across runs; the kernel drops it when its process ends."""

    def __init__(self, path, timeout=None, interval=0.05):
        self.path = path
        self.timeout = LOCK_TIMEOUT if timeout is None else timeout
        self.interval = interval
        self.fd = None

    def __enter__(self):
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ScrapeConfigError("cannot create the lock file %s: %s" % (self.path, exc.strerror))
        deadline = time.time() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.time() >= deadline:
                os.close(self.fd)
                self.fd = None
                raise ScrapeConfigError("another run has held the lock %s for more than %d s; wait for it to finish "
                                        "(the lock goes with the process that holds it)" % (self.path, self.timeout))
            time.sleep(self.interval)

    def __exit__(self, *exc):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def stat_info(path):
    """{mode (octal string), owner, group} of `path` (names, or ids without a name)."""
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


def write_file(path, data, mode, uid, gid, unsafe_writes=False):
    """Put bytes `data` at `path` atomically, the file having `mode`, `uid` and `gid` from its
    first byte on (a temporary file in the same directory gets them before the data, then is
    renamed). With `unsafe_writes`, a file that cannot be replaced by rename is written in place."""
    directory, base = os.path.split(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + base + ".", suffix=".aiven-tools-tmp")  # mode 0600
    try:
        try:
            os.fchown(fd, uid, gid)
        except OSError as exc:
            if exc.errno != errno.EPERM:
                raise
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            fd = None
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.rename(tmp, path)
        except OSError as exc:
            if not (unsafe_writes and exc.errno in _IN_PLACE_ERRNOS and os.path.exists(path)):
                raise
            with open(path, "wb") as handle:
                handle.write(data)
            os.chmod(path, mode)
            os.chown(path, uid, gid)
            os.unlink(tmp)
    except BaseException:
        if fd is not None:
            os.close(fd)
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _account_id(name, lookup):
    """A uid or gid from a name or number (`lookup`: pwd.getpwnam or grp.getgrnam), None if unknown."""
    if name is None:
        return None
    try:
        return int(name) if str(name).isdigit() else lookup(name)[2]
    except KeyError:
        return None


def parse_mode(value, where):
    """An octal mode ('0640', '640' or an int as YAML reads 0640) as an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    else:
        text = str(value).strip()
        if not text or any(char not in "01234567" for char in text):
            raise ScrapeConfigError("%s must be an octal mode such as '0640', got %r" % (where, value))
        mode = int(text, 8)
    if mode > 0o7777:
        raise ScrapeConfigError("%s must be an octal mode such as '0640', got %r" % (where, value))
    return mode


class Companion(FileChange):
    """One companion file (CA, password, file_sd targets...): what it is and what it must become.

    `before` is its content (bytes) or None, `after` None when it must be removed; unlike the
    configuration files, its mode, owner and group are part of what it must become."""

    def __init__(self, index, path, after, mode, owner, group):
        super(Companion, self).__init__(os.path.realpath(path), None, after)
        self.index = index
        self.mode = mode
        self.uid = _account_id(owner, pwd.getpwnam)
        self.gid = _account_id(group, grp.getgrnam)
        where = "files[%d]" % index
        if owner is not None and self.uid is None:
            raise ScrapeConfigError("%s.owner: no user %r on this host" % (where, owner))
        if group is not None and self.gid is None:
            raise ScrapeConfigError("%s.group: no group %r on this host" % (where, group))
        if os.path.isdir(self.path):
            raise ScrapeConfigError("%s.path %s is a directory; give the file's path" % (where, path))
        if after is not None and not os.path.isdir(os.path.dirname(self.path)):
            raise ScrapeConfigError("%s.path: the directory of %s does not exist; create it first"
                                    % (where, path))
        self.stat = os.stat(self.path) if os.path.exists(self.path) else None
        if self.stat is not None:
            with open(self.path, "rb") as handle:
                self.before = handle.read()
        self.backup = None

    @property
    def final_uid(self):
        return self.uid if self.uid is not None else (self.stat.st_uid if self.stat else os.geteuid())

    @property
    def final_gid(self):
        return self.gid if self.gid is not None else (self.stat.st_gid if self.stat else os.getegid())

    @property
    def attributes_changed(self):
        if self.stat is None or self.after is None:
            return False
        return (self.stat.st_mode & 0o7777 != self.mode or self.stat.st_uid != self.final_uid
                or self.stat.st_gid != self.final_gid)

    @property
    def changed(self):
        return super(Companion, self).changed or self.attributes_changed

    def shown(self, mode):
        """Whether a diff may show the content: only for a mode others can read (o+r)."""
        return bool(mode & 0o004)

    def diff(self):
        """A diff entry: attributes, and the content only when others may read it."""
        before, after = [], []
        modes = []  # every mode the file has or gets: the content shows only if all let others read
        if self.stat is not None:
            modes.append(self.stat.st_mode & 0o7777)
            before.append(_attributes(modes[-1], self.stat.st_uid, self.stat.st_gid))
        if self.after is not None:
            modes.append(self.mode)
            after.append(_attributes(self.mode, self.final_uid, self.final_gid))
        visible = all(self.shown(mode) for mode in modes)
        if visible:
            before.append((self.before or b"").decode("utf-8", "replace"))
            after.append((self.after or b"").decode("utf-8", "replace"))
        elif self.before != self.after:
            after.append("content %s (not shown: the mode is not readable by others)\n"
                         % ("removed" if self.after is None else "changed"))
        return {"before_header": self.path, "after_header": self.path, "before": "".join(before),
                "after": "".join(after)}

    def apply(self, module, backup, unsafe_writes):
        """Make the file what it must be; returns its `files` entry (enough to put it back)."""
        entry = {"path": self.path, "action": self.action}
        if self.stat is not None:
            entry.update(stat_info(self.path))
            if backup:
                entry["backup"] = self.backup = module.backup_local(self.path)
        if self.after is None:
            os.unlink(self.path)
        elif self.before != self.after or self.stat is None:
            write_file(self.path, self.after, self.mode, self.final_uid, self.final_gid, unsafe_writes)
        else:
            os.chown(self.path, self.final_uid, self.final_gid)
            os.chmod(self.path, self.mode)
        return entry

    def restore(self, unsafe_writes):
        """Put the file back as it was before apply()."""
        if self.before is None:
            if os.path.lexists(self.path):
                os.unlink(self.path)
            return
        write_file(self.path, self.before, self.stat.st_mode & 0o7777, self.stat.st_uid, self.stat.st_gid,
                   unsafe_writes)


def _attributes(mode, uid, gid):
    return "mode: %04o, owner: %d, group: %d\n" % (mode, uid, gid)


def plan_companions(entries, state, reserved=()):
    """[Companion] for the `files` option; `reserved`: paths the module writes itself."""
    out = []
    seen = set()
    for index, entry in enumerate(entries or []):
        where = "files[%d]" % index
        path = entry.get("path")
        if not path or not os.path.isabs(path):
            raise ScrapeConfigError("%s.path must be an absolute path, got %r" % (where, path))
        real = os.path.realpath(path)
        if real in seen:
            raise ScrapeConfigError("%s.path %s is given twice" % (where, path))
        if real in reserved:
            raise ScrapeConfigError("%s.path %s is a file this module writes itself (the configuration or the "
                                    "drop-in); give another path" % (where, path))
        seen.add(real)
        after = None
        mode = parse_mode(entry.get("mode") if entry.get("mode") is not None else "0644", where + ".mode")
        if state == "present" and entry.get("state") != "absent":
            if entry.get("content") is None:
                raise ScrapeConfigError("%s.content is required with state=present" % where)
            content = entry["content"]
            after = content.encode("utf-8") if not isinstance(content, bytes) else content
        out.append(Companion(index, path, after, mode, entry.get("owner"), entry.get("group")))
    return out
