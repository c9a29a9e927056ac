#!/usr/bin/env python3
"""Turn the plain // comments of public headers into Doxygen comments.

    scripts/doxy_comments.py HEADER...

Rewrites each header in place; only comment markers change, never code or text:

  * a comment-only line at namespace, class, struct, union or enum scope documents
    the declaration that follows it: // becomes ///;
  * a comment after a declaration on the same line documents that declaration:
    `code  // text` becomes `code  ///< text`, and comment-only lines right below it
    that start in the same column (its continuation) become ///< too;
  * left as //: the file's head comment (everything before the first `namespace`
    line), anything inside a function body (doc comments belong on declarations),
    `}  // namespace x` closers, lint markers (NOLINT, clang-format), section
    headings (`// --- TCP ---`, `// input.cpp`) and comment blocks followed by a blank line (they
    speak of a group of declarations, not of the next one), comments after
    a preprocessor line or after a line that opens a function body, and comments
    after code holding a string literal or another comment (the `//` might be
    inside it).

Comments already in Doxygen form (///, //!, ///<) are left alone, so running the
script twice changes nothing. Scopes are found by counting braces outside string
literals and comments; a `{` closes a declaration scope when the text since the last
`;`, `{` or `}` names namespace/class/struct/union/enum (or is `extern "C"`) and has
no `(` (which would make it a function or a lambda).
"""
import pathlib
import re
import sys

COMMENT_LINE = re.compile(r'^(\s*)//(?![/!<])\s?(.*)$')
TRAILING = re.compile(r'^(.*?\S.*?)(\s+)//(?![/!<])\s?(.*)$')
DECL_SCOPE = re.compile(r'\b(namespace|class|struct|union|enum)\b|^\s*extern\s+"C"')
KEEP_PLAIN = re.compile(r'NOLINT|clang-format|IWYU')
SECTION = re.compile(r'^-{2,}.*-{2,}$|^[\w/.-]+\.(cpp|hpp|cc|h)$')  # `--- TCP ---`, `input.cpp`


def strip_code(line):
    """The code of a line without // comments, string and character literals."""
    out, i, quote = [], 0, None
    while i < len(line):
        c = line[i]
        if quote:
            if c == '\\':
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in '"\'':
            # a digit separator (1'000'000) is not a character literal
            if c == "'" and i > 0 and line[i - 1].isalnum() and i + 1 < len(line) and line[i + 1].isalnum():
                pass
            else:
                quote = c
        elif line.startswith('//', i):
            break
        else:
            out.append(c)
        i += 1
    return ''.join(out)


def convert(text):
    lines = text.split('\n')
    out = []
    in_ns = False        # past the first namespace line (the head comment is above it)
    scopes = []          # one bool per open brace: True for a declaration scope
    pending = ''         # code since the last ; { or } (classifies the next {)
    trailing_col = None  # column of the ///< comment on the line above, for continuations
    converted = set()    # indices of the lines turned into ///
    for line in lines:
        if not in_ns and re.match(r'^namespace\s+[\w:]+\s*\{', line):
            in_ns = True
        in_body = not all(scopes)  # inside a function body, lambda or initializer
        new = line
        col = None
        if in_ns and not in_body:
            m = COMMENT_LINE.match(line)
            if m:
                if KEEP_PLAIN.search(m.group(2)) or SECTION.match(m.group(2)):
                    pass
                elif trailing_col is not None and len(m.group(1)) == trailing_col:
                    new = f"{m.group(1)}///< {m.group(2)}".rstrip()
                    col = trailing_col
                else:
                    new = f"{m.group(1)}/// {m.group(2)}".rstrip()
                    converted.add(len(out))
            else:
                m = TRAILING.match(line)
                code = m.group(1) if m else ''
                if (m and '"' not in code and '//' not in code
                        and not code.lstrip().startswith('#')
                        and not code.rstrip().endswith('{')
                        and not re.match(r'^\s*\}', code)
                        and not KEEP_PLAIN.search(m.group(3))):
                    new = f"{code}{m.group(2)}///< {m.group(3)}".rstrip()
                    col = len(code) + len(m.group(2))
        trailing_col = col
        out.append(new)
        # Track the braces of this line to know the scope of the next one.
        if line.lstrip().startswith('#'):
            continue
        for c in strip_code(line):
            if c == '{':
                scopes.append(bool(DECL_SCOPE.search(pending)) and '(' not in pending)
                pending = ''
            elif c == '}':
                if scopes:
                    scopes.pop()
                pending = ''
            elif c == ';':
                pending = ''
            else:
                pending += c
        pending += ' '
    # A block that a blank line separates from the next declaration stays //.
    for i in sorted(converted, reverse=True):
        if i in converted and i + 1 < len(out) and out[i + 1].strip() == '':
            j = i
            while j in converted:
                out[j] = out[j].replace('///', '//', 1)
                converted.discard(j)
                j -= 1
    return '\n'.join(out)


def main(paths):
    for path in paths:
        p = pathlib.Path(path)
        old = p.read_text()
        new = convert(old)
        if new != old:
            p.write_text(new)


if __name__ == '__main__':
    main(sys.argv[1:])
