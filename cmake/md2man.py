#!/usr/bin/env python3
"""Makes a man page (roff, man(7) macros) from one of padlock's docs/*.md.

    md2man.py NAME SECTION "one-line description" OUT.roff DOC.md [options]

--section "## Heading"   keep only that section of DOC.md (for padlock.conf(5))
--example FILE           append FILE verbatim as the EXAMPLE section
--version V              the footer's version

The Markdown of docs/ is simple: headings, paragraphs, lists, tables,
indented or fenced code, `code`, **bold**, *emphasis* and [links](...).
That is all this handles; anything else passes through as text.
"""
import argparse
import re
import sys


def escape(text):
    text = text.replace("\\", "\\e")
    return text


def inline(text):
    text = escape(text)
    # Links: keep the words; a URL that is the text itself stays once.
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1", text)
    text = re.sub(r"`([^`]+)`",
                  lambda m: "\\fB" + m.group(1).replace("-", "\\-") + "\\fR",
                  text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", text)
    return text


def line_start(text):
    """roff reads a leading . or ' as a request."""
    return "\\&" + text if text[:1] in (".", "'") else text


def split_row(row):
    """The cells of a table row; a | inside `code` or written \\| is text."""
    cells, cell, code = [], "", False
    for ch in row.strip()[1:].replace("\\|", "\0"):
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            cells.append(cell.strip().replace("\0", "|"))
            cell = ""
        else:
            cell += ch
    return cells


def verbatim(lines, out):
    out.append(".RS 4")
    out.append(".nf")
    for raw in lines:
        out.append(line_start(escape(raw)))
    out.append(".fi")
    out.append(".RE")


def convert(md_lines, out):
    i = 0
    para = []

    def flush():
        if para:
            out.append(".PP")
            out.append(line_start(inline(" ".join(para))))
            para.clear()

    while i < len(md_lines):
        line = md_lines[i].rstrip("\n")
        if line.startswith("```"):
            flush()
            block = []
            i += 1
            while i < len(md_lines) and not md_lines[i].startswith("```"):
                block.append(md_lines[i].rstrip("\n"))
                i += 1
            verbatim(block, out)
        elif line.startswith("    ") and not para:
            block = []
            while i < len(md_lines) and (md_lines[i].startswith("    ")
                                         or not md_lines[i].strip()):
                block.append(md_lines[i].rstrip("\n")[4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            verbatim(block, out)
            continue
        elif line.startswith("### "):
            flush()
            out.append(".SS " + inline(line[4:]))
        elif line.startswith("## "):
            flush()
            out.append(".SH " + inline(line[3:]).upper())
        elif line.startswith("# "):
            flush()
        elif line.startswith("|"):
            flush()
            rows = []
            while i < len(md_lines) and md_lines[i].startswith("|"):
                cells = split_row(md_lines[i])
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            for cells in rows[1:]:  # the first row names the columns
                out.append(".TP")
                out.append(line_start(inline(cells[0])))
                out.append(line_start(inline(" \u2014 ".join(c for c in cells[1:] if c))))
            continue
        elif re.match(r"^\s*([-*]|\d+\.) ", line):
            flush()
            m = re.match(r"^\s*([-*]|\d+\.) (.*)", line)
            mark = "\\(bu" if m.group(1) in "-*" else m.group(1)
            out.append(".IP %s 4" % mark)
            out.append(line_start(inline(m.group(2))))
            i += 1
            while i < len(md_lines) and md_lines[i].startswith("  ") \
                    and md_lines[i].strip() and \
                    not re.match(r"^\s*([-*]|\d+\.) ", md_lines[i]):
                out.append(line_start(inline(md_lines[i].strip())))
                i += 1
            continue
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("section")
    ap.add_argument("description")
    ap.add_argument("out")
    ap.add_argument("doc")
    ap.add_argument("--section", dest="only")
    ap.add_argument("--example")
    ap.add_argument("--version", default="")
    a = ap.parse_args()

    with open(a.doc, encoding="utf-8") as f:
        md = f.readlines()
    if a.only:
        start = md.index(a.only + "\n")
        end = next((k for k in range(start + 1, len(md))
                    if md[k].startswith("## ")), len(md))
        md = ["## Description\n"] + md[start + 1:end]

    out = ['.TH "%s" "%s" "" "padlock %s" "padlock manual"'
           % (a.name.upper(), a.section, a.version),
           ".SH NAME",
           "%s \\- %s" % (a.name.replace("-", "\\-"), escape(a.description))]
    convert(md, out)
    pages = ["padlock(1)", "padlock-serve(1)", "padlock-get(1)",
             "padlock-check(1)", "padlock-cert(1)", "padlock.conf(5)"]
    others = [p for p in pages if p != "%s(%s)" % (a.name, a.section)]
    if a.example:
        out.append(".SH EXAMPLE")
        with open(a.example, encoding="utf-8") as f:
            verbatim([l.rstrip("\n") for l in f], out)
    out.append(".SH SEE ALSO")
    out.append(", ".join("\\fB%s\\fR(%s)" % tuple(p[:-1].split("("))
                         for p in others).replace("-", "\\-"))
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
