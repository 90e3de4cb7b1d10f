# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A YAML reader in the standard library, for hosts without PyYAML (Debian's python3 has none).

PRIVATE to the collection: it can change at any time.

``load(text)`` returns what ``yaml.safe_load(text)`` (PyYAML 6, YAML 1.1) returns for the
subset below, or raises ``YamlReaderError`` naming the line and the construct. It exists so the
scrape_config module can prove, on a host without PyYAML, that a candidate prometheus.yml means
the original plus exactly the owner's jobs; tests/unit compares it with PyYAML on generated
files.

Supported (one document): a byte order mark, ``%YAML`` directives, ``---`` and ``...`` markers,
comments; block mappings (at any indentation, keys plain or quoted) and block sequences
(also "indentless" ones under a key, and compact ``- key: value`` / ``- - x`` items); plain,
single- and double-quoted scalars, also over several lines; literal and folded block scalars
with indentation and chomping indicators; flow sequences and mappings (JSON included), over
several lines; anchors, aliases and ``<<`` merge keys. Plain scalars resolve as PyYAML's
SafeLoader does (null, bool, int, float per YAML 1.1), except timestamps, which stay strings.

Refused (``unsupported`` is true): tags (``!x``), complex keys (``? ``), anchors or aliases as
keys, collections as keys, ``%TAG``, tabs outside quotes and
comments, and line breaks other than ``\\n`` / ``\\r\\n``. Refused as invalid: what PyYAML
also rejects, a second document, and a key that appears twice in one mapping (PyYAML keeps the
last; Prometheus's strict decoder rejects the file).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


class YamlReaderError(ValueError):
    """`line` is 1-based (0 when unknown); `unsupported` separates "valid YAML this reader does not
    read" from "not valid YAML"."""

    def __init__(self, line, message, unsupported=False):
        super(YamlReaderError, self).__init__("line %d: %s" % (line, message) if line else message)
        self.line = line
        self.reason = message
        self.unsupported = unsupported


_BOOL_RE = re.compile(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")
_FLOAT_RE = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""", re.X)
_INT_RE = re.compile(r"""^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""", re.X)
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_ESCAPES = {"0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b", "f": "\x0c",
            "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
            "L": "\u2028", "P": "\u2029"}
_ESCAPE_CODES = {"x": 2, "u": 4, "U": 8}
_ANCHOR_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")
_MERGE = object()
_BLANK = "\0 \t\n"


def _sexagesimal(text, convert):
    value = 0
    for part in text.split(":"):
        value = value * 60 + convert(part)
    return value


def resolve_plain(text):
    """The value of a plain scalar, as PyYAML's SafeLoader builds it (timestamps excepted)."""
    first = text[:1]
    if first in "yYnNtTfFoO" and _BOOL_RE.match(text):
        return text.lower() in ("yes", "true", "on")
    if first in "-+0123456789." and _FLOAT_RE.match(text):
        value = text.replace("_", "").lower()
        sign = -1 if value[0] == "-" else 1
        value = value.lstrip("+-")
        if value == ".inf":
            return sign * float("inf")
        if value == ".nan":
            return float("nan")
        return sign * (_sexagesimal(value, float) if ":" in value else float(value))
    if first in "-+0123456789" and _INT_RE.match(text):
        value = text.replace("_", "")
        sign = -1 if value[0] == "-" else 1
        value = value.lstrip("+-")
        if value == "0":
            return 0
        if value.startswith("0b"):
            return sign * int(value[2:], 2)
        if value.startswith("0x"):
            return sign * int(value[2:], 16)
        if value[0] == "0":
            return sign * int(value, 8)
        return sign * (_sexagesimal(value, int) if ":" in value else int(value))
    if first in "~nN" and _NULL_RE.match(text) or not text:
        return None
    return text


class _Reader(object):
    def __init__(self, text):
        if text.startswith("\ufeff"):
            text = text[1:]
        bad = re.search("\r(?!\n)|[\x85\u2028\u2029]", text)
        if bad:
            raise YamlReaderError(text.count("\n", 0, bad.start()) + 1, "line break %r other than \\n or \\r\\n"
                                  % bad.group(), unsupported=True)
        self.s = text.replace("\r\n", "\n") + "\0"
        self.anchors = {}

    # -- positions ---------------------------------------------------------------------------

    def line(self, i):
        return self.s.count("\n", 0, i) + 1

    def col(self, i):
        return i - (self.s.rfind("\n", 0, i) + 1)

    def fail(self, i, message, unsupported=False):
        raise YamlReaderError(self.line(i), message, unsupported)

    def at_line_end(self, i):
        """Index after the spaces (and a comment) that end the line at `i`, or None if content follows."""
        while self.s[i] == " ":
            i += 1
        if self.s[i] == "\t":
            self.fail(i, "a tab outside quotes", unsupported=True)
        if self.s[i] == "#" and (i == 0 or self.s[i - 1] in " \n"):
            i = self.s.find("\n", i)
            i = len(self.s) - 1 if i < 0 else i
        return i if self.s[i] in "\n\0" else None

    def next_content(self, i):
        """First non-space character of the next line holding content (from `i` on), or EOF."""
        while True:
            i = self.skip_spaces(i)
            end = self.at_line_end(i)
            if end is None:
                return i
            if self.s[end] == "\0":
                return end
            i = end + 1

    def expect_line_end(self, i):
        end = self.at_line_end(i)
        if end is None:
            self.fail(i, "unexpected %r after a value" % self.s[i])
        return self.next_content(end)

    def is_marker(self, i, which=("---", "...")):
        return (self.col(i) == 0 and self.s[i:i + 3] in which and self.s[i + 3] in _BLANK)

    def is_entry(self, i):
        return self.s[i] == "-" and self.s[i + 1] in _BLANK

    # -- document ----------------------------------------------------------------------------

    def document(self):
        i = self.next_content(0)
        directives = False
        while self.s[i] == "%" and self.col(i) == 0:
            if not self.s.startswith("%YAML", i):
                self.fail(i, "a directive other than %YAML", unsupported=True)
            directives = True
            newline = self.s.find("\n", i)
            i = self.next_content(newline if newline >= 0 else len(self.s) - 1)
        value = None
        if self.is_marker(i, ("---",)):
            end = self.at_line_end(i + 3)
            if end is None:  # a scalar or flow node on the '---' line itself
                value, i = self.block_node(self.skip_spaces(i + 3), -1, False)
            else:
                i = self.next_content(end)
        elif directives:
            self.fail(i, "a directive without '---' after it")
        if value is None and self.s[i] != "\0" and not self.is_marker(i):
            value, i = self.block_node(i, -1, True)
        if self.is_marker(i, ("...",)):
            i = self.next_content(i + 3)
        if self.s[i] != "\0":
            if self.is_marker(i) or self.s[i] == "%":
                self.fail(i, "a second YAML document")
            self.fail(i, "content outside the document's top-level node (check its indentation)")
        return value

    # -- block context -----------------------------------------------------------------------

    def properties(self, i):
        """(anchor or None, index after it and its spaces); tags are refused."""
        anchor = None
        if self.s[i] == "!":
            self.fail(i, "a YAML tag", unsupported=True)
        if self.s[i] == "&":
            j = i + 1
            while self.s[j] in _ANCHOR_CHARS:
                j += 1
            if j == i + 1:
                self.fail(i, "an empty anchor name")
            anchor = self.s[i + 1:j]
            while self.s[j] == " ":
                j += 1
            if self.s[j] == "!":
                self.fail(j, "a YAML tag", unsupported=True)
            i = j
        return anchor, i

    def alias(self, i):
        j = i + 1
        while self.s[j] in _ANCHOR_CHARS:
            j += 1
        name = self.s[i + 1:j]
        if name not in self.anchors:
            self.fail(i, "alias *%s to an unknown anchor" % name)
        return self.anchors[name], j

    def block_node(self, i, indent, block_ok):
        """(value, index of the next content) for the node starting at `i`; `indent` is the
        column of the enclosing block collection, `block_ok` whether a collection may start here."""
        anchor, i = self.properties(i)
        end = self.at_line_end(i) if anchor is not None else None
        char = self.s[i]
        if end is not None:
            value, nxt = self.value_below(end, indent, indentless=False)
        elif char == "*":
            value, j = self.alias(i)
            if self.s[self.skip_spaces(j)] == ":":
                self.fail(i, "an alias as a mapping key", unsupported=True)
            nxt = self.expect_line_end(j)
        elif char in "|>":
            value, nxt = self.block_scalar(i, indent)
        elif char in "[{":
            value, j = self.flow_node(i)
            if self.s[self.skip_spaces(j)] == ":":
                self.fail(i, "a flow collection as a mapping key", unsupported=True)
            nxt = self.expect_line_end(j)
        elif self.is_entry(i):
            if not block_ok:
                self.fail(i, "a block sequence entry after a key on the same line")
            value, nxt = self.block_sequence(i, indent)
        elif char == "?" and self.s[i + 1] in _BLANK:
            self.fail(i, "a complex mapping key ('? ')", unsupported=True)
        elif self.key_end(i) is not None:
            if not block_ok:
                self.fail(i, "a mapping after a key on the same line")
            if anchor is not None:
                self.fail(i, "an anchor on a mapping key", unsupported=True)
            value, nxt = self.block_mapping(i)
        else:
            value, nxt = self.scalar(i, indent)
        if anchor is not None:
            self.anchors[anchor] = value
        return value, nxt

    def value_below(self, end, column, indentless):
        """The value on the lines after `end` (a line end) of a key or entry at `column`."""
        k = self.next_content(end)
        if self.s[k] == "\0" or self.is_marker(k):
            return None, k
        if self.col(k) > column:
            return self.block_node(k, column, True)
        if indentless and self.col(k) == column and self.is_entry(k):
            return self.block_sequence(k, column)
        return None, k

    def skip_spaces(self, i):
        while self.s[i] == " ":
            i += 1
        return i

    def key_end(self, i):
        """Index after the ':' if a single-line key starts at `i`, else None."""
        char = self.s[i]
        if char in "'\"":
            start_line = self.line(i)
            _value, j = self.quoted(i)
            j = self.skip_spaces(j)
            if self.s[j] == ":" and self.s[j + 1] in _BLANK:
                if self.line(j) != start_line:
                    self.fail(i, "a quoted mapping key over several lines")
                return j + 1
            return None
        if not self.plain_start(i, flow=False):
            return None
        _value, j = self.plain(i, -1, flow=False, single_line=True)
        j = self.skip_spaces(j)
        if self.s[j] == ":" and self.s[j + 1] in _BLANK:
            return j + 1
        return None

    def mapping_key(self, i):
        char = self.s[i]
        if char in "&*":
            self.fail(i, "an anchor or alias as a mapping key", unsupported=True)
        if char == "!":
            self.fail(i, "a YAML tag", unsupported=True)
        if char == "?" and self.s[i + 1] in _BLANK:
            self.fail(i, "a complex mapping key ('? ')", unsupported=True)
        end = self.key_end(i)
        if end is None:
            self.fail(i, "expected 'key: value' here")
        if char in "'\"":
            return self.quoted(i)[0], end
        text = self.plain(i, -1, flow=False, single_line=True)[0]
        return (_MERGE if text == "<<" else resolve_plain(text)), end

    def block_mapping(self, i):
        column = self.col(i)
        pairs = []
        while True:
            key_at = i
            key, i = self.mapping_key(i)
            j = self.skip_spaces(i)
            anchor = None
            if self.s[j] in "&!":
                anchor, j = self.properties(j)
            end = self.at_line_end(j)
            if end is None:
                value, i = self.block_node(j, column, False)
            else:
                value, i = self.value_below(end, column, indentless=True)
            if anchor is not None:
                self.anchors[anchor] = value
            pairs.append((key_at, key, value))
            if self.s[i] == "\0" or self.is_marker(i) or self.col(i) < column:
                break
            if self.col(i) > column:
                self.fail(i, "more indented than the keys above it (column %d, keys at column %d)"
                          % (self.col(i) + 1, column + 1))
            if self.is_entry(i):
                self.fail(i, "a '- ' entry among mapping keys")
        return self.build_mapping(pairs), i

    def build_mapping(self, pairs):
        merged = {}
        explicit = {}
        for at, key, value in pairs:
            if key is _MERGE:
                sources = value if isinstance(value, list) else [value]
                if not all(isinstance(source, dict) for source in sources):
                    self.fail(at, "a '<<' merge key whose value is not a mapping or a list of mappings")
                for source in reversed(sources):
                    merged.update(source)
                continue
            try:
                hash(key)
            except TypeError:
                self.fail(at, "a collection as a mapping key", unsupported=True)
            if key in explicit:
                self.fail(at, "key %r appears twice in one mapping" % (key,))
            explicit[key] = value
        merged.update(explicit)
        return merged

    def block_sequence(self, i, indent):
        column = self.col(i)
        items = []
        while True:
            j = self.skip_spaces(i + 1)
            end = self.at_line_end(j)
            if end is None:
                value, i = self.block_node(j, column, True)
            else:
                value, i = self.value_below(end, column, indentless=False)
            items.append(value)
            if self.s[i] == "\0" or self.is_marker(i) or self.col(i) < column:
                break
            if self.col(i) > column:
                self.fail(i, "more indented than the '- ' entries above it")
            if not self.is_entry(i):
                if column > indent:
                    self.fail(i, "expected a '- ' entry at column %d" % (column + 1))
                break  # an indentless sequence ends at its mapping's next key
        return items, i

    # -- scalars -----------------------------------------------------------------------------

    def scalar(self, i, indent):
        char = self.s[i]
        if char in "'\"":
            value, j = self.quoted(i)
        elif self.plain_start(i, flow=False):
            text, j = self.plain(i, indent, flow=False)
            value = resolve_plain(text)
        else:
            self.fail(i, "%r cannot start a value" % char, unsupported=char in "@`%")
        return value, self.expect_line_end(j)

    def plain_start(self, i, flow):
        char = self.s[i]
        if char in "-?:":
            return self.s[i + 1] not in _BLANK and not (flow and self.s[i + 1] in ",[]{}")
        return char not in _BLANK + ",[]{}#&*!|>'\"%@`"

    def plain(self, i, indent, flow, single_line=False):
        """(text, index after it) of a plain scalar, folded over lines as PyYAML folds it."""
        chunks = []
        spaces = []
        end = i
        while True:
            if self.s[i] == "#":
                break
            j = i
            while True:
                char = self.s[j]
                if char in _BLANK or (char == ":" and (self.s[j + 1] in _BLANK or flow and self.s[j + 1] in ",[]{}")) \
                        or (flow and char in ",?[]{}"):
                    break
                j += 1
            if j == i:
                break
            chunks.extend(spaces)
            chunks.append(self.s[i:j])
            i = end = j
            spaces, i = self.plain_spaces(i, single_line)
            if not spaces or self.s[i] == "#" or (not flow and self.col(i) <= indent):
                break
        if self.s[end] == "\t":
            self.fail(end, "a tab outside quotes", unsupported=True)
        return "".join(chunks), end

    def plain_spaces(self, i, single_line):
        j = self.skip_spaces(i)
        whitespace = self.s[i:j]
        i = j
        if self.s[i] == "\n" and not single_line:
            i += 1
            if self.is_marker(i):
                return [], i
            breaks = []
            while self.s[i] in " \n":
                if self.s[i] == " ":
                    i += 1
                else:
                    breaks.append("\n")
                    i += 1
                    if self.is_marker(i):
                        return [], i
            return (breaks if breaks else [" "]), i
        return ([whitespace] if whitespace else []), i

    def quoted(self, i):
        quote = self.s[i]
        double = quote == '"'
        i += 1
        chunks = []
        while True:
            i = self.quoted_text(i, double, chunks)
            if self.s[i] == quote:
                return "".join(chunks), i + 1
            i = self.quoted_spaces(i, chunks)

    def quoted_text(self, i, double, chunks):
        while True:
            j = i
            while self.s[j] not in "'\"\\\0 \t\n":
                j += 1
            if j > i:
                chunks.append(self.s[i:j])
                i = j
            char = self.s[i]
            if not double and char == "'" and self.s[i + 1] == "'":
                chunks.append("'")
                i += 2
            elif (double and char == "'") or (not double and char in '"\\'):
                chunks.append(char)
                i += 1
            elif double and char == "\\":
                i += 1
                char = self.s[i]
                if char in _ESCAPES:
                    chunks.append(_ESCAPES[char])
                    i += 1
                elif char in _ESCAPE_CODES:
                    digits = self.s[i + 1:i + 1 + _ESCAPE_CODES[char]]
                    if len(digits) != _ESCAPE_CODES[char] or not all(c in "0123456789abcdefABCDEF" for c in digits):
                        self.fail(i, "a bad \\%s escape in a double-quoted scalar" % char)
                    chunks.append(chr(int(digits, 16)))
                    i += 1 + len(digits)
                elif char == "\n":
                    i = self.quoted_breaks(i + 1, chunks)
                else:
                    self.fail(i, "unknown escape \\%s in a double-quoted scalar" % char)
            else:
                return i

    def quoted_spaces(self, i, chunks):
        j = i
        while self.s[j] in " \t":
            j += 1
        whitespace = self.s[i:j]
        i = j
        if self.s[i] == "\0":
            self.fail(i, "end of file inside a quoted scalar")
        if self.s[i] == "\n":
            breaks = []
            i = self.quoted_breaks(i + 1, breaks)
            chunks.extend(breaks if breaks else [" "])
        else:
            chunks.append(whitespace)
        return i

    def quoted_breaks(self, i, chunks):
        while True:
            if self.is_marker(i):
                self.fail(i, "a document marker inside a quoted scalar")
            while self.s[i] in " \t":
                i += 1
            if self.s[i] != "\n":
                return i
            chunks.append("\n")
            i += 1

    def block_scalar(self, i, indent):
        folded = self.s[i] == ">"
        i += 1
        chomping = increment = None
        for _round in range(2):
            if self.s[i] in "+-" and chomping is None:
                chomping = self.s[i] == "+"
                i += 1
            elif self.s[i] in "123456789" and increment is None:
                increment = int(self.s[i])
                i += 1
        end = self.at_line_end(i)
        if end is None:
            self.fail(i, "unexpected %r after a block scalar indicator" % self.s[i])
        lines = self.s[end + 1:-1].split("\n") if self.s[end] == "\n" else []
        final_newline = self.s[-2:-1] == "\n"
        if self.s[end] == "\n" and final_newline:
            lines = lines[:-1] if lines and lines[-1] == "" else lines
        min_indent = max(indent + 1, 1)
        row = 0
        breaks = []
        if increment is None:
            max_indent = 0
            while row < len(lines):
                lead = len(lines[row]) - len(lines[row].lstrip(" "))
                max_indent = max(max_indent, lead)
                if lead < len(lines[row]):
                    break
                breaks.append("\n")
                row += 1
            block_indent = max(min_indent, max_indent)
        else:
            block_indent = min_indent + increment - 1
            row = self.scalar_breaks(lines, row, block_indent, breaks)
        chunks = []
        line_break = ""
        while row < len(lines) and self.lead(lines[row]) >= block_indent:
            chunks.extend(breaks)
            text = lines[row][block_indent:]
            leading_non_space = text[:1] not in (" ", "\t")
            chunks.append(text)
            line_break = "\n" if row < len(lines) - 1 or final_newline else ""
            row += 1
            breaks = []
            row = self.scalar_breaks(lines, row, block_indent, breaks)
            if row < len(lines) and self.lead(lines[row]) >= block_indent:
                if folded and leading_non_space and lines[row][block_indent:][:1] not in (" ", "\t"):
                    if not breaks:
                        chunks.append(" ")
                else:
                    chunks.append(line_break)
            else:
                break
        if chomping is not False:
            chunks.append(line_break)
        if chomping is True:
            chunks.extend(breaks)
        start = end + 1
        for _line in range(row):
            start = self.s.find("\n", start) + 1
        if row >= len(lines):
            start = len(self.s) - 1
        return "".join(chunks), self.next_content(start)

    @staticmethod
    def lead(line):
        return len(line) - len(line.lstrip(" "))

    def scalar_breaks(self, lines, row, block_indent, breaks):
        while row < len(lines) and len(lines[row]) <= block_indent and not lines[row].strip(" "):
            breaks.append("\n")
            row += 1
        return row

    # -- flow context ------------------------------------------------------------------------

    def flow_space(self, i):
        while True:
            char = self.s[i]
            if char in " \n":
                i += 1
            elif char == "\t":
                self.fail(i, "a tab outside quotes", unsupported=True)
            elif char == "#" and self.s[i - 1] in " \n":
                i = self.s.find("\n", i)
                i = len(self.s) - 1 if i < 0 else i
            else:
                return i

    def flow_node(self, i):
        anchor, i = self.properties(i)
        char = self.s[i]
        if char == "[":
            value, i = self.flow_sequence(i)
        elif char == "{":
            value, i = self.flow_mapping(i)
        elif char == "*":
            value, i = self.alias(i)
        elif char in "'\"":
            value, i = self.quoted(i)
        elif char == "?" and self.s[i + 1] in _BLANK:
            self.fail(i, "a complex mapping key ('? ')", unsupported=True)
        elif self.plain_start(i, flow=True):
            text, i = self.plain(i, -1, flow=True)
            value = resolve_plain(text)
        else:
            self.fail(i, "expected a value, found %r" % char)
        if anchor is not None:
            self.anchors[anchor] = value
        return value, i

    def flow_entries(self, i, close, what, entry):
        """Index after a flow collection whose entries `entry(i)` reads (returning the index
        after each); `close` is ']' or '}'."""
        i = self.flow_space(i + 1)
        while self.s[i] != close:
            if self.s[i] == "\0":
                self.fail(i, "end of file inside a flow %s" % what)
            i = self.flow_space(entry(i))
            if self.s[i] == ",":
                i = self.flow_space(i + 1)
            elif self.s[i] == "\0":
                self.fail(i, "end of file inside a flow %s" % what)
            elif self.s[i] != close:
                self.fail(i, "expected ',' or '%s' in a flow %s, found %r" % (close, what, self.s[i]))
        return i + 1

    def flow_sequence(self, i):
        items = []

        def item(j):
            value, j = self.flow_node(j)
            if self.s[self.flow_space(j)] == ":":
                self.fail(j, "a 'key: value' pair inside a flow sequence", unsupported=True)
            items.append(value)
            return j
        return items, self.flow_entries(i, "]", "sequence", item)

    def flow_mapping(self, i):
        pairs = []

        def pair(j):
            at = j
            if self.s[j] in "[{&*!" or (self.s[j] == "?" and self.s[j + 1] in _BLANK):
                self.fail(j, "a complex key, a collection, tag, anchor or alias as a mapping key", unsupported=True)
            if self.s[j] in "'\"":
                key, j = self.quoted(j)
            else:
                text, j = self.plain(j, -1, flow=True)
                key = _MERGE if text == "<<" else resolve_plain(text)
            j = self.flow_space(j)
            value = None
            if self.s[j] == ":":
                j = self.flow_space(j + 1)
                if self.s[j] not in ",}":
                    value, j = self.flow_node(j)
            pairs.append((at, key, value))
            return j
        end = self.flow_entries(i, "}", "mapping", pair)
        return self.build_mapping(pairs), end


def load(text):
    """The data of a one-document YAML text (see the module docstring for the subset)."""
    return _Reader(text).document()
