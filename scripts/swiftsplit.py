"""Splits and wraps generated Swift so it keeps the project's limits (files of at most 400 lines, lines of at
most 140 UTF-8 bytes) without changing what it declares. Used by scripts/generate-api.sh on
swift-openapi-generator's output and by scripts/generate-model-properties.py.

A declaration too long for one file is cut at its members: a nested type or a function moves into an
`extension` of its parent (recursively, until each piece fits), and pieces are packed into files in their
order. Only members an extension may hold are moved (types, functions); stored properties stay. A member
of a `fileprivate extension` becomes internal, so the pieces can see each other across files. Long lines
are wrapped: comments at spaces, code after an opening parenthesis or a comma or before ` = `, outside string
literals.
The compiler is the check: the build fails if a piece is not valid where it landed."""
import re

MAX_LINES = 400
MAX_BYTES = 140
DECL = re.compile(r"\b(enum|struct|class|extension|protocol|func|typealias|init|var|let|case)\b\s*([A-Za-z_][\w.]*)?")
MOVABLE = {"enum", "struct", "class", "func", "typealias"}


def width(text):
    return len(text.encode("utf-8"))


def depths(lines):
    """The bracket depth ({, (, [) at the end of each line, outside comments and string literals."""
    out, depth, in_block = [], 0, False
    for line in lines:
        i, in_string = 0, False
        while i < len(line):
            c = line[i]
            if in_block:
                if line.startswith("*/", i):
                    in_block, i = False, i + 1
            elif in_string:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_string = False
            elif line.startswith("//", i):
                break
            elif line.startswith("/*", i):
                in_block, i = True, i + 1
            elif c == '"':
                in_string = True
            elif c in "{([":
                depth += 1
            elif c in "})]":
                depth -= 1
            i += 1
        out.append(depth)
    return out


def is_prefix(line):
    """A line that belongs to the declaration after it: blank, a comment, an attribute alone."""
    s = line.strip()
    return not s or s.startswith("//") or re.fullmatch(r"@\w+(\(.*\))?", s) is not None


def members(lines):
    """Cuts a body (the lines between a declaration's braces) into its members, each with the comments
    before it: a member ends on the first line that brings the depth back to the body's own."""
    ends = depths(lines)
    out, start = [], 0
    for i, line in enumerate(lines):
        if ends[i] == 0 and not is_prefix(line):
            out.append(lines[start:i + 1])
            start = i + 1
    if start < len(lines):
        out.append(lines[start:])
    return out


def head(member):
    """(kind, name, index of the declaration line) of a member."""
    for i, line in enumerate(member):
        if not is_prefix(line):
            m = DECL.search(re.sub(r'"[^"]*"', '""', line))
            return (m.group(1), m.group(2) or "", i) if m else ("", "", i)
    return ("", "", len(member))


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def dedent(lines, n):
    return [l[n:] if l.startswith(" " * n) else l.lstrip(" ") for l in lines]


def split(decl, parent, budget=MAX_LINES - 12):
    """Pieces (lines at column 0, a label naming what they hold, and whether they stand at the top level
    already), each at most `budget` lines where the code allows, together declaring what `decl` declares.
    `parent` is the qualified name of the type `decl` is nested in ("" at the top level); 12 lines are
    left for a file's header. The first piece is `decl` itself with the members it keeps; the others are
    extensions."""
    kind, name, at = head(decl)
    label = f"{parent}.{name}" if parent else name
    if len(decl) <= budget:
        return [(decl, label, False)]
    opening = decl[at]
    if kind not in ("enum", "struct", "extension") or not opening.rstrip().endswith("{") or decl[-1].strip() != "}":
        return [(decl, label, False)]
    if kind == "extension":
        qualified = name
        opening = re.sub(r"^(\s*)fileprivate ", r"\1", opening)
        piece_head = opening.strip()
    else:
        qualified = label
        piece_head = f"extension {qualified} {{"
    kept, moved = [], []
    for member in members(dedent(decl[at + 1:-1], 4)):
        mkind = head(member)[0]
        (moved if mkind in MOVABLE or (kind == "extension" and mkind in ("var", "init")) else kept).append(member)
    if not moved:
        return [(decl, label, False)]
    shell = decl[:at] + [opening] + [indent(l) for m in kept for l in m] + [decl[-1]]
    pieces = [] if kind == "extension" and not kept else [(shell, label, False)]
    for member in moved:
        for part, part_label, standalone in split(member, qualified, budget - 2):
            if not standalone:
                part = [piece_head] + [indent(l) for l in part] + ["}"]
            pieces.append((part, part_label, True))
    return pieces


