# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The line editor: an owner's marked block inside one prometheus.yml.

PRIVATE to the collection: it can change at any time.

The edits are text-level, on purpose: a YAML round trip would rewrite the user's comments,
quoting and order. We only ever insert, replace or remove whole lines between our own marker
comments, so everything outside the markers stays byte-identical, and removing a block gives
back exactly the file from before the block was added:

* a block that had to create its key (``scrape_configs:`` missing) carries the key line inside
  the markers, so removing the block removes the key too;
* a block that replaced an empty flow value (``scrape_configs: []``) keeps the original line as
  a ``# aiven_tools.prometheus replaced: ...`` comment and puts it back on removal;
* a file without a final newline: a block appended at its end gets the one newline it needs
  added to the file's last line (the only byte that changes outside the markers), the block
  itself then ends without one, and removing the block removes that newline again.

Two kinds of block exist, told apart by the key in the marker: ``[scrape_configs]`` holds jobs
(style ``block``), ``[scrape_config_files]`` holds the one include line of the owner's drop-in
file (style ``file``, Prometheus >= 2.43).

Shapes read: a byte order mark (kept), ``%YAML`` directives, ``---`` and a document end ``...``
around the one document (blocks go before the ``...``), top-level keys at any indentation (the
first key's column counts), plain or quoted top-level keys, an anchor on the key
(``scrape_configs: &jobs``), block lists indented or flush with their key. Shapes refused with a
message naming them: a flow-style (JSON) top level, a top-level list or scalar, a second
document, a flow-style list value that is not empty, an alias or a tag as the value, line breaks
other than ``\\n`` / ``\\r\\n``. Whatever the editor places is then proven by reading the result
as YAML (see proof.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config.common import (
    COLLECTION, DEFAULT_INDENT, FILES_KEY, JOBS_KEY, MARKER_HINT_RE, MARKER_RE, WAS_PREFIX, ScrapeConfigError,
    begin_marker, end_marker, indent_of, is_blank_or_comment, join_lines, split_lines, strip_comment, unquote,
)

_KEY_RE = re.compile(
    r"^(?P<indent> *)(?P<key>[A-Za-z_][A-Za-z0-9_.-]*|\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*')[ \t]*:(?=[ \t]|$)"
    r"(?P<rest>.*)$")
_ITEM_RE = re.compile(r"^(?P<indent> *)-(?:[ \t]+|$)(?P<rest>.*)$")
_JOB_RE = re.compile(r"^[ \t]*(?:-[ \t]+)?[\"']?job_name[\"']?[ \t]*:[ \t]*(?P<value>.*)$")
_FLOW_JOB_RE = re.compile(
    r"[{,][ \t]*[\"']?job_name[\"']?[ \t]*:[ \t]*(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^,}\s#][^,}#]*)")
_BREAK_RE = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
_ANCHOR_RE = re.compile(r"^&[0-9A-Za-z_-]+(?:[ \t]+|$)")
_EMPTY_VALUES = ("[]", "~", "null", "Null", "NULL")


def _is_marker(body, which):
    return body[:3] == which and body[3:4] in ("", " ", "\t")


def _flow_hint(key):
    if key == JOBS_KEY:
        return "or use style=file"
    return "or add a pattern that matches the drop-in file to it (style=file then only writes that file)"


class Block(object):
    def __init__(self, name, key, begin, indent):
        self.name = name
        self.key = key
        self.begin = begin
        self.end = None
        self.indent = indent
        self.was = None        # body of the line this block replaced (e.g. "scrape_configs: []")
        self.key_line = None   # index of the key line, when the block holds the key itself

    def contains(self, idx):
        return self.begin <= idx <= self.end


class Document(object):
    """A prometheus.yml as lines, with its top-level keys and our managed blocks."""

    def __init__(self, text, path="prometheus.yml"):
        self.path = path
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        text = text[len(self.bom):]
        bad = _BREAK_RE.search(text)
        if bad:
            raise ScrapeConfigError(
                "%s line %d holds a line break other than \\n or \\r\\n (%r), which YAML reads as a new line and "
                "this module does not; replace it with \\n" % (path, text.count("\n", 0, bad.start()) + 1, bad.group()))
        self.lines = split_lines(text)
        self.eol = "\n"
        for _body, end in self.lines:
            if end:
                self.eol = end
                break
        self._scan()
        self.blocks = self._find_blocks()
        self.keys = self._find_keys()

    @property
    def text(self):
        return self.bom + join_lines(self.lines)

    def _where(self, idx):
        return "%s line %d" % (self.path, idx + 1)

    def _scan(self):
        """Root kind and indentation, and where the document ends (a '...' line or the file's end)."""
        self.root_indent = 0
        self.root_kind = None  # None (no content), "mapping", "flow", "sequence" or "scalar"
        self.first_line = None
        self.doc_end = len(self.lines)
        for idx, (body, _end) in enumerate(self.lines):
            if is_blank_or_comment(body):
                continue
            if self.root_kind is None and body.startswith("%"):
                continue
            if _is_marker(body, "---"):
                if self.root_kind is not None:
                    raise ScrapeConfigError("%s: a second YAML document starts here; Prometheus reads only the first, "
                                            "keep the file to one document" % self._where(idx))
                if not is_blank_or_comment(body[3:]):
                    raise ScrapeConfigError("%s: content on the '---' line; start the document on the next line"
                                            % self._where(idx))
                continue
            if _is_marker(body, "..."):
                for later in range(idx + 1, len(self.lines)):
                    if not is_blank_or_comment(self.lines[later][0]):
                        raise ScrapeConfigError(
                            "%s: a second YAML document after the document end '...' (line %d); Prometheus reads only "
                            "the first, keep the file to one document" % (self._where(later), idx + 1))
                self.doc_end = idx
                break
            if self.root_kind is None:
                self.first_line = idx
                self.root_indent = indent_of(body)
                stripped = body.lstrip(" ")
                if stripped[:1] in ("{", "["):
                    self.root_kind = "flow"
                elif _ITEM_RE.match(stripped):
                    self.root_kind = "sequence"
                elif _KEY_RE.match(stripped) or _ANCHOR_RE.match(stripped):
                    self.root_kind = "mapping"
                else:
                    self.root_kind = "scalar"
            elif self.root_kind == "mapping" and indent_of(body) < self.root_indent:
                raise ScrapeConfigError(
                    "%s is indented less (column %d) than the first top-level key (line %d, column %d); YAML cannot "
                    "read that, fix the indentation" % (self._where(idx), indent_of(body) + 1, self.first_line + 1,
                                                        self.root_indent + 1))

    def editable(self):
        """Refuse (one line, naming the shape) a document whose top level is not a block mapping."""
        where = self.path if self.first_line is None else self._where(self.first_line)
        if self.root_kind == "flow":
            raise ScrapeConfigError(
                "%s: the configuration is one flow-style (JSON) mapping, so jobs cannot be placed line by line; "
                "rewrite it as block-style YAML, or add to it a scrape_config_files pattern that matches the drop-in "
                "file and use style=file (then only that file is written)" % where)
        if self.root_kind in ("sequence", "scalar"):
            raise ScrapeConfigError("%s: the top level is a %s, not a mapping of keys; this is not a Prometheus "
                                    "configuration" % (where, "list" if self.root_kind == "sequence" else "scalar"))

    def _key_at(self, body):
        """The (decoded) top-level key on `body`, or None."""
        if self.root_kind not in ("mapping", None):
            return None
        match = _KEY_RE.match(body)
        if not match or len(match.group("indent")) != self.root_indent:
            return None
        key = match.group("key")
        return unquote(key) if key[0] in "'\"" else key

    def _find_blocks(self):
        blocks = []
        current = None
        for idx, (body, _end) in enumerate(self.lines):
            match = MARKER_RE.match(body)
            if not match:
                if MARKER_HINT_RE.search(body) and body.lstrip().startswith("#"):
                    raise ScrapeConfigError("%s: damaged %s marker %r; restore it or remove the whole block by "
                                            "hand" % (self._where(idx), COLLECTION, body.strip()))
                if current is not None and current.key_line is None and self._key_at(body) == current.key:
                    current.key_line = idx
                if current is not None and body.lstrip(" ").startswith(WAS_PREFIX) and idx == current.begin + 1:
                    current.was = body.lstrip(" ")[len(WAS_PREFIX):]
                continue
            name, key = match.group("name"), match.group("key")
            if match.group("which") == "BEGIN":
                if current is not None:
                    raise ScrapeConfigError("%s: BEGIN marker of %r inside the block of %r (which has no END); "
                                            "fix the markers by hand" % (self._where(idx), name, current.name))
                if any(b.name == name and b.key == key for b in blocks):
                    raise ScrapeConfigError("%s: second [%s] block for owner %r; remove one by hand"
                                            % (self._where(idx), key, name))
                current = Block(name, key, idx, len(match.group("indent").expandtabs()))
            else:
                if current is None or current.name != name or current.key != key:
                    raise ScrapeConfigError("%s: END marker of %r [%s] without its BEGIN; fix the markers by hand"
                                            % (self._where(idx), name, key))
                current.end = idx
                blocks.append(current)
                current = None
        if current is not None:
            raise ScrapeConfigError("%s: BEGIN marker of %r [%s] has no END marker; fix the markers by hand"
                                    % (self._where(current.begin), current.name, current.key))
        return blocks

    def _find_keys(self):
        keys = {}
        for idx in range(self.doc_end):
            key = self._key_at(self.lines[idx][0])
            if key is None:
                continue
            if key in keys and key in (JOBS_KEY, FILES_KEY):
                raise ScrapeConfigError("%s: key %s: appears twice (first on line %d); Prometheus rejects that, "
                                        "merge them" % (self._where(idx), key, keys[key] + 1))
            keys.setdefault(key, idx)
        return keys

    # -- queries -------------------------------------------------------------------------------

    def block(self, name, key):
        for blk in self.blocks:
            if blk.name == name and blk.key == key:
                return blk
        return None

    def block_at(self, idx):
        for blk in self.blocks:
            if blk.contains(idx):
                return blk
        return None

    def block_items(self, blk):
        """The block's list items as text at column 0 (what set_block was given)."""
        first = (blk.key_line + 1) if blk.key_line is not None else blk.begin + 1
        indent = self._item_pad(blk)
        out = []
        for body, _end in self.lines[first:blk.end]:
            if body.lstrip(" ").startswith(WAS_PREFIX):
                continue
            out.append(body[indent:] if body[:indent].strip() == "" else body.lstrip(" "))
        return out

    def _item_pad(self, blk):
        return self.root_indent + DEFAULT_INDENT if blk.key_line is not None else blk.indent

    def _region(self, key):
        """(key line, first line after the value) or None when the key is absent."""
        start = self.keys.get(key)
        if start is None:
            return None
        later = [idx for idx in self.keys.values() if idx > start]
        return start, (min(later) if later else self.doc_end)

    def _inline_value(self, key):
        """The value written on the key's own line (comment and an anchor removed)."""
        match = _KEY_RE.match(self.lines[self.keys[key]][0])
        value = strip_comment(match.group("rest"))
        anchor = _ANCHOR_RE.match(value)
        return value[anchor.end():].strip() if anchor else value

    def job_location(self, job):
        """(line index, owner or None) of the first line that names job `job`, or (None, None)."""
        for idx, (body, _end) in enumerate(self.lines):
            if body.lstrip().startswith("#"):
                continue
            values = [m.group("value") for m in _FLOW_JOB_RE.finditer(body)]
            match = _JOB_RE.match(body)
            if match:
                values.append(match.group("value"))
            if any(unquote(value) == job for value in values):
                blk = self.block_at(idx)
                return idx, (blk.name if blk else None)
        return None, None

    def entries(self, key):
        """[(entry, line index, owner or None)] of a list key given in block style or on one line."""
        region = self._region(key)
        if region is None:
            return []
        inline = self._inline_value(key)
        if inline.startswith("[") and inline.endswith("]"):
            items = [unquote(part) for part in inline[1:-1].split(",") if part.strip()]
            return [(item, region[0], None) for item in items]
        out = []
        for idx in range(region[0] + 1, region[1]):
            body = self.lines[idx][0]
            match = _ITEM_RE.match(body)
            if match and not body.lstrip().startswith("#"):
                blk = self.block_at(idx)
                out.append((unquote(match.group("rest")), idx, blk.name if blk else None))
        return out

    def item_indent(self, key):
        region = self._region(key)
        for idx in range(region[0] + 1, region[1]):
            body = self.lines[idx][0]
            if is_blank_or_comment(body):
                continue
            match = _ITEM_RE.match(body)
            if not match:
                raise ScrapeConfigError("%s: expected a '- ' list item under %s: (line %d), found %r; %s: must be "
                                        "a block-style list" % (self._where(idx), key, region[0] + 1, body.strip(),
                                                                key))
            return len(match.group("indent"))
        return None

    # -- edits -----------------------------------------------------------------------------------

    def _items(self, item_lines, indent):
        pad = " " * indent
        return [((pad + line) if line.strip() else "", self.eol) for line in item_lines]

    def _insert(self, at, new_lines):
        if at == len(self.lines) and self.lines and self.lines[-1][1] == "":
            # The file had no final newline: keep it that way, and add the newline we need
            # before the block (removal takes it away again: see remove_block).
            self.lines[-1] = (self.lines[-1][0], self.eol)
            new_lines[-1] = (new_lines[-1][0], "")
        self.lines[at:at] = new_lines

    def _refuse_inline(self, key, start, inline):
        where = self._where(start)
        if inline.startswith("["):
            raise ScrapeConfigError(
                "%s: %s: is a flow-style list (%s); the line editor adds to block-style lists only: rewrite it as "
                "'%s:' with one '- ' item per line, %s" % (where, key, _short(inline), key, _flow_hint(key)))
        if inline.startswith("*"):
            raise ScrapeConfigError("%s: %s: is an alias (%s); write the list itself under the key"
                                    % (where, key, _short(inline)))
        if inline.startswith("!"):
            raise ScrapeConfigError("%s: %s: has a YAML tag (%s); remove the tag" % (where, key, _short(inline)))
        raise ScrapeConfigError(
            "%s: %s: has an inline value (%s); rewrite it as a block-style list ('%s:' then one '- ' item per line) "
            "so a managed block can be added" % (where, key, _short(inline), key))

    def set_block(self, name, key, item_lines):
        """Put `item_lines` (list items at column 0, no terminators) in the owner's block."""
        self.editable()
        pad = " " * self.root_indent
        item_pad = self.root_indent + DEFAULT_INDENT
        blk = self.block(name, key)
        if blk is not None:
            first = (blk.key_line + 1) if blk.key_line is not None else blk.begin + 1
            self.lines[first:blk.end] = self._items(item_lines, self._item_pad(blk))
        elif key not in self.keys:
            new = [(pad + begin_marker(name, key), self.eol), (pad + key + ":", self.eol)]
            new += self._items(item_lines, item_pad)
            new.append((pad + end_marker(name, key), self.eol))
            self._insert(self.doc_end, new)
        else:
            start, end = self._region(key)
            inline = self._inline_value(key)
            if inline in _EMPTY_VALUES:
                body, line_end = self.lines[start]
                new = [(pad + begin_marker(name, key), self.eol), (pad + WAS_PREFIX + body.lstrip(" "), self.eol),
                       (pad + key + ":", self.eol)]
                new += self._items(item_lines, item_pad)
                new.append((pad + end_marker(name, key), line_end))
                self.lines[start:start + 1] = new
            elif inline:
                self._refuse_inline(key, start, inline)
            else:
                indent = self.item_indent(key)
                if indent is None:
                    indent = item_pad
                after = start
                for idx in range(start + 1, end):
                    body = self.lines[idx][0]
                    marker = MARKER_RE.match(body)
                    if not is_blank_or_comment(body) or (
                            marker and marker.group("which") == "END" and marker.group("key") == key):
                        after = idx
                inside = self.block_at(after)
                if inside is not None:
                    after = inside.end
                item = " " * indent
                new = [(item + begin_marker(name, key), self.eol)]
                new += self._items(item_lines, indent)
                new.append((item + end_marker(name, key), self.eol))
                self._insert(after + 1, new)
        self.__init__(self.text, self.path)

    def remove_block(self, name, key):
        blk = self.block(name, key)
        if blk is None:
            return False
        pad = " " * self.root_indent
        end_line_end = self.lines[blk.end][1]
        replacement = []
        if blk.key_line is not None:
            # We created (or rewrote) the key. If another owner's items now follow our block under
            # it, the key must stay for them: keep a plain key line.
            region_end = min([idx for idx in self.keys.values() if idx > blk.key_line] or [self.doc_end])
            others = [idx for idx in range(blk.end + 1, region_end) if not is_blank_or_comment(self.lines[idx][0])]
            heirs = set(self.block_at(idx) for idx in others)
            heir = heirs.pop() if len(heirs) == 1 else None
            if heir is not None and heir.key == key and heir.key_line is None and \
                    heir.indent == self.root_indent + DEFAULT_INDENT:
                # Only another owner's block follows: hand the key (and the replaced line) over to
                # it, so whichever block goes last restores the file exactly.
                meta = [(pad + WAS_PREFIX + blk.was, self.eol)] if blk.was is not None else []
                begin_body = self.lines[heir.begin][0].lstrip()
                end_body, end_end = self.lines[heir.end]
                self.lines[heir.end] = (pad + end_body.lstrip(), end_end)
                self.lines[heir.begin:heir.begin + 1] = [(pad + begin_body, self.eol)] + meta + [
                    (pad + key + ":", self.eol)]
                del self.lines[blk.begin:blk.end + 1]
                self.__init__(self.text, self.path)
                return True
            if others:
                replacement = [(pad + key + ":", end_line_end)]
            elif blk.was is not None:
                replacement = [(pad + blk.was, end_line_end)]
        if not replacement and end_line_end == "" and blk.begin > 0:
            self.lines[blk.begin - 1] = (self.lines[blk.begin - 1][0], "")
        self.lines[blk.begin:blk.end + 1] = replacement
        self.__init__(self.text, self.path)
        return True


def _short(value, limit=40):
    return value if len(value) <= limit else value[:limit - 3] + "..."
