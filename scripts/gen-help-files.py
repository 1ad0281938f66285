#!/usr/bin/env python3
"""gen-help-files.py - man pages and shell completions from moat's --help.

Runs the moat binary it is given (`moat help`, then `moat COMMAND --help`
for every command, and every leaf of the az-style groups), so the pages and
the completions say what the program says and cannot drift from it:

    gen-help-files.py --moat build/moat --man build/man/man1 \
        --bash build/completion/moat --zsh build/completion/_moat

The help text's conventions are what it reads: a "usage:" block first;
paragraphs; "Heading:" lines; option lines indented two spaces ("  --flag
VALUE   what it does", continuations indented further); "Commands:" lists;
"Exit status:" and "Examples:" blocks.
"""
import argparse
import collections
import os
import re
import subprocess
import sys

# Placeholders that name a file: their option completes file names.
FILE_WORDS = {"PATH", "FILE", "DIR", "FILE|DIR", "FILE|-", "KEY.pem",
              "JWKS.json", "LOG", "PART"}


def run_help(moat, args):
    """The help text of `moat ARGS --help`; it must exit 0."""
    p = subprocess.run([moat] + args + ["--help"], capture_output=True,
                       text=True, check=False)
    if p.returncode != 0:
        sys.exit("gen-help-files: 'moat %s --help' exited %d: %s" %
                 (" ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def top_commands(main_help):
    """The commands `moat help` lists (every section's first words)."""
    names, in_list = [], False
    for line in main_help.splitlines():
        if re.match(r"^\S.*:$", line):
            in_list = line.startswith(("Commands:", "Managing"))
            continue
        m = re.match(r"^  ([a-z]+)(\s|$)", line)
        if in_list and m and m.group(1) not in ("help", "moat"):
            if m.group(1) not in names:
                names.append(m.group(1))
    return names


def one_liners(main_help):
    """Each command's line in `moat help` (continuations joined)."""
    out, last = {}, None
    for line in main_help.splitlines():
        m = re.match(r"^  ([a-z]+)\s{2,}(\S.*)$", line)
        if m:
            last = m.group(1)
            out[last] = m.group(2)
        elif last and re.match(r"^ {4,}\S", line):
            out[last] += " " + line.strip()
        else:
            last = None
    return out


def desc_column(lines):
    """The column most two-column lines start their description at."""
    cols = collections.Counter()
    for line in lines:
        m = re.match(r"^(  \S.*?\S)\s{2,}\S", line)
        if m:
            cols[len(line) - len(line[len(m.group(1)):].lstrip())] += 1
    return cols.most_common(1)[0][0] if cols else 0


def split_term(line, col):
    """(term, description) of a two-column line."""
    m = re.match(r"^  (\S.*?)\s{2,}(\S.*)$", line)
    if m:
        return m.group(1), m.group(2)
    if col and len(line) > col and line[col - 1] == " ":
        return line[:col].strip(), line[col:].strip()
    return line.strip(), ""


def group_leaves(name, text):
    """The leaf commands a group's help lists ("storage account show")."""
    lines = [l for l in section_lines(text, "Commands:")]
    col = desc_column(lines)
    leaves = []
    for line in lines:
        term, desc = split_term(line, col)
        words = term.split()
        if words and words[0] == name:
            leaves.append((words, desc))
    return leaves


def section_lines(text, heading):
    """The indented lines under a heading, to the next blank line."""
    out, inside = [], False
    for line in text.splitlines():
        if line == heading:
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            out.append(line)
    return out


def blocks(text):
    """Paragraph blocks (runs of non-blank lines)."""
    cur = []
    for line in text.splitlines():
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            yield cur
            cur = []
    if cur:
        yield cur


def split_usage(text):
    """(usage lines without 'usage: ', the rest)."""
    lines = text.splitlines()
    usage = []
    while lines and (lines[0].startswith("usage:") or
                     (usage and lines[0].startswith(" "))):
        usage.append(lines.pop(0))
    pad = len("usage: ")
    usage = [l[pad:] if l.startswith("usage: ") else l[pad:]
             if l[:pad].strip() == "" else l.strip() for l in usage]
    return usage, "\n".join(lines)


# ---- roff ------------------------------------------------------------------
def esc(s):
    """Text for roff: backslashes, hyphens (ASCII in man pages) and quotes."""
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return s


def line_out(s):
    """A text line that roff does not take for a request."""
    s = esc(s)
    return "\\&" + s if s[:1] in (".", "'") else s


def term_roff(term):
    """\\fB--flag\\fR \\fIVALUE\\fR for an option or command term."""
    parts = []
    for word in term.split(" "):
        bold = word.startswith("-") or re.match(r"^[a-z][a-z-]*,?$", word)
        parts.append(("\\fB%s\\fR" if bold else "\\fI%s\\fR") % esc(word))
    return " ".join(parts)


def two_column(block):
    """Entries (term, description) of an option or command list block."""
    col = desc_column(block)
    entries = []
    for line in block:
        indent = len(line) - len(line.lstrip())
        if indent == 2:
            entries.append(list(split_term(line, col)))
        elif entries:
            entries[-1][1] += (" " if entries[-1][1] else "") + line.strip()
    return entries


def is_list(block):
    return all(l.startswith("  ") for l in block) and desc_column(block) > 0


def render_block(block, out, state):
    """One help block as roff, with sections for headings it meets."""
    first = block[0]
    if first.startswith("Exit status:"):
        out.append(".SH EXIT STATUS" if state["top"] else
                   ".PP\n\\fBExit status:\\fR")
        text = " ".join([first[len("Exit status:"):].strip()] +
                        [l.strip() for l in block[1:]])
        out.append(line_out(text))
        return
    if re.match(r"^\S.*:$", first):
        heading = first[:-1]
        if heading == "Examples" and state["top"]:
            out.append(".SH EXAMPLES")
            state["examples"] = True
        else:
            out.append(".SS " + esc(heading) if state["top"] else
                       ".PP\n\\fB%s:\\fR" % esc(heading))
        block = block[1:]
        if not block:
            return
    if state.get("examples") or all(l.strip().startswith("moat ")
                                    for l in block if l.startswith("  ")) \
            and block[0].startswith("  "):
        out.append(".PP\n.nf\n.RS 4")
        out.extend(line_out(l.strip()) for l in block)
        out.append(".RE\n.fi")
        return
    if is_list(block):
        for term, desc in two_column(block):
            out.append(".TP\n" + term_roff(term))
            if desc:
                out.append(line_out(desc))
        return
    indented = block[0].startswith(" ")
    out.append(".PP" if not indented else ".RS 2\n.PP")
    out.append(line_out(" ".join(l.strip() for l in block)))
    if indented:
        out.append(".RE")


def render_help(text, out, top):
    usage, rest = split_usage(text)
    if top:
        out.append(".SH SYNOPSIS")
    out.append(".nf")
    out.extend(line_out(u) for u in usage)
    out.append(".fi")
    state = {"top": top}
    if top:
        out.append(".SH DESCRIPTION")
    for block in blocks(rest):
        render_block(block, out, state)


def man_page(name, summary, version, body_help, leaves, see_also):
    """The roff text of moat-NAME(1) (NAME None: moat(1))."""
    title = "moat" if name is None else "moat-" + name
    out = ['.\\" Generated by scripts/gen-help-files.py from the help text.',
           '.TH %s 1 "" "moat %s" "moat manual"' % (title.upper(), version),
           ".nh", ".ad l", ".SH NAME", "%s \\- %s" % (esc(title), esc(summary))]
    render_help(body_help, out, top=True)
    if leaves:
        out.append(".SH COMMANDS")
        for words, text in leaves:
            out.append('.SS "moat %s"' % esc(" ".join(words)))
            render_help(text, out, top=False)
    out.append(".SH SEE ALSO")
    out.append(", ".join("\\fB%s\\fR(1)" % esc(s) for s in see_also))
    return "\n".join(out) + "\n"


# ---- completion ------------------------------------------------------------
def options_of(text):
    """{option: values} from a help text's option lines; values is a list
    of words, ["<file>"] for a file, or [] for a free value / no value."""
    opts = {"--help": []}
    usage, _ = split_usage(text)
    terms = re.findall(r"(--?[A-Za-z][\w-]*(?:,? -[\w-]+)*(?: [^\s\]\[()]+)?)",
                       " ".join(usage))
    for line in text.splitlines():
        if re.match(r"^  -", line):
            terms.append(split_term(line, desc_column([line]))[0])
    for term in terms:
        names = re.findall(r"(?:^|[ ,])(--?[A-Za-z][A-Za-z0-9-]*)", term)
        value = term.split()[-1] if not term.split()[-1].startswith("-") \
            else ""
        if "|" in value and value not in FILE_WORDS:
            vals = [v for v in value.split("|") if re.match(r"^[\w.-]+$", v)]
        elif value in FILE_WORDS or value.endswith((".pem", ".json")):
            vals = ["<file>"]
        else:
            vals = []
        for n in names:
            if vals or n not in opts:
                opts[n] = vals
    return opts


def bash_script(tree, options):
    """tree: {"path words": [sub words]}; options: {path: {opt: vals}}."""
    lines = ["# bash completion for moat -*- shell-script -*-",
             "# Generated by scripts/gen-help-files.py from the help text.",
             "_moat_subs() {", '    case "$1" in']
    for path in sorted(tree):
        lines.append('    "%s") echo "%s" ;;' % (path, " ".join(tree[path])))
    lines += ["    esac", "}", "_moat_opts() {", '    case "$1" in']
    for path in sorted(options):
        lines.append('    "%s") echo "%s" ;;' %
                     (path, " ".join(sorted(options[path]))))
    lines += ["    esac", "}", "_moat_values() {", '    case "$1 $2" in']
    for path in sorted(options):
        for opt, vals in sorted(options[path].items()):
            if vals:
                lines.append('    "%s %s") echo "%s" ;;' %
                             (path, opt, " ".join(vals)))
    lines += ["    esac", "}", BASH_MAIN]
    return "\n".join(lines) + "\n"


BASH_MAIN = r'''_moat() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local path=moat i w subs
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        subs=" $(_moat_subs "$path") "
        [[ $subs == *" $w "* ]] || break
        path="$path $w"
    done
    if [[ $prev == -* ]]; then
        local vals
        vals=$(_moat_values "$path" "$prev")
        if [[ $vals == "<file>" ]]; then
            COMPREPLY=($(compgen -f -- "$cur"))
            return
        elif [[ -n $vals ]]; then
            COMPREPLY=($(compgen -W "$vals" -- "$cur"))
            return
        fi
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_moat_opts "$path")" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$(_moat_subs "$path")" -- "$cur"))
    fi
}
complete -o default -F _moat moat'''


def zsh_script(tree, options):
    lines = ["#compdef moat",
             "# zsh completion for moat.",
             "# Generated by scripts/gen-help-files.py from the help text.",
             "local -A subs opts vals"]
    for path in sorted(tree):
        lines.append("subs+=(%s %s)" % (zq(path), zq(" ".join(tree[path]))))
    for path in sorted(options):
        lines.append("opts+=(%s %s)" %
                     (zq(path), zq(" ".join(sorted(options[path])))))
        for opt, v in sorted(options[path].items()):
            if v:
                lines.append("vals+=(%s %s)" % (zq(path + " " + opt),
                                              zq(" ".join(v))))
    lines.append(ZSH_MAIN)
    return "\n".join(lines) + "\n"


def zq(s):
    return "'" + s.replace("'", "'\\''") + "'"


ZSH_MAIN = r'''local cmdpath=moat w i
for (( i = 2; i < CURRENT; i++ )); do
    w=${words[i]}
    [[ " ${subs[$cmdpath]} " == *" $w "* ]] || break
    cmdpath="$cmdpath $w"
done
local prev=${words[CURRENT-1]} cur=${words[CURRENT]}
if [[ $prev == -* && -n ${vals[$cmdpath $prev]} ]]; then
    if [[ ${vals[$cmdpath $prev]} == "<file>" ]]; then
        _files
    else
        compadd -- ${=vals[$cmdpath $prev]}
    fi
elif [[ $cur == -* ]]; then
    compadd -- ${=opts[$cmdpath]}
else
    compadd -- ${=subs[$cmdpath]}
fi'''


# ---- main ------------------------------------------------------------------
def collect(moat):
    """Every command's help: [(name, summary, help, leaves)]."""
    p = subprocess.run([moat, "help"], capture_output=True, text=True,
                       check=True)
    main_help = p.stdout
    version = subprocess.run([moat, "--version"], capture_output=True,
                             text=True, check=True).stdout.split()[-1]
    summaries = one_liners(main_help)
    commands = []
    for name in top_commands(main_help):
        text = run_help(moat, [name])
        leaves = [(words, run_help(moat, words), desc)
                  for words, desc in group_leaves(name, text)]
        summary = summaries.get(name) or \
            "the az-style %s commands on estate files" % name
        commands.append((name, summary, text, leaves))
    return main_help, version, commands


def write(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--moat", required=True)
    ap.add_argument("--man", help="directory for moat.1 and moat-*.1")
    ap.add_argument("--bash", help="bash completion file to write")
    ap.add_argument("--zsh", help="zsh completion file to write")
    args = ap.parse_args()
    main_help, version, commands = collect(args.moat)
    pages = ["moat-" + c[0] for c in commands]
    # Keys are command paths from the program's name: "moat storage".
    tree = {"moat": [c[0] for c in commands]}
    options = {"moat": {"--help": [], "--version": []}}
    for name, summary, text, leaves in commands:
        options["moat " + name] = options_of(text)
        for words, leaf_text, _ in leaves:
            for k in range(1, len(words)):
                sub = tree.setdefault(" ".join(["moat"] + words[:k]), [])
                if words[k] not in sub:
                    sub.append(words[k])
            options[" ".join(["moat"] + words)] = options_of(leaf_text)
        if args.man:
            page = man_page(name, summary, version, text,
                            [(w, t) for w, t, _ in leaves],
                            ["moat"] + [p for p in pages if p != "moat-" +
                                        name])
            write(os.path.join(args.man, "moat-%s.1" % name), page)
    if args.man:
        write(os.path.join(args.man, "moat.1"),
              man_page(None, "Azure Storage and Key Vault network access, "
                       "decided and explained", version,
                       main_help, [], pages))
    if args.bash:
        write(args.bash, bash_script(tree, options))
    if args.zsh:
        write(args.zsh, zsh_script(tree, options))


if __name__ == "__main__":
    main()