def indent(line):
    return "    " + line if line else line


def wrap(line):
    """The line as lines of at most MAX_BYTES bytes."""
    if width(line) <= MAX_BYTES:
        return [line]
    pad = " " * indent_of(line)
    text = line.strip()
    comment = re.match(r"(///?\s*)", text)
    if comment:
        lead = pad + comment.group(1)
        words, out, current = text[len(comment.group(1)):].split(" "), [], ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            if current and width(lead + candidate) > MAX_BYTES:
                out.append(lead + current)
                current = word
            else:
                current = candidate
        out.append(lead + current)
        return out
    cuts, in_string = [], False
    for i, c in enumerate(line):
        if c == '"' and line[i - 1] != "\\":
            in_string = not in_string
        elif not in_string and (c == "(" or (c == "," and line[i + 1:i + 2] == " ")):
            if width(line[:i + 1]) <= MAX_BYTES and i > len(pad):
                cuts.append(i + 1)
        elif not in_string and line.startswith(" = ", i) and width(line[:i]) <= MAX_BYTES and i > len(pad):
            cuts.append(i)
    if not cuts:
        return [line]
    cut = cuts[-1]
    rest = pad + "    " + line[cut:].lstrip(" ")
    return [line[:cut].rstrip(" ")] + wrap(rest)


def reflow(lines):
    """Comment lines wrapped so that what a long line leaves over starts the next line of the same
    paragraph (the same `///` lead, text that is not a list item), instead of a line of its own."""
    out = list(lines)
    for i in range(len(out) - 1):
        first, after = re.match(r"(\s*///?\s*)(.*)", out[i]), re.match(r"(\s*///?\s*)(.*)", out[i + 1])
        if not first or not after or width(out[i]) <= MAX_BYTES or first.group(1) != after.group(1):
            continue
        if not after.group(2) or after.group(2).startswith(("-", "*", "`")):
            continue
        head_lines = wrap(out[i])
        out[i] = head_lines[0]
        carried = " ".join(l[len(first.group(1)):] for l in head_lines[1:])
        out[i + 1] = after.group(1) + carried + " " + after.group(2)
    return out


def preamble_and_body(text):
    """The file's leading comments and imports, and the declarations after them."""
    lines = text.rstrip("\n").split("\n")
    i = 0
    while i < len(lines) and (is_prefix(lines[i]) and not lines[i].startswith("///")
                              or lines[i].startswith(("import ", "@_spi", "@preconcurrency"))):
        i += 1
    return lines[:i], lines[i:]


def title(label, stem):
    """A piece's label as part of a file name: `Operations.ListTasks.Input` in Types+Operations is
    `ListTasksInput`, `UniversalServer.getMe` in Server is `GetMe`."""
    names = label.split(".")
    parts = [p for p in names[len(names) > 1:] if p not in stem.split("+")] or ["Rest"]
    return "".join(p[:1].upper() + p[1:] for p in parts)


def layout(text, stem, reserve=0):
    """{file name: text} for one generated file: `<stem>.swift` keeps what is left of its declarations
    and the pieces that fit after them, `<stem>+<Name>.swift` the pieces moved out, packed in order;
    `reserve` lines are left for a header the caller adds."""
    preamble, body = preamble_and_body(text)
    while preamble and not preamble[-1].strip():
        preamble.pop()
    preamble.append("")
    pieces = [([w for l in reflow(lines) for w in wrap(l)], label) for member in members(body)
              for lines, label, _ in split(member, "")]
    files, current, first, last = [], [], None, None
    for piece, label in pieces:
        while piece and not piece[0].strip():
            piece = piece[1:]
        if current and reserve + len(preamble) + len(current) + len(piece) + 1 > MAX_LINES:
            files.append((first, last, current))
            current, first = [], None
        if first is None:
            first = label
        last = label
        current += piece + [""]
    if current:
        files.append((first, last, current))
    out = {}
    for n, (first, last, lines) in enumerate(files):
        name = f"{stem}+{title(first, stem)}" + (f"-{title(last, stem)}" if last != first else "") if n else stem
        name += ".swift"
        while name in out:
            name = name[:-6] + "_.swift"
        out[name] = "\n".join(preamble + lines).rstrip("\n") + "\n"
    return out
